// Browser tests: Playwright drives the system Chromium against the real server binary, which runs
// on a fresh in-memory database. Playwright's own browser download is not used.
import { defineConfig } from '@playwright/test';
import { SETUP_CODE } from './global-setup.mjs';

const port = Number(process.env.HELPDESK_E2E_PORT ?? 3100);
const binary = process.env.HELPDESK_BINARY ?? '../target/debug/helpdesk';
const siteRoot = process.env.HELPDESK_SITE_ROOT ?? '../target/site';

export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.mjs',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    // Signed in as the admin that global-setup created.
    storageState: '.auth/admin.json',
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    trace: 'off',
  },
  webServer: {
    command: `${binary} --database-url mem:// --address 127.0.0.1:${port} --site-root ${siteRoot} --log warn --setup-code ${SETUP_CODE}`,
    url: `http://127.0.0.1:${port}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
