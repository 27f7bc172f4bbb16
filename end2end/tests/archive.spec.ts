// A workspace exported from the dashboard, and a new workspace created from that archive.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ADMIN, container, createWorkspace, docker, hydrated, openDashboard, removeWorkspace, row, status, uniqueName } from './helpers';

const created: string[] = [];
test.afterAll(() => created.forEach((name) => removeWorkspace(name)));

test('export a workspace, then create another from its archive', async ({ page }, testInfo) => {
  const source = uniqueName('export');
  created.push(source);
  await openDashboard(page);
  await createWorkspace(page, source);
  docker('exec', '-u', '1000:1000', container(source), 'sh', '-c', 'mkdir -p src && echo "print(1)" > src/main.py');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    row(page, source).getByRole('link', { name: 'Export', exact: true }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`${source}.tar.gz`);
  const archive = testInfo.outputPath(download.suggestedFilename());
  await download.saveAs(archive);

  const copy = uniqueName('import');
  created.push(copy);
  await page.getByLabel('An archive').setInputFiles(archive);
  await page.getByLabel('Name').fill(copy);
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page.getByRole('status').filter({ hasText: `The files of ${source}.tar.gz are in it.` })).toBeVisible({ timeout: 30_000 });
  await expect(status(page, copy)).toHaveText('running');
  expect(docker('exec', container(copy), 'cat', '/workspace/src/main.py')).toBe('print(1)\n');

  // Something that is not a tar archive: the workspace exists, and the page says what failed.
  const broken = uniqueName('broken');
  created.push(broken);
  await page.getByLabel('An archive').setInputFiles({
    name: 'notes.zip', mimeType: 'application/zip', buffer: Buffer.from('PK\x03\x04 not really'),
  });
  await page.getByLabel('Name').fill(broken);
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'The archive could not be unpacked' })).toContainText('ZIP archive');
  await expect(status(page, broken)).toHaveText('running');
  // What is left of it waits on the dashboard, until dismissed.
  await page.reload();
  await hydrated(page);
  const unfinished = page.getByTestId('unfinished-creations').locator(`[data-creation="${ADMIN}/${broken}"]`);
  await expect(unfinished.locator('li[data-state="failed"]')).toContainText('Put the files in');
  await unfinished.getByRole('button', { name: 'Dismiss' }).click();
  await expect(unfinished).toHaveCount(0);
});

test('a repository to start from: checked before anything is made, and an image without git says so', async ({ page }) => {
  await openDashboard(page);
  const name = uniqueName('repo');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Or a git repository').fill('example.com/project');
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page.locator('#ws-repository-error')).toContainText('Use a URL such as');
  await expect(row(page, name)).toHaveCount(0);

  // The BusyBox image these tests run has no git: the workspace is made, the clone explained.
  created.push(name);
  await page.getByLabel('Or a git repository').fill('https://example.com/team/project.git');
  await page.getByLabel('Branch').fill('main');
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'The repository could not be cloned' })).toContainText('has no git');
  await expect(status(page, name)).toHaveText('running');
  await expect(page.getByLabel('Or a git repository')).toHaveValue('');
});

test("the devcontainer.json in a new workspace's files makes it again from what it asks", async ({ page }, testInfo) => {
  // An archive holding a project with its own .devcontainer/devcontainer.json.
  const project = testInfo.outputPath('project');
  mkdirSync(path.join(project, '.devcontainer'), { recursive: true });
  writeFileSync(path.join(project, '.devcontainer/devcontainer.json'), JSON.stringify({
    name: 'Project', image: process.env.AICOCKPIT_E2E_IMAGE, containerEnv: { PROJECT_MODE: 'from-devcontainer' },
    postCreateCommand: 'echo set-up > made.txt', features: {},
  }));
  writeFileSync(path.join(project, 'README.md'), 'hello\n');
  const archive = testInfo.outputPath('project.tar.gz');
  execFileSync('tar', ['-czf', archive, '-C', project, '.']);

  const name = uniqueName('devc');
  created.push(name);
  await openDashboard(page);
  await page.getByLabel('An archive').setInputFiles(archive);
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'It was made again from the devcontainer.json in its files.' }))
    .toContainText('Its set-up command ran.', { timeout: 30_000 });
  await expect(status(page, name)).toHaveText('running');
  expect(docker('exec', container(name), 'sh', '-c', 'echo $PROJECT_MODE; cat made.txt README.md')).toBe('from-devcontainer\nset-up\nhello\n');
});
