// Before the browser tests: the server starts empty, so set up its first admin through the
// first-run form endpoint (from this machine only, with the server's one-time setup code), keep
// the admin's session for the browser contexts, and create an API token for the tests' REST calls.
import { request } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';

export const ADMIN = { email: 'admin@example.com', name: 'Ada Admin', password: 'e2e admin password' };
export const STATE = '.auth/admin.json';
export const TOKEN = '.auth/token.txt';
/** The one-time code the test server is started with (a real one prints a random code). */
export const SETUP_CODE = 'e2e-setup-code';

export default async function globalSetup(config) {
  const baseURL = config.projects[0].use.baseURL;
  const context = await request.newContext({ baseURL, extraHTTPHeaders: { origin: baseURL } });
  const setUp = await context.post('/rpc/set_up_first_admin', {
    form: { ...ADMIN, setup_code: SETUP_CODE },
    maxRedirects: 0,
  });
  if (setUp.status() >= 400) throw new Error(`first admin: ${setUp.status()} ${await setUp.text()}`);
  const token = await context.post('/api/v1/tokens', { data: { name: 'browser tests', role: 'admin' } });
  if (token.status() !== 201) throw new Error(`token: ${token.status()} ${await token.text()}`);
  mkdirSync('.auth', { recursive: true });
  writeFileSync(TOKEN, (await token.json()).secret);
  await context.storageState({ path: STATE });
  await context.dispose();
}
