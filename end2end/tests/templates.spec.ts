// A workspace from the built-in Python template; a server started in its terminal appears
// in the IDE's Ports and opens on a host of its own (the test server has a preview domain),
// is refused to a user without access, and a share link (sandboxed, on AiCockpit's host)
// works until it expires (the test server cuts links to a few seconds).
import { test, expect } from '@playwright/test';
import { ADMIN, addMember, hydrated, openDashboard, removeWorkspace, row, run, signIn, status, uniqueName } from './helpers';

const created: string[] = [];
test.afterAll(() => created.forEach((name) => removeWorkspace(name)));

test('Python template, a preview of its server, refused to others, a share link that expires', async ({ page, browser, baseURL }) => {
  // The first use builds the template's image (Debian packages over the network).
  test.setTimeout(360_000);
  const name = uniqueName('py');
  created.push(name);
  await openDashboard(page);
  await page.getByLabel('Template').selectOption('python');
  await expect(page.getByLabel('Image')).toBeDisabled();
  await expect(page.locator('#ws-template-help')).toContainText('ports 8000');
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Workspace ${name} is running.` })).toBeVisible({ timeout: 300_000 });
  await expect(status(page, name)).toHaveText('running');
  const creation = page.getByTestId('creation');
  if (await creation.locator('li', { hasText: "Build the template's image" }).count()) {
    // Built here: the log is there to expand, with the build's steps.
    await creation.locator('summary', { hasText: 'Log' }).click();
    await expect(creation.locator('.creation-log')).toContainText('Step');
  }

  // In its terminal, a server; the IDE lists the port and opens it.
  await row(page, name).getByRole('link', { name: 'Open' }).click();
  await expect(page).toHaveURL(`/workspaces/${ADMIN}/${name}`);
  await hydrated(page);
  await run(page, 'mkdir -p site && echo "<h1>served from $HOSTNAME</h1>" > site/index.html && python3 -m http.server 8000 --directory site');
  await expect(page.getByTestId('ports-count')).toHaveText('1', { timeout: 20_000 });
  await page.getByTestId('ports-button').click();
  const port = page.locator('[data-testid="port"][data-port="8000"]');
  await expect(port).toContainText('forwarded');
  const [preview] = await Promise.all([page.waitForEvent('popup'), port.getByRole('link', { name: 'Open' }).click()]);
  await expect(preview.locator('h1')).toHaveText(`served from ${name}`);
  // An origin of its own: nothing there is AiCockpit's.
  const own = new URL(preview.url());
  expect(own.hostname).toBe(`8000--${name}--${ADMIN}.localhost`);
  expect(await preview.evaluate(() => window.origin)).toBe(own.origin);
  await preview.close();

  // Someone without access gets nothing, not even that it exists.
  const member = await addMember(page, baseURL, 'olga', 'olgas long password');
  const theirs = await browser.newContext({ storageState: undefined });
  const stranger = await theirs.newPage();
  await signIn(stranger, member, 'olgas long password');
  const refused = await stranger.goto(`/workspaces/${ADMIN}/${name}/ports/8000/`);
  expect(refused?.status()).toBe(404);

  // A share link opens for anyone until it expires.
  await port.getByRole('button', { name: 'Share link' }).click();
  const link = page.getByTestId('share-link').first().getByLabel('Share link');
  await expect(link).toHaveValue(/\/previews\//);
  const url = await link.inputValue();
  const anonymous = await (await browser.newContext({ storageState: undefined })).newPage();
  const opened = await anonymous.goto(url);
  expect(opened?.status()).toBe(200);
  await expect(anonymous.locator('h1')).toHaveText(`served from ${name}`);
  // On AiCockpit's host, sandboxed: an opaque origin, so it cannot act as whoever opens it.
  expect(await anonymous.evaluate(() => window.origin)).toBe('null');
  await expect(async () => {
    const later = await anonymous.goto(url);
    expect(later?.status()).toBe(410);
  }).toPass({ timeout: 20_000 });
  await expect(anonymous.locator('body')).toContainText('expired');
  await theirs.close();
});
