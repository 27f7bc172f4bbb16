// The first load on a slow link: the dashboard fetches only the main WebAssembly (the IDE's,
// the agent's and the admin pages' code is split out and fetched where it is used), and
// how long it takes to become interactive over 10 Mbit/s is reported with the run.
import { test, expect, type Page } from '@playwright/test';
import { openDashboard } from './helpers';

/** The WebAssembly a page fetched, by file name, as it opens `path` on a cold cache over
 *  10 Mbit/s (20 ms latency); and the milliseconds until it was interactive. The throttle
 *  ends with the measurement. */
async function coldLoad(page: Page, path: string): Promise<{ wasm: string[]; ms: number }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 20, downloadThroughput: 10_000_000 / 8, uploadThroughput: 10_000_000 / 8,
  });
  const wasm: string[] = [];
  page.on('request', (request) => {
    const file = new URL(request.url()).pathname.split('/').pop() ?? '';
    if (file.endsWith('.wasm')) wasm.push(file);
  });
  const started = Date.now();
  await page.goto(path);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  const ms = Date.now() - started;
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
  });
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
  await cdp.detach();
  return { wasm, ms };
}

test("the dashboard loads without the IDE's and admin pages' code, and a page of its own fetches its own", async ({ page }, testInfo) => {
  await openDashboard(page);
  const dashboard = await coldLoad(page, '/');
  expect(dashboard.wasm).toContain('aicockpit.wasm');
  expect(dashboard.wasm.filter((f) => f.startsWith('split_'))).toEqual([]);
  testInfo.annotations.push({ type: 'dashboard interactive over 10 Mbit/s', description: `${dashboard.ms} ms` });
  console.log(`dashboard interactive over 10 Mbit/s (cold cache): ${dashboard.ms} ms`);

  // A page of its own fetches its own code (here on a normal link).
  const fetched: string[] = [];
  page.on('request', (request) => fetched.push(new URL(request.url()).pathname.split('/').pop() ?? ''));
  await page.goto('/account');
  await page.waitForSelector('body[data-hydrated="true"]');
  expect(fetched.some((f) => f.startsWith('split___account_view'))).toBe(true);
  expect(fetched.some((f) => f.startsWith('split___ide_view'))).toBe(false);
});
