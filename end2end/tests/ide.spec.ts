// The IDE end to end: terminal, file tree, editor, upload and download, in a real browser
// against a real workspace container.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { ADMIN, container, docker, hydrated, openIde, removeWorkspace, run, terminal } from './helpers';

const created: string[] = [];
test.afterAll(() => created.forEach((name) => removeWorkspace(name)));

test('terminal, tree and editor work on the same files', async ({ page }) => {
  const name = await openIde(page, created, 'ide');
  await expect(terminal(page)).toContainText('$');
  await run(page, 'echo hello > a.txt');

  // The tree picks the new file up on its own.
  const file = page.locator('.tree-row[data-path="/workspace/a.txt"]');
  await expect(file).toBeVisible();
  await file.getByRole('button', { name: 'a.txt' }).click();
  const content = page.locator('[data-testid="editor"][data-path="/workspace/a.txt"] .cm-content');
  await expect(content).toHaveText('hello');

  await content.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(' from the editor');
  const tab = page.locator('.editors .tab', { hasText: 'a.txt' });
  await expect(tab.getByLabel('unsaved')).toBeVisible();
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('notice')).toHaveText('Saved /workspace/a.txt');
  await expect(tab.getByLabel('unsaved')).toBeHidden();

  // The editor appended after the file's final newline.
  expect(docker('exec', container(name), 'cat', '/workspace/a.txt')).toBe('hello\n from the editor');
  await run(page, 'cat a.txt');
  await expect(terminal(page)).toContainText('from the editor');

  // A change made in the terminal meanwhile is not overwritten silently: the first save
  // explains, the second overwrites.
  await run(page, 'echo from the terminal > a.txt');
  await content.click();
  await page.keyboard.type('!');
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('notice')).toContainText('changed on disk');
  expect(docker('exec', container(name), 'cat', '/workspace/a.txt')).toBe('from the terminal\n');
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('notice')).toHaveText('Saved /workspace/a.txt');
  expect(docker('exec', container(name), 'cat', '/workspace/a.txt')).toBe('hello\n from the editor!');

  // A reload reattaches to the same shell, with its earlier output replayed, and reopens
  // the editor.
  await page.reload();
  await hydrated(page);
  await expect(terminal(page)).toContainText('from the editor');
  await expect(terminal(page)).toContainText('echo hello > a.txt');
  await expect(content).toHaveText(/from the editor/);
});

test('upload a file into the workspace and download it again', async ({ page }) => {
  const name = await openIde(page, created, 'upload');
  const text = 'uploaded through the browser\n';
  await page.getByTestId('upload-input').setInputFiles({
    name: 'notes.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from(text),
  });
  const file = page.locator('.tree-row[data-path="/workspace/notes.txt"]');
  await expect(file).toBeVisible();
  expect(docker('exec', container(name), 'cat', '/workspace/notes.txt')).toBe(text);
  expect(docker('exec', container(name), 'stat', '-c', '%u', '/workspace/notes.txt').trim()).toBe('1000');

  await file.hover();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    file.getByRole('link', { name: 'Download notes.txt' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('notes.txt');
  expect(readFileSync(await download.path(), 'utf8')).toBe(text);
});

test('terminal tabs: characters split across frames, new, rename, reload and close', async ({ page }) => {
  await openIde(page, created, 'tabs');
  await expect(terminal(page)).toContainText('$');
  // "é" is two bytes; the pause sends them in separate frames.
  await run(page, "printf 'caf\\303'; sleep 0.3; printf '\\251 ok\\n'");
  await expect(terminal(page)).toContainText('café ok');

  await page.getByTestId('new-terminal').click();
  const tabs = page.locator('.terminals .tab');
  await expect(tabs).toHaveCount(2);
  await expect(terminal(page)).toContainText('$');
  await run(page, "echo in-''second");
  await expect(terminal(page)).toContainText('in-second');
  await page.locator('.terminals .tab.active .tab-title').dblclick();
  await page.getByLabel('Terminal name').fill('build');
  await page.getByLabel('Terminal name').press('Enter');
  await expect(page.locator('.terminals .tab.active')).toContainText('build');

  // A reload restores both tabs, the name and each shell's output.
  await page.reload();
  await hydrated(page);
  await expect(tabs).toHaveCount(2);
  await expect(page.locator('.terminals .tab.active')).toContainText('build');
  await expect(terminal(page)).toContainText('in-second');

  await page.getByRole('button', { name: 'Close build' }).click();
  await expect(tabs).toHaveCount(1);
  await expect(terminal(page)).toContainText('café ok');
});

test('a workspace stopped under the IDE says so and starts again from there', async ({ page }) => {
  const name = await openIde(page, created, 'stopped');
  await expect(terminal(page)).toContainText('$');
  docker('stop', '-t', '1', container(name));
  await expect(terminal(page)).toContainText('is not running');
  const usage = page.locator('.ide-header').getByTestId('usage');
  await expect(usage).toHaveText('Not running');
  const start = page.getByRole('button', { name: 'Start workspace' });
  await expect(start).toBeVisible();
  await start.click();
  await expect(page.getByTestId('notice')).toContainText('Workspace started');
  await expect(start).toBeHidden();
  await expect(usage.locator('[data-meter="CPU"]')).toHaveText(/CPU/, { timeout: 20_000 });
  await terminal(page).click();
  await page.keyboard.press('Enter');
  await run(page, "echo back-''again");
  await expect(terminal(page)).toContainText('back-again');
});

test('a file written elsewhere through AiCockpit shows in the tree at once', async ({ page, baseURL }) => {
  const name = await openIde(page, created, 'pushed');
  await expect(page.getByText('The workspace is empty')).toBeVisible();
  // Another window (or an agent) writes through the file service.
  const written = await page.request.post('/api/files/write', {
    headers: { origin: baseURL ?? '' },
    data: { workspace: `${ADMIN}/${name}`, file: 'pushed.txt', text: 'hi' },
  });
  expect(written.status()).toBe(200);
  // Pushed, not polled: well before the tree's next relist.
  await expect(page.locator('.tree-row[data-path="/workspace/pushed.txt"]')).toBeVisible({ timeout: 1500 });
});
