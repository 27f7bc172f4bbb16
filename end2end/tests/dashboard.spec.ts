// The dashboard end to end: form → server function → Docker → live list, in a real browser.
import { test, expect } from '@playwright/test';
import {
  ADMIN, addMember, container, createWorkspace, docker, openDashboard, removeWorkspace, row, signIn, status, uniqueName,
} from './helpers';

const created: string[] = [];
test.afterAll(() => created.forEach((name) => removeWorkspace(name)));

test('an empty dashboard explains what to do', async ({ page, browser, baseURL }) => {
  // A new member has no workspaces, whatever the other tests left behind.
  const member = await addMember(page, baseURL, 'dora', 'doras long password');
  const theirs = await browser.newContext({ storageState: undefined });
  const fresh = await theirs.newPage();
  await signIn(fresh, member, 'doras long password');
  await expect(fresh.getByTestId('empty-state')).toContainText('No workspaces yet');
  await expect(fresh.getByRole('heading', { name: 'New workspace' })).toBeVisible();
  await theirs.close();
});

test('create, stop, start and delete a workspace from the page', async ({ page }) => {
  const name = uniqueName('life');
  created.push(name);
  await openDashboard(page);
  await createWorkspace(page, name);
  await expect(page.getByRole('status').filter({ hasText: `Workspace ${name} is running.` })).toBeVisible();
  await expect(row(page, name)).toContainText('1 GiB');
  await expect(row(page, name).getByTestId('placement')).toHaveText('Docker');
  expect(docker('inspect', '-f', '{{.State.Status}}', container(name)).trim()).toBe('running');

  await row(page, name).getByRole('button', { name: 'Stop' }).click();
  await expect(status(page, name)).toHaveText('stopped');
  expect(docker('inspect', '-f', '{{.State.Status}}', container(name)).trim()).toBe('exited');

  await row(page, name).getByRole('button', { name: 'Start' }).click();
  await expect(status(page, name)).toHaveText('running');

  await row(page, name).getByRole('button', { name: 'Delete' }).click();
  const confirm = page.getByRole('group', { name: `Delete ${name}` });
  await confirm.getByLabel('Also delete its files').check();
  await confirm.getByRole('button', { name: 'Delete workspace' }).click();
  await expect(row(page, name)).toHaveCount(0);
  expect(() => docker('inspect', container(name))).toThrow();
  // The row goes with the container; its network and files go a moment later.
  const volumeLeft = () => {
    try {
      docker('volume', 'inspect', `${container(name)}-files`);
      return true;
    } catch {
      return false;
    }
  };
  await expect.poll(volumeLeft).toBe(false);
});

test('an invalid name is explained in the browser and by the server', async ({ page }) => {
  await openDashboard(page);
  const nameField = page.getByLabel('Name');
  await nameField.fill('Bad_Name');
  await nameField.blur();
  await expect(page.locator('#ws-name-error')).toContainText('is not allowed');
  await expect(nameField).toHaveAttribute('aria-invalid', 'true');
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page.locator('tr[data-workspace="Bad_Name"]')).toHaveCount(0);

  // A taken name passes the browser's checks and is refused by the server.
  const name = uniqueName('taken');
  created.push(name);
  await createWorkspace(page, name);
  await nameField.fill(name);
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page.locator('#ws-name-error')).toContainText('already exists');
});

test('a docker stop made outside AiCockpit shows up without a reload', async ({ page }) => {
  const name = uniqueName('outside');
  created.push(name);
  await openDashboard(page);
  await createWorkspace(page, name);
  // A marker on the window proves the page was not reloaded.
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));

  docker('stop', '-t', '1', container(name));
  await expect(status(page, name)).toHaveText('stopped', { timeout: 5_000 });
  docker('start', container(name));
  await expect(status(page, name)).toHaveText('running', { timeout: 5_000 });
  expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
});

test('the dashboard fits a phone screen: the table scrolls inside its card', async ({ page }) => {
  const name = uniqueName('phone');
  created.push(name);
  await page.setViewportSize({ width: 390, height: 844 });
  await openDashboard(page);
  await createWorkspace(page, name);
  const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(pageWidth).toBeLessThanOrEqual(390);
  await expect(row(page, name).getByRole('button', { name: 'Stop' })).toBeAttached();
});

