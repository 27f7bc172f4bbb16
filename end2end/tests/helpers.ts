// Shared steps for the dashboard tests.
import { expect, type Page, type Locator } from '@playwright/test';
import { execFileSync } from 'node:child_process';

/** A workspace name unique to this run. */
export function uniqueName(label: string): string {
  return `e2e-${label}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Opens the dashboard and waits until it is interactive (hydrated), never sleeping. */
export async function openDashboard(page: Page): Promise<void> {
  await page.goto('/');
  await page.waitForSelector('body[data-hydrated="true"]');
}

export function row(page: Page, name: string): Locator {
  return page.locator(`tr[data-workspace="${name}"]`);
}

export function status(page: Page, name: string): Locator {
  return row(page, name).getByTestId('status');
}

/** Fills and submits the create form with the keyboard, as a keyboard user would. */
export async function createWorkspace(page: Page, name: string): Promise<void> {
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Name').press('Enter');
  await expect(status(page, name)).toHaveText('running');
}

/** Removes what a test left behind, whatever happened in the page. */
export function removeWorkspace(name: string): void {
  for (const args of [['rm', '-f', `aicockpit-${name}`], ['volume', 'rm', '-f', `aicockpit-${name}-files`]]) {
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
