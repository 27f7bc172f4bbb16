// SSH from the browser's side: keys added, refused and removed on the account page beside
// the server's host key, and a workspace's Connect panel saying how to reach it.
import { test, expect } from '@playwright/test';
import { ADMIN, createWorkspace, hydrated, openDashboard, removeWorkspace, row, uniqueName } from './helpers';

const created: string[] = [];
test.afterAll(() => created.forEach((name) => removeWorkspace(name)));

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILBGBadAoFr3qvNj8yYQB5fjBLuZASOUfEoeul1eSI6w ada@laptop';
const RSA_2048 = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCnXe3bUdiqHJaDOGK2prtBHDYDCWXLs2dAKRyfZ1Ka66Pn42PLGnhjWEBb83vZBWY4b/oluEEnY/BLH1yuRRDYVyeJ4ehX/UcpoyGm4ga4VU7dzx38P/1Z1z6Bq75mSDrRjf38EXi/UTG4UipfCxHlKbflcLAh7XBR9mhlUHqhLysmwNk1zYzq0UoHkDMbWiyDPqOcgTU5BSweMR2Dr/Vly2uLHK1ZzkLhoJ6W1WJV5rFAhHx/P9yyGokU3MpKIe5XWjhhjEiHdkkiVgZ/wgkWeMCeZyU6IOEFbOQGBmfxMhe8rEMWAQyvziJXKkdq7gjIFcznmuKYkjGhk6969SJd old';

test('keys are added, a weak one refused with why, and removed', async ({ page }) => {
  await page.goto('/account');
  await hydrated(page);
  await expect(page.getByTestId('host-fingerprint')).toContainText('SHA256:');
  const key = page.getByLabel('Public key');

  await key.fill(RSA_2048);
  await page.getByRole('button', { name: 'Add key' }).click();
  await expect(page.locator('.field-error')).toContainText('has 2048 bits');

  await key.fill(ED25519);
  await page.getByRole('button', { name: 'Add key' }).click();
  const added = page.locator('tr[data-key="ada@laptop"]');
  await expect(added).toContainText('SHA256:G5A3TgZwk+f7FNjQIPNQ98/acjKqqsgL1Ad4XwtEL8A');
  await expect(added).toContainText('never');
  await expect(key).toHaveValue('');

  await added.getByRole('button', { name: 'Remove' }).click();
  await expect(added).toHaveCount(0);
});

test("a workspace's Connect panel says how to reach it", async ({ page }) => {
  const name = uniqueName('connect');
  created.push(name);
  await openDashboard(page);
  await createWorkspace(page, name);
  await row(page, name).getByRole('button', { name: 'Connect' }).click();
  const panel = page.getByTestId('connect-panel');
  await expect(panel).toContainText(`aicockpit ssh ${name}`);
  await expect(panel).toContainText(`ssh aicockpit-${name}`);
  await expect(panel.getByRole('link', { name: 'Open in VS Code' })).toHaveAttribute(
    'href',
    `vscode://vscode-remote/ssh-remote+aicockpit-${name}/workspace`,
  );

  // The IDE says the same, when asked.
  await page.goto(`/workspaces/${ADMIN}/${name}`);
  await hydrated(page);
  await page.getByTestId('connect-button').click();
  await expect(page.getByTestId('connect-panel')).toContainText(`aicockpit ssh ${name}`);
});
