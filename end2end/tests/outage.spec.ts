// With Docker unreachable the dashboard still loads and says what is wrong and how to fix it.
import { test, expect } from '@playwright/test';

test('an unreachable Docker engine shows a banner with the address and the fix', async ({ page }) => {
  const response = await page.goto(process.env.AICOCKPIT_E2E_OUTAGE_URL ?? '');
  expect(response?.status()).toBe(200);
  await page.waitForSelector('body[data-hydrated="true"]');
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
