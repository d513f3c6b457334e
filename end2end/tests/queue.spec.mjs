// The queue keeps the most urgent, longest-waiting work on top, and follows urgency changes.
import { test, expect } from '@playwright/test';
import { open, fileTicket, watchForErrors } from './helpers.mjs';

test('the queue is ordered by urgency, then age, and follows an urgency change', async ({ page, request }) => {
  const errors = watchForErrors(page);
  const tag = `q${Date.now()}`;
  const low = await fileTicket(request, { title: `${tag} low`, urgency: 'low' });
  const critical = await fileTicket(request, { title: `${tag} critical`, urgency: 'critical' });
  const medium = await fileTicket(request, { title: `${tag} medium`, urgency: 'medium' });
  const high = await fileTicket(request, { title: `${tag} high`, urgency: 'high' });

  await open(page, `/?q=${tag}`);
  const rows = page.locator('table.tickets tbody tr td.reference');
  await expect(rows).toHaveText([critical.reference, high.reference, medium.reference, low.reference]);

  // Raise the low ticket to critical in its page; it is older than the other critical one.
  await page.getByRole('link', { name: low.reference }).click();
  await expect(page.getByRole('heading', { name: `${tag} low` })).toBeVisible();
  await page.locator('section.field-actions select[name="urgency"]').selectOption('critical');
  await page.getByRole('button', { name: 'Set urgency' }).click();
  await expect(page.locator('.ticket-header .badge.urgency-critical')).toHaveText('critical');
  await expect(page.locator('section.timeline li.entry-urgency_change')).toContainText('low → critical');

  await page.getByRole('link', { name: 'Queue' }).click();
  await page.getByRole('searchbox', { name: 'Search' }).fill(tag);
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(rows).toHaveText([low.reference, critical.reference, high.reference, medium.reference]);

  // Filtering by urgency narrows the list without a reload.
  await page.evaluate(() => { window.stillTheSamePage = true; });
  await page.getByLabel('Urgency').selectOption('critical');
  await expect(rows).toHaveText([low.reference, critical.reference]);
  expect(await page.evaluate(() => window.stillTheSamePage)).toBe(true);
  expect(errors).toEqual([]);
});

test('the dashboard works as a plain page before any script runs', async ({ browser, request }) => {
  const context = await browser.newContext({ javaScriptEnabled: false, storageState: '.auth/admin.json' });
  const page = await context.newPage();
  const tag = `noscript${Date.now()}`;
  const ticket = await fileTicket(request, { title: `${tag} visitor`, urgency: 'high' });
  await page.goto(`/?q=${tag}`);
  await expect(page.locator('table.tickets tbody tr td.reference')).toHaveText([ticket.reference]);
  await page.goto(`/tickets/${ticket.reference}`);
  await page.locator('section.entry-form select[name="kind"]').selectOption('attempt');
  await page.locator('section.entry-form select[name="outcome"]').selectOption('partly');
  await page.locator('section.entry-form textarea[name="body"]').fill('Written without JavaScript');
  await page.locator('section.entry-form button[type="submit"]').click();
  // The form post lands back on the ticket page, now showing the new entry.
  await expect(page.locator('section.timeline li.entry-attempt')).toContainText('Written without JavaScript');
  await expect(page.locator('section.timeline li.entry-attempt .outcome-partly')).toHaveText('partly');
  expect(new URL(page.url()).pathname).toBe(`/tickets/${ticket.reference}`);
  await context.close();
});

test('text a customer typed is shown as text, never run', async ({ page, request }) => {
  let dialogs = 0;
  page.on('dialog', async (dialog) => { dialogs += 1; await dialog.dismiss(); });
  const ticket = await fileTicket(request, {
    title: '<img src=x onerror="alert(1)">',
    description: '<script>alert(2)</script>',
    customer: '<b onmouseover=alert(3)>Mallory</b>',
  });
  await open(page, `/tickets/${ticket.reference}`);
  await expect(page.getByRole('heading', { name: '<img src=x onerror="alert(1)">' })).toBeVisible();
  await expect(page.locator('dl.details')).toContainText('<script>alert(2)</script>');
  expect(await page.locator('main img, main script, main b').count()).toBe(0);
  expect(dialogs).toBe(0);
});

test('the top bar marks the queue or "Mine" as the current page, never both', async ({ page }) => {
  const errors = watchForErrors(page);
  await open(page, '/');
  const current = page.locator('.topbar nav a[aria-current="page"]');
  await expect(current).toHaveText(['Queue']);
  await page.getByRole('link', { name: 'Mine' }).click();
  await expect(page).toHaveURL(/assignee=me/);
  await expect(current).toHaveText(['Mine']);
  await page.getByRole('link', { name: 'Queue' }).click();
  await expect(current).toHaveText(['Queue']);
  expect(errors).toEqual([]);
});

// The keyboard shortcuts README lists are the access keys of the navigation (Alt+key in Chromium,
// Alt+Shift+key in Firefox). Synthetic key presses do not reach access keys in headless Chromium,
// so this checks the markup that the browsers act on.
test('the access keys README lists lead where it says', async ({ page }) => {
  await open(page, '/');
  const keys = { n: '/tickets/new', k: '/articles', f: '/search', c: '/customers', m: '/?assignee=me', q: '/' };
  for (const [key, href] of Object.entries(keys)) {
    await expect(page.locator(`[accesskey="${key}"]`)).toHaveAttribute('href', href);
  }
  await expect(page.getByRole('searchbox', { name: 'Search' })).toHaveAttribute('accesskey', 's');
});
