// Accounts in the browser: signing out and in (with a wrong password first), an admin adding
// a member on the users page, the member seeing none of the admin's workspaces, and the
// audit page listing what happened.
import { test, expect } from '@playwright/test';
import { ADMIN, ADMIN_PASSWORD, createWorkspace, hydrated, openDashboard, removeWorkspace, row, signIn, uniqueName } from './helpers';

const created: string[] = [];
test.afterAll(() => created.forEach((name) => removeWorkspace(name)));

test('sign out, a wrong password, then back in where the user was going', async ({ browser }) => {
  // A session of its own: signing out ends only this one, not the other tests' session.
  const context = await browser.newContext({ storageState: undefined });
  const page = await context.newPage();
  await signIn(page, ADMIN, ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL('/sign-in');

  await page.goto('/account');
  await expect(page).toHaveURL('/sign-in?next=/account');
  await hydrated(page);
  await page.getByLabel('User name').fill(ADMIN);
  await page.getByLabel('Password').fill('not my password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('.form-error')).toContainText('Wrong user name or password');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL('/account');
  await expect(page.getByRole('heading', { name: 'API tokens' })).toBeVisible();
  await context.close();
});

test('an admin adds a member, who sees only their own workspaces', async ({ page, browser }) => {
  const mine = uniqueName('admins');
  created.push(mine);
  await openDashboard(page);
  await createWorkspace(page, mine);

  await page.getByRole('link', { name: 'Users' }).click();
  await hydrated(page);
  await page.getByLabel('User name').fill('bob');
  await page.getByLabel('First password').fill('bobs long password');
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.locator('tr[data-user="bob"]')).toContainText('member');

  // Bob, in a browser of his own.
  const bobs = await browser.newContext({ storageState: undefined });
  const bob = await bobs.newPage();
  await signIn(bob, 'bob', 'bobs long password');
  await expect(bob.locator('.user-menu')).toContainText('bob · member');
  await expect(bob.getByRole('link', { name: 'Users' })).toHaveCount(0);
  await expect(bob.getByTestId('empty-state')).toBeVisible();
  await expect(row(bob, mine)).toHaveCount(0);
  // The admin's workspace does not exist for him, even by its address.
  await bob.goto(`/workspaces/${ADMIN}/${mine}`);
  await hydrated(bob);
  await expect(bob.locator('.tree-error')).toContainText(`no workspace named “${ADMIN}/${mine}”`);
  await bobs.close();

  // The admin sees it all in the audit log.
  await page.getByRole('link', { name: 'Audit' }).click();
  await hydrated(page);
  await expect(page.locator('tr[data-action="user-create"]').first()).toContainText('bob as member');
  await expect(page.locator('tr[data-action="sign-in"][data-actor="bob"]').first()).toBeVisible();
  await expect(page.locator('tr[data-action="workspace-create"]').first()).toContainText(`${ADMIN}/${mine}`);
  await page.getByLabel('User').fill('bob');
  await page.getByLabel('User').press('Enter');
  await expect(page.locator('tr[data-action="workspace-create"]')).toHaveCount(0);
});
