// Browser tests against the real server and a real Docker engine, in Debian's Chromium.
// The server is started here on its own port with a fresh database; workspaces use the
// small BusyBox image so the tests stay fast.
import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
// The release build by default (what scripts/run serves); AICOCKPIT_BIN picks another.
const binary = process.env.AICOCKPIT_BIN ?? path.join(root, 'target/release/aicockpit');
const port = Number(process.env.AICOCKPIT_E2E_PORT ?? 3199);
// Playwright evaluates this file in every worker: keep what the server gets stable.
process.env.AICOCKPIT_E2E_IMAGE ??= execFileSync(binary, ['image', 'busybox'], { encoding: 'utf8' }).trim();
// The dev image the built-in templates build on (already built: this only checks).
process.env.AICOCKPIT_E2E_DEV_IMAGE ??= (execFileSync(binary, ['image', 'build'], { encoding: 'utf8' }), execFileSync(binary, ['image', 'reference'], { encoding: 'utf8' }).trim());
process.env.AICOCKPIT_E2E_DB ??= path.join(mkdtempSync(path.join(tmpdir(), 'aicockpit-e2e-')), 'e2e.db');

// A second server, pointed at a Docker socket that does not exist, for the outage banner.
const outagePort = port - 1;
// The scripted model server the main server's AI provider points at.
const modelPort = port - 2;
process.env.AICOCKPIT_E2E_OUTAGE_URL ??= `http://127.0.0.1:${outagePort}/`;
process.env.AICOCKPIT_E2E_MODEL_PORT ??= String(modelPort);

function server(listen: number, env: Record<string, string | undefined>) {
  return {
    command: binary,
    cwd: root,
    url: `http://127.0.0.1:${listen}/`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe' as const,
    env: {
      ...env,
      AICOCKPIT_BIND: `127.0.0.1:${listen}`,
      LEPTOS_SITE_ROOT: path.join(root, 'target/site'),
      RUST_LOG: 'info',
    } as Record<string, string>,
  };
}

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  // The first test sets the fresh server up through its set-up page; the rest run signed
  // in as the admin it made (outage.spec sets up its own server).
  projects: [
    { name: 'setup', testMatch: /setup\.spec\.ts/ },
    {
      name: 'signed-in',
      testIgnore: /(setup|outage)\.spec\.ts/,
      dependencies: ['setup'],
      use: { storageState: '.auth/admin.json' },
    },
    { name: 'outage', testMatch: /outage\.spec\.ts/ },
  ],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  webServer: [
    {
      command: `node scripted-llm.mjs ${modelPort}`,
      cwd: __dirname,
      url: `http://127.0.0.1:${modelPort}/v1/models`,
      reuseExistingServer: false,
      timeout: 10_000,
    },
    server(port, {
      AICOCKPIT_DATABASE: process.env.AICOCKPIT_E2E_DB,
      AICOCKPIT_DEFAULT_IMAGE: process.env.AICOCKPIT_E2E_IMAGE,
      AICOCKPIT_AI_PROVIDERS: `name=scripted,url=http://127.0.0.1:${modelPort}/v1,model=scripted`,
      // Long enough that nothing stops during the tests; the dashboard shows it.
      AICOCKPIT_IDLE_STOP: '60',
      // Share links end within seconds, so a test sees one expire.
      AICOCKPIT_LONGEST_SHARE_LINK: '4',
      // Each preview on a host of its own (Chromium sends *.localhost to this machine).
      AICOCKPIT_PREVIEW_DOMAIN: 'localhost',
      // The scripted model server stands for a host workspaces on the allowlist may reach.
      AICOCKPIT_EGRESS_ALLOW: `127.0.0.1:${modelPort}`,
    }),
    server(outagePort, {
      AICOCKPIT_DATABASE: `${process.env.AICOCKPIT_E2E_DB}.outage`,
      AICOCKPIT_DOCKER_HOST: 'unix:///nonexistent/docker.sock',
    }),
  ],
});
