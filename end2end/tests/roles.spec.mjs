// What each role sees: an admin sets up a project and its DSN, replaces its key and disables it; a
// viewer reads without any of the forms they could not use.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { fileTicket, open, watchForErrors } from './helpers.mjs';

const auth = () => ({ authorization: `Bearer ${readFileSync('.auth/token.txt', 'utf8').trim()}` });

test('an admin creates a project and sees the DSN its reporter will use', async ({ page }) => {
  const errors = watchForErrors(page);
  await open(page, '/projects');
  const name = `Shop backend ${Date.now()}`;
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create project' }).click();
  const row = page.locator('table.project-list tr', { hasText: name });
  await expect(row).toBeVisible();
  await expect(row.locator('code.dsn')).toHaveText(/^http:\/\/[0-9a-f]{32}@127\.0\.0\.1:\d+\/\d+$/);
  const dsn = await row.locator('code.dsn').textContent();
  await row.getByText('Set up reporting').click();
  // Our own crate first, then the official Sentry SDKs, each pointed at this DSN.
  await expect(row.locator('.snippets .language').first()).toHaveText('Rust (reporter crate)');
  await expect(row.locator('.snippets pre').first()).toContainText(`.dsn("${dsn}")`);
  await expect(row.locator('.snippets pre').nth(1)).toContainText(`sentry_sdk.init(dsn="${dsn}")`);

  // The key is replaced; the old DSN keeps working for the hour chosen, and says so.
  await row.getByLabel('Old key works for').selectOption('1');
  await row.getByRole('button', { name: 'Replace key' }).click();
  await expect(row.locator('.previous-dsn code')).toHaveText(dsn);
  await expect(row.locator('code.dsn')).not.toHaveText(dsn);
  await expect(row.locator('code.dsn')).toHaveText(/^http:\/\/[0-9a-f]{32}@127\.0\.0\.1:\d+\/\d+$/);

  // Disabled, its reports are refused until it is enabled again.
  await row.getByRole('button', { name: 'Disable' }).click();
  await expect(row.locator('.badge')).toHaveText('disabled: reports refused');
  await row.getByRole('button', { name: 'Enable' }).click();
  await expect(row.locator('.badge')).toHaveCount(0);
  await expect(row.getByRole('button', { name: 'Disable' })).toBeVisible();
  expect(errors).toEqual([]);
});

test('a viewer reads tickets without the forms of agents and admins', async ({ browser, request }) => {
  const email = `viewer${Date.now()}@example.com`;
  const created = await request.post('/api/v1/agents', {
    data: { email, name: 'Vera Viewer', role: 'viewer', password: 'viewer password 1' },
    headers: auth(),
  });
  expect(created.status()).toBe(201);
  const ticket = await fileTicket(request, { title: `Read-only ${Date.now()}` });

  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  await open(page, '/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('viewer password 1');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('header .who')).toContainText('viewer');
  await expect(page.getByRole('link', { name: 'New ticket' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Agents' })).toHaveCount(0);

  await page.goto(`/tickets/${ticket.reference}`);
  await expect(page.getByRole('heading', { name: ticket.title })).toBeVisible();
  await expect(page.locator('section.entry-form')).toHaveCount(0);
  // A viewer sees what helped before, but none of the forms that change the ticket.
  await expect(page.locator('section.suggestions')).toHaveCount(1);
  await expect(page.locator('aside.ticket-actions form, aside.ticket-actions button')).toHaveCount(0);

  await page.goto('/projects');
  await expect(page.getByRole('heading', { name: 'Projects' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create project' })).toHaveCount(0);

  // And the server agrees, whatever the page shows.
  const refused = await page.request.post('/api/v1/tickets', {
    data: { title: 'Sneaky', customer: 'Vera' },
    headers: { origin: new URL(page.url()).origin },
  });
  expect(refused.status()).toBe(403);
  await context.close();
});
