// The first load on a slow link: how long the dashboard takes to become interactive over
// 10 Mbit/s with a cold cache, reported with the run.
import { test, expect, type Page } from '@playwright/test';
import { hydrated, openDashboard } from './helpers';

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
  await hydrated(page);
  const ms = Date.now() - started;
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
  });
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
  await cdp.detach();
  return { wasm, ms };
}

test('the dashboard becomes interactive over a 10 Mbit/s link, fetching its one WebAssembly', async ({ page }, testInfo) => {
  await openDashboard(page);
  const dashboard = await coldLoad(page, '/');
  expect(dashboard.wasm).toEqual(['aicockpit.wasm']);
  testInfo.annotations.push({ type: 'dashboard interactive over 10 Mbit/s', description: `${dashboard.ms} ms` });
  console.log(`dashboard interactive over 10 Mbit/s (cold cache): ${dashboard.ms} ms`);
});
