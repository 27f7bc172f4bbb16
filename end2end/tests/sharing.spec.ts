// Sharing live, with two browsers: the owner shares a workspace with a member as viewer,
// who watches the owner's terminal but cannot type or change files; made editor, the
// member types; revoked, the member's open page loses access at once.
import { test, expect, type Page } from '@playwright/test';
import { ADMIN, addMember, createWorkspace, hydrated, openDashboard, removeWorkspace, row, run, signIn, terminal, uniqueName } from './helpers';

const created: string[] = [];
test.afterAll(() => created.forEach((name) => removeWorkspace(name)));

/** Opens the share panel of a workspace row on the dashboard. */
async function sharePanel(page: Page, name: string) {
  await openDashboard(page);
  await row(page, name).getByRole('button', { name: 'Share' }).click();
  return page.getByRole('group', { name: `Share ${ADMIN}/${name}` });
}

test('a viewer watches, an editor types, a revoked user is cut off', async ({ page, browser, baseURL }) => {
  const name = uniqueName('shared');
  created.push(name);
  const member = await addMember(page, baseURL, 'carol', 'carols long password');

  await openDashboard(page);
  await createWorkspace(page, name);
  const panel = await sharePanel(page, name);
  await panel.getByLabel('Share with (user name)').fill(member);
  await panel.getByRole('button', { name: 'Share', exact: true }).click();
  await expect(panel.locator(`li[data-share="${member}"]`)).toContainText('viewer');

  // The owner works in the IDE.
  await row(page, name).getByRole('link', { name: 'Open' }).click();
  await hydrated(page);
  await run(page, "echo from-''owner");
  await expect(terminal(page)).toContainText('from-owner');

  // The member, in a browser of their own, sees it read-only.
  const theirs = await browser.newContext({ storageState: undefined });
  const guest = await theirs.newPage();
  await signIn(guest, member, 'carols long password');
  await expect(row(guest, name)).toContainText(`${ADMIN} · view only`);
  await expect(row(guest, name).getByRole('button', { name: 'Delete' })).toHaveCount(0);
  await row(guest, name).getByRole('link', { name: 'Open' }).click();
  await hydrated(guest);
  await expect(guest.getByTestId('view-only')).toBeVisible();
  await expect(guest.getByRole('button', { name: 'New file' })).toHaveCount(0);
  await expect(terminal(guest)).toContainText('from-owner');
  // Each sees who else is here, and at this terminal.
  await expect(page.getByTestId('present')).toHaveText(`Here: ${ADMIN}, ${member}`);
  await expect(page.getByTestId('attached')).toHaveText(`Attached: ${ADMIN}, ${member}`);
  await expect(guest.getByTestId('attached')).toHaveText(`Attached: ${ADMIN}, ${member}`);
  await run(page, "echo live-''from-owner");
  await expect(terminal(guest)).toContainText('live-from-owner');
  await run(guest, "echo typed-''by-guest");
  await run(page, "echo marker-''one");
  await expect(terminal(page)).toContainText('marker-one');
  await expect(terminal(page)).not.toContainText('typed-by-guest');

  // Made editor: the same open terminal now takes the member's keys.
  const owner = await page.context().newPage();
  const ownersPanel = await sharePanel(owner, name);
  await ownersPanel.locator(`li[data-share="${member}"]`).getByRole('button', { name: 'Make editor' }).click();
  await expect(ownersPanel.locator(`li[data-share="${member}"]`)).toContainText('editor');
  await expect(async () => {
    await run(guest, "echo by-''editor");
    await expect(terminal(page)).toContainText('by-editor', { timeout: 1000 });
  }).toPass({ timeout: 15_000 });

  // Revoked: the member's open page loses access at once.
  await ownersPanel.locator(`li[data-share="${member}"]`).getByRole('button', { name: 'Remove' }).click();
  await expect(ownersPanel.locator(`li[data-share="${member}"]`)).toHaveCount(0);
  await expect(terminal(guest)).toContainText('was removed by its owner');
  await guest.getByRole('button', { name: 'Refresh files' }).click();
  await expect(guest.locator('.tree-error')).toContainText(`no workspace named “${ADMIN}/${name}”`);
  await theirs.close();
});
