// Shared steps for the browser tests.
import { expect, type Page, type Locator, type Response } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The admin the set-up test creates; every other test runs signed in as them. */
export const ADMIN = 'ada';
export const ADMIN_PASSWORD = 'correct horse battery';
/** Where the set-up test leaves the admin's signed-in browser state. */
export const ADMIN_STATE = '.auth/admin.json';

/** The one-time set-up token a fresh server wrote beside its database. */
export function setupToken(database: string): string {
  return readFileSync(`${database}.setup-token`, 'utf8').trim();
}

/** The container of one of the admin's workspaces. */
export function container(name: string, owner = ADMIN): string {
  return `aicockpit-${owner}.${name}`;
}

/** Signs in on the sign-in page and waits for the page it leads to. */
export async function signIn(page: Page, name: string, password: string): Promise<void> {
  await page.goto('/sign-in');
  await hydrated(page);
  await page.getByLabel('User name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
  await hydrated(page);
}

/** Adds a member with a fresh name through the API, as the admin signed in on `page`. */
export async function addMember(page: Page, baseURL: string | undefined, label: string, password: string): Promise<string> {
  const name = `${label}${Math.random().toString(36).slice(2, 6)}`;
  // A request without the page's Origin is not trusted with the session cookie.
  const added = await page.request.post('/api/auth/create-user', {
    headers: { origin: baseURL ?? '' },
    data: { name, password, role: 'Member' },
  });
  expect(added.status()).toBe(200);
  return name;
}

/** Creates a workspace from the dashboard (noting it in `created` for clean-up) and
 *  opens its IDE with the Open button; returns its name. */
export async function openIde(page: Page, created: string[], label: string, network?: string): Promise<string> {
  const name = uniqueName(label);
  created.push(name);
  await openDashboard(page);
  await createWorkspace(page, name, network);
  await row(page, name).getByRole('link', { name: 'Open' }).click();
  await expect(page).toHaveURL(`/workspaces/${ADMIN}/${name}`);
  await hydrated(page);
  return name;
}

/** A workspace name unique to this run. */
export function uniqueName(label: string): string {
  return `e2e-${label}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Opens the dashboard and waits until it is interactive (hydrated), never sleeping. */
export async function openDashboard(page: Page): Promise<void> {
  await page.goto('/');
  await hydrated(page);
}

export function row(page: Page, name: string): Locator {
  return page.locator(`tr[data-workspace="${name}"]`);
}

export function status(page: Page, name: string): Locator {
  return row(page, name).getByTestId('status');
}

/** Fills and submits the create form with the keyboard, as a keyboard user would; with
 *  `network`, that level chosen first. */
export async function createWorkspace(page: Page, name: string, network?: string): Promise<void> {
  if (network) await page.getByTestId('ws-network').selectOption(network);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Name').press('Enter');
  await expect(status(page, name)).toHaveText('running');
}

/** Removes what a test left behind, whatever happened in the page: the container, its
 *  network of its own, its volume. */
export function removeWorkspace(name: string, owner = ADMIN): void {
  const id = container(name, owner);
  let networks: string[] = [];
  try {
    networks = docker('inspect', '-f', '{{range $n, $_ := .NetworkSettings.Networks}}{{$n}} {{end}}', id)
      .split(/\s+/)
      .filter((n) => n.startsWith('aicockpit-'));
  } catch {
    // already gone
  }
  for (const args of [['rm', '-f', id], ...networks.map((n) => ['network', 'rm', n]), ['volume', 'rm', '-f', `${id}-files`]]) {
    try {
      execFileSync('docker', args, { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}

export function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The visible terminal of an IDE page. */
export function terminal(page: Page): Locator {
  return page.locator('[data-testid="terminal"][data-visible="true"]');
}

/** Types a command into the visible terminal. */
export async function run(page: Page, command: string): Promise<void> {
  await terminal(page).click();
  await page.keyboard.type(`${command}\n`);
}

/** Waits until `page` is interactive. Docker making or removing a workspace's bridge
 *  network can make Chromium abort requests in flight (net::ERR_NETWORK_CHANGED); a page
 *  whose WebAssembly was cut off that way never hydrates, so after 15 s it is reloaded,
 *  once, and said so. A page that does not hydrate again fails the test. */
export async function hydrated(page: Page): Promise<void> {
  const ready = page.locator('body[data-hydrated="true"]');
  try {
    await ready.waitFor({ state: 'attached', timeout: 15_000 });
    return;
  } catch {
    console.warn(`${page.url()} did not become interactive; reloading it once`);
  }
  await page.reload();
  await ready.waitFor({ state: 'attached' });
}

/** `page.goto(url)`, tried once more when Chromium aborted it at the network level (a
 *  workspace's bridge network appearing makes it do so, see `hydrated`). */
export async function visit(page: Page, url: string): Promise<Response | null> {
  try {
    return await page.goto(url);
  } catch (error) {
    if (!String(error).includes('net::ERR_')) throw error;
    console.warn(`${url} was cut off (${String(error).split('\n')[0]}); loading it again`);
    return await page.goto(url);
  }
}
