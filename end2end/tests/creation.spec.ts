// A workspace's creation runs on the server: the form shows its steps, and a page closed
// half-way finds it again on the dashboard, followed to its end.
import { test, expect } from '@playwright/test';
import { ADMIN, container, docker, hydrated, openDashboard, removeWorkspace, uniqueName } from './helpers';

const created: string[] = [];
test.afterAll(() => created.forEach((name) => removeWorkspace(name)));

test('a creation goes on when its page closes, and the dashboard follows it to the end', async ({ page, baseURL }) => {
  const origin = { origin: baseURL ?? '' };
  const devcontainer = {
    name: `Slow set-up ${Date.now()}`, image: process.env.AICOCKPIT_E2E_IMAGE,
    postCreateCommand: 'sleep 8 && echo set-up > made.txt',
  };
  const added = await page.request.post('/api/templates/add', { headers: origin, data: { devcontainer: JSON.stringify(devcontainer) } });
  expect(added.status()).toBe(200);
  const template: string = (await added.json()).id;

  const name = uniqueName('job');
  created.push(name);
  await openDashboard(page);
  await page.getByLabel('Template').selectOption(template);
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create workspace' }).click();
  const steps = page.locator('form.create-form').getByTestId('creation').locator('li');
  await expect(steps.filter({ hasText: 'Make and start the container' })).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
  await expect(steps.filter({ hasText: 'Run the set-up command' })).toHaveAttribute('data-state', 'running');

  // The page goes away before the end; the dashboard finds the creation again.
  await page.reload();
  await hydrated(page);
  const unfinished = page.getByTestId('unfinished-creations').locator(`[data-creation="${ADMIN}/${name}"]`);
  await expect(unfinished.getByTestId('creation')).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
  expect(docker('exec', container(name), 'cat', '/workspace/made.txt')).toBe('set-up\n');

  const removed = await page.request.post('/api/templates/remove', { headers: origin, data: { template } });
  expect(removed.status()).toBe(200);
});
