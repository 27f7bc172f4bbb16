// First run: no user exists, every page leads to the set-up page, and the one-time link the
// server printed creates the first admin, who is then signed in. The signed-in state is
// kept for the other tests.
import { test, expect } from '@playwright/test';
import { ADMIN, ADMIN_PASSWORD, ADMIN_STATE, hydrated, setupToken } from './helpers';

test('the first admin is created with the set-up link', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL('/setup');
  await hydrated(page);
  await expect(page.getByRole('alert').first()).toContainText('needs the set-up link');

  const token = setupToken(process.env.AICOCKPIT_E2E_DB ?? '');
  await page.goto(`/setup?token=${token}`);
  await hydrated(page);
  await page.getByLabel('User name').fill(ADMIN);
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByLabel('The same password again').fill('short');
  await page.getByRole('button', { name: 'Create the admin account' }).click();
  await expect(page.locator('#setup-password-error')).toContainText('at least 10 characters');

  await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByLabel('The same password again').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Create the admin account' }).click();
  await expect(page).toHaveURL('/');
  await expect(page.locator('.user-menu')).toContainText(`${ADMIN} · admin`);
  await page.context().storageState({ path: ADMIN_STATE });

  // The link worked once.
  await page.goto(`/setup?token=${token}`);
  await hydrated(page);
  await page.getByLabel('User name').fill('eve');
  await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByLabel('The same password again').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Create the admin account' }).click();
  await expect(page.locator('.form-error').last()).toContainText('set-up link is not valid');
});
