// An agent takes a phone call, files the ticket, verifies it, logs a failed and then a successful
// fix attempt, and resolves it; every step updates the page without a reload.
import { test, expect } from '@playwright/test';
import { open, fileTicket, watchForErrors } from './helpers.mjs';

test('an agent works a phone call from first contact to resolution', async ({ page }) => {
  const errors = watchForErrors(page);
  await open(page, '/');
  await page.getByRole('link', { name: 'New ticket' }).click();
  await expect(page.getByRole('heading', { name: 'New ticket' })).toBeVisible();

  await page.getByLabel('Customer or employee').fill('Margaret Hamilton, Apollo Ltd, +44 20 7946 0000');
  await page.getByLabel('Channel').selectOption('phone');
  await page.getByLabel('Urgency').selectOption('high');
  await page.getByLabel('Title').fill('Guidance console freezes on login');
  await page.getByLabel('Description').fill('The console stops responding right after the password prompt.');
  await page.getByLabel('Environment').fill('Windows 11 23H2, console 7.4.1');
  await page.getByLabel('When it happened (UTC)').fill('2026-11-28T08:15');
  await page.getByLabel('How it happened').fill('Logging in after the overnight update');
  await page.getByRole('button', { name: 'Enter ticket' }).click();

  await expect(page).toHaveURL(/\/tickets\/TCK-\d+$/);
  const reference = page.url().split('/').pop();
  await expect(page.getByRole('heading', { name: 'Guidance console freezes on login' })).toBeVisible();
  await expect(page.locator('.ticket-header .badge.status-new')).toHaveText('New');
  await expect(page.locator('dl.details')).toContainText('2026-11-28 08:15 UTC');

  // From here on the page must never reload: a marker on window would be lost.
  await page.evaluate(() => { window.stillTheSamePage = true; });

  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.locator('.ticket-header .badge.status-verified')).toHaveText('Verified');
  await page.getByRole('button', { name: 'Start work' }).click();
  await expect(page.locator('.ticket-header .badge.status-in_progress')).toHaveText('In progress');

  const entryForm = page.locator('section.entry-form');
  await entryForm.getByLabel('Entry kind').selectOption('attempt');
  await entryForm.getByLabel('Outcome').selectOption('failed');
  await entryForm.locator('textarea[name="body"]').fill('Cleared the local cache; still freezes');
  await entryForm.getByRole('button', { name: 'Add' }).click();
  const timeline = page.locator('section.timeline');
  await expect(timeline.locator('li.entry-attempt')).toHaveCount(1);
  await expect(timeline.locator('li.entry-attempt .outcome-failed')).toHaveText('failed');

  await expect(entryForm.locator('textarea[name="body"]')).toHaveValue('');
  await entryForm.getByLabel('Entry kind').selectOption('attempt');
  await entryForm.getByLabel('Outcome').selectOption('worked');
  await entryForm.locator('textarea[name="body"]').fill('Rolled back the display driver to 31.0.2');
  await entryForm.getByRole('button', { name: 'Add' }).click();
  await expect(timeline.locator('li.entry-attempt')).toHaveCount(2);
  await expect(timeline.locator('li.entry-attempt').first().locator('.outcome-worked')).toHaveText('worked');

  await page.locator('form.resolve textarea[name="resolution"]').fill('Display driver 31.0.3 breaks the console; rolled back');
  await page.getByRole('button', { name: 'Resolve' }).click();
  await expect(page.locator('.ticket-header .badge.status-resolved')).toHaveText('Resolved');
  await expect(page.locator('dd.resolution')).toHaveText('Display driver 31.0.3 breaks the console; rolled back');

  expect(await page.evaluate(() => window.stillTheSamePage)).toBe(true);

  // The timeline tells the whole story, newest first.
  const kinds = await timeline.locator('li .entry-kind').allTextContents();
  expect(kinds).toEqual(['Status', 'Fix attempt', 'Fix attempt', 'Status', 'Status', 'Entered']);

  // And the REST API agrees.
  const response = await page.request.get(`/api/v1/tickets/${reference}`);
  const ticket = await response.json();
  expect(ticket.status).toBe('resolved');
  expect(ticket.channel).toBe('phone');
  expect(ticket.occurred_at).toBe('2026-11-28T08:15:00Z');
  expect(errors).toEqual([]);
});

test('the workflow refuses to verify a ticket that lacks details and says what is missing', async ({ page, request }) => {
  const ticket = await fileTicket(request, { title: 'Vague complaint', customer: 'Someone' });
  await open(page, `/tickets/${ticket.reference}`);
  await expect(page.locator('.status-actions .hint')).toContainText('the environment, when it happened, how it happened');
  // A note typed but not yet added survives a refused action.
  await page.locator('section.entry-form textarea[name="body"]').fill('Half-written note');
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.locator('.status-actions .error')).toContainText('still missing: environment, occurred_at, manner');
  await expect(page.locator('.ticket-header .badge.status-new')).toHaveText('New');
  await expect(page.locator('section.entry-form textarea[name="body"]')).toHaveValue('Half-written note');

  // Recording the details makes it verifiable.
  const details = page.locator('form.occurrence');
  await details.getByLabel('Environment').fill('Android 15, app 3.2');
  await details.getByLabel('When it happened (UTC)').fill('2026-11-27T18:05:30');
  await details.getByLabel('How it happened').fill('Opening the app from a notification');
  await details.getByRole('button', { name: 'Save details' }).click();
  await expect(page.locator('dl.details')).toContainText('2026-11-27 18:05 UTC');
  await expect(page.locator('.status-actions .hint')).toHaveCount(0);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.locator('.ticket-header .badge.status-verified')).toHaveText('Verified');
  const stored = await (await request.get(`/api/v1/tickets/${ticket.reference}`)).json();
  expect(stored.occurred_at).toBe('2026-11-27T18:05:30Z');
});
