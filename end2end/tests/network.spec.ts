// A workspace's network from the browser: made with no network, its processes reach
// nothing (the proxy in every terminal says why) and the Network panel records the try;
// its owner moves it to the allowlist, live, and the allowed host answers.
import { test, expect } from '@playwright/test';
import { openIde, removeWorkspace, run, terminal } from './helpers';

const created: string[] = [];
test.afterAll(() => created.forEach((name) => removeWorkspace(name)));

const allowed = `127.0.0.1:${process.env.AICOCKPIT_E2E_MODEL_PORT}`;
// A plain-HTTP request through the workspace's proxy, as a tool reading HTTP_PROXY sends it.
const ask = `(printf 'GET http://${allowed}/v1/models HTTP/1.1\\r\\nHost: ${allowed}\\r\\n\\r\\n'; sleep 2) | nc -w 5 127.0.0.1 18128`;

test('no network, then the allowlist, tried from a terminal and seen in the Network panel', async ({ page }) => {
  await openIde(page, created, 'net', 'none');
  await expect(terminal(page)).toContainText('$');
  await run(page, 'echo proxy=$HTTP_PROXY');
  await expect(terminal(page)).toContainText('proxy=http://127.0.0.1:18128');

  await run(page, ask);
  await expect(terminal(page)).toContainText('403 Forbidden');
  await expect(terminal(page)).toContainText('network level is “none”');

  await page.getByTestId('network-button').click();
  const panel = page.getByTestId('network');
  await expect(panel.getByTestId('network-level')).toHaveValue('none');
  const refused = panel.locator(`tr[data-allowed="false"]`, { hasText: allowed });
  await expect(refused).toContainText('refused');

  await panel.getByTestId('network-level').selectOption('allowlist');
  await expect(panel.getByTestId('network-describe')).toContainText('Only allowed hosts');
  await run(page, 'clear; ' + ask);
  await expect(terminal(page)).toContainText('200 OK');
  await expect(terminal(page)).toContainText('"scripted"');
  await expect(panel.locator(`tr[data-allowed="true"]`, { hasText: allowed })).toContainText('allowed');
});
