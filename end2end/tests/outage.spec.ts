// With Docker unreachable the dashboard still loads and says what is wrong and how to fix it.
// This server has no AI provider either: the AI panel says how to turn it on.
import { test, expect } from '@playwright/test';
import { ADMIN, ADMIN_PASSWORD, hydrated, setupToken, visit } from './helpers';

test('an unreachable Docker engine shows a banner with the address and the fix', async ({ page }) => {
  // This server has a database of its own: set it up first.
  const base = process.env.AICOCKPIT_E2E_OUTAGE_URL ?? '';
  const token = setupToken(`${process.env.AICOCKPIT_E2E_DB}.outage`);
  await visit(page, `${base}setup?token=${token}`);
  await hydrated(page);
  await page.getByLabel('User name').fill(ADMIN);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByLabel('The same password again').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Create the admin account' }).click();
  await page.waitForURL(base);

  const response = await visit(page, base);
  expect(response?.status()).toBe(200);
  await hydrated(page);
  const banner = page.getByTestId('outage');
  await expect(banner).toContainText('Docker is not reachable');
  await expect(banner).toContainText('unix:///nonexistent/docker.sock');
  await expect(banner).toContainText('AICOCKPIT_DOCKER_HOST');

  // Creating says the same instead of failing silently.
  await page.getByLabel('Name').fill('while-down');
  await page.getByLabel('Image').fill('any:image');
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page.locator('.form-error')).toContainText('Docker is not reachable');
});

test('without a model provider the AI panel says how to turn AI on', async ({ page }) => {
  const base = process.env.AICOCKPIT_E2E_OUTAGE_URL ?? '';
  await visit(page, `${base}sign-in`);
  await hydrated(page);
  await page.getByLabel('User name').fill(ADMIN);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(base);
  await visit(page, `${base}workspaces/${ADMIN}/anything`);
  await hydrated(page);
  await page.getByRole('button', { name: 'AI assistant' }).click();
  await expect(page.getByTestId('ai-off')).toContainText('AI is off');
  await expect(page.getByTestId('ai-off')).toContainText('--ai-provider');
});
