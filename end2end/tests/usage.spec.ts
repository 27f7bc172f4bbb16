// Live resource use in a real browser: the dashboard's charts, the admin's server totals
// and the IDE's strip, all fed by the engine's stats of a real workspace.
import { test, expect } from '@playwright/test';
import { container, createWorkspace, docker, hydrated, openDashboard, removeWorkspace, row, uniqueName } from './helpers';

const created: string[] = [];
test.afterAll(() => created.forEach((name) => removeWorkspace(name)));

test('a running workspace shows its CPU and memory live, in the dashboard and the IDE', async ({ page }) => {
  const name = uniqueName('usage');
  created.push(name);
  await openDashboard(page);
  await createWorkspace(page, name);

  const usage = row(page, name).getByTestId('usage');
  await expect(usage.locator('[data-meter="Memory"]')).toHaveText(/^[\d.]+ (B|KiB|MiB)$/, { timeout: 20_000 });
  await expect(usage.locator('[data-meter="CPU"]')).toHaveText(/^[\d.]+ CPUs?$/);
  // Disk traffic where the engine accounts block I/O; some virtual machines give none.
  await expect(usage).toContainText(/net ↓ .+\/s ↑ .+\/s · disk (.+\/s|—)/);

  // A busy loop inside shows as CPU use, and the chart draws a line of several points.
  docker('exec', '-d', container(name), 'sh', '-c', 'while :; do :; done');
  await expect(usage.locator('[data-meter="CPU"]')).toHaveText(/^(0\.[3-9]\d*|1(\.\d+)?) CPUs?$/, { timeout: 20_000 });
  await expect(usage.locator('svg.sparkline polyline').first()).toHaveAttribute('points', /\S+ \S+ \S+/);

  // The admin sees everything running against what the machine has.
  const totals = page.getByTestId('server-totals');
  await expect(totals).toContainText(/CPUs? of \d+/);
  await expect(totals).toContainText(/ of [\d.]+ GiB/);

  // The IDE's header shows the same workspace's use.
  await row(page, name).getByRole('link', { name: 'Open' }).click();
  await hydrated(page);
  const strip = page.locator('.ide-header').getByTestId('usage');
  await expect(strip.locator('[data-meter="CPU"]')).toHaveText(/^(0\.[3-9]\d*|1(\.\d+)?) CPUs?$/, { timeout: 20_000 });
  await expect(strip.locator('[data-meter="Network"]')).toContainText('↓');
  await expect(strip.locator('[data-meter="Disk"]')).toHaveText(/^(read .+ · write .+|not reported by the engine)$/);
});