test('limits change on a running workspace, and an out-of-memory kill says what to do', async ({ page }) => {
  const name = uniqueName('limits');
  created.push(name);
  await openDashboard(page);
  await createWorkspace(page, name);
  await expect(status(page, name)).toHaveText('running');
  const startedAt = docker('inspect', '-f', '{{.State.StartedAt}}', container(name)).trim();

  await row(page, name).getByRole('button', { name: 'Limits' }).click();
  const panel = page.getByRole('group', { name: /^Limits of / });
  await panel.getByLabel('Memory (MiB)').fill('128');
  await panel.getByLabel('Processes').fill('200');
  await panel.getByRole('button', { name: 'Apply' }).click();
  await expect(panel).toHaveCount(0);
  await expect(row(page, name)).toContainText('128 MiB');
  expect(docker('inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}', container(name)).trim())
    .toBe(`${128 * 1024 * 1024} 200`);
  expect(docker('inspect', '-f', '{{.State.StartedAt}}', container(name)).trim()).toBe(startedAt);

  // A memory hog: the kernel kills it, and the dashboard says why and what to do.
  expect(() => docker('exec', container(name), 'sh', '-c', 'x=aaaaaaaa; while true; do x=$x$x; done')).toThrow();
  await expect(row(page, name).getByTestId('notice')).toContainText('raise its memory limit');
});

test('what is typed in a panel survives the table refreshing under it', async ({ page }) => {
  const [typed, other] = [uniqueName('draft'), uniqueName('draft-other')];
  created.push(typed, other);
  await openDashboard(page);
  await createWorkspace(page, typed);
  await createWorkspace(page, other);

  await row(page, typed).getByRole('button', { name: 'Limits' }).click();
  const limits = page.getByRole('group', { name: `Limits of ada/${typed}` });
  await limits.getByLabel('CPUs').fill('1.5');
  await row(page, typed).getByRole('button', { name: 'Share' }).click();
  const share = page.getByRole('group', { name: `Share ada/${typed}` });
  await share.getByLabel('Share with (user name)').fill('someone');

  // A change elsewhere reloads the list: the panels and what was typed stay.
  docker('stop', '-t', '1', container(other));
  await expect(status(page, other)).toHaveText('stopped');
  await expect(limits.getByLabel('CPUs')).toHaveValue('1.5');
  await expect(share.getByLabel('Share with (user name)')).toHaveValue('someone');

  // Closed and opened again, a panel starts from the workspace's values.
  await row(page, typed).getByRole('button', { name: 'Limits' }).click();
  await row(page, typed).getByRole('button', { name: 'Limits' }).click();
  await expect(limits.getByLabel('CPUs')).toHaveValue('1');
});

test('a running workspace says when it stops unused, can be kept running, and opening it starts it', async ({ page }) => {
  const name = uniqueName('idle');
  created.push(name);
  await openDashboard(page);
  await createWorkspace(page, name);
  await expect(status(page, name)).toHaveText('running');
  await expect(row(page, name).getByTestId('idle-stop'))
    .toHaveText(/^Stops at \d\d:\d\d UTC unless used \(60 min idle\)\.$/);

  await row(page, name).getByRole('button', { name: 'Limits' }).click();
  const panel = page.getByRole('group', { name: /^Limits of / });
  await panel.getByLabel('Stop when unused (min)').fill('-5');
  await panel.getByRole('button', { name: 'Apply' }).click();
  await expect(panel).toContainText('Whole minutes');
  await panel.getByLabel('Stop when unused (min)').fill('0');
  await panel.getByRole('button', { name: 'Apply' }).click();
  await expect(panel).toHaveCount(0);
  await expect(row(page, name).getByTestId('idle-stop')).toHaveCount(0);

  // Stopped (as an idle stop would): opening its IDE starts it.
  await row(page, name).getByRole('button', { name: 'Stop' }).click();
  await expect(status(page, name)).toHaveText('stopped');
  await page.goto(`/workspaces/${ADMIN}/${name}`);
  await expect(page.getByTestId('notice')).toContainText('Workspace started');
  expect(docker('inspect', '-f', '{{.State.Running}}', container(name)).trim()).toBe('true');
});
