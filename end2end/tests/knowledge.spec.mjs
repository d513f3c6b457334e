// The knowledge base at work: an agent takes a call from a known customer, the form fills in
// their environment, the suggestion panel shows the known fix, the agent applies it, resolves
// the ticket and publishes the resolution as an article; search then finds it.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { open, watchForErrors } from './helpers.mjs';

const token = () => readFileSync('.auth/token.txt', 'utf8').trim();

async function api(request, method, path, data) {
  const response = await request.fetch(path, {
    method,
    data,
    headers: { authorization: `Bearer ${token()}` },
  });
  expect(response.ok(), `${method} ${path}: ${await response.text()}`).toBe(true);
  return response.json();
}

test('a known problem is solved with the known fix, and the fix is published', async ({ page, request }) => {
  const errors = watchForErrors(page);
  const stamp = Date.now();
  const customer = await api(request, 'POST', '/api/v1/customers', {
    name: `Observatory ${stamp}`,
    contacts: [{ name: 'Henrietta Leavitt', email: `henrietta${stamp}@observatory.example` }],
    environment: 'Spectrograph control 3.1 on Linux',
  });
  // The problem was solved before, and written up.
  const known = await api(request, 'POST', '/api/v1/articles', {
    title: 'Spectrograph calibration drifts overnight',
    symptoms: 'Calibration **drifts** after midnight; readings shift by a few nanometres.',
    resolution: '1. Stop the cooling cycle\n2. Run `recalibrate --cold`\n\n<script>alert("x")</script>',
    tags: ['spectrograph'],
    status: 'published',
  });

  // The call: the customer is found as the agent types, and their environment filled in.
  await open(page, '/tickets/new');
  await page.getByLabel('Customer or employee').pressSequentially('henrietta');
  await page.locator('.customer-suggestions button', { hasText: customer.name }).click();
  await expect(page.getByLabel('Environment')).toHaveValue('Spectrograph control 3.1 on Linux');
  await expect(page.locator('.linked-customer')).toContainText(customer.name);

  // Describing the problem brings up the known fix before the agent types a word of it.
  await page.getByLabel('Title').fill('Spectrograph calibration drifts again');
  const panel = page.locator('section.suggestions');
  await expect(panel.locator('.suggested-articles')).toContainText(`KB-${known.id}`);
  await expect(panel.locator('.suggested-articles mark').first()).toBeVisible();

  await page.getByLabel('Description').fill('Readings shift every night since the cooling upgrade.');
  await page.getByLabel('When it happened (UTC)').fill('2026-11-28T02:10');
  await page.getByLabel('How it happened').fill('Overnight observation run');
  await page.getByRole('button', { name: 'Enter ticket' }).click();
  await expect(page).toHaveURL(/\/tickets\/TCK-\d+$/);
  const reference = page.url().split('/').pop();
  await expect(page.locator('a.customer-link')).toHaveText(/Henrietta Leavitt/);

  // The ticket page offers the same article; the agent applies it.
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.locator('.ticket-header .badge.status-verified')).toHaveText('Verified');
  await page.getByRole('button', { name: 'Start work' }).click();
  await expect(page.locator('.ticket-header .badge.status-in_progress')).toHaveText('In progress');
  const suggested = page.locator('section.suggestions .suggested-articles li', { hasText: `KB-${known.id}` });
  await suggested.getByRole('button', { name: 'Apply this fix' }).click();
  const entryForm = page.locator('section.entry-form');
  await expect(entryForm.getByLabel('Entry kind')).toHaveValue('attempt');
  await expect(entryForm.locator('textarea[name="body"]')).toHaveValue(
    `Applied KB-${known.id}: Spectrograph calibration drifts overnight`,
  );
  await entryForm.getByLabel('Outcome').selectOption('worked');
  await entryForm.getByRole('button', { name: 'Add' }).click();
  await expect(page.locator('section.timeline li.entry-attempt .outcome-worked')).toHaveText('worked');

  await page.locator('form.resolve textarea[name="resolution"]').fill('Recalibrated cold, as the article says');
  await page.getByRole('button', { name: 'Resolve' }).click();
  await expect(page.locator('.ticket-header .badge.status-resolved')).toHaveText('Resolved');

  // Publishing the resolution: the form comes prefilled from the ticket.
  await page.getByRole('link', { name: 'Publish as an article' }).click();
  await expect(page.getByRole('heading', { name: 'New article' })).toBeVisible();
  await expect(page.getByLabel('Title')).toHaveValue('Spectrograph calibration drifts again');
  await expect(page.getByLabel('Resolution')).toHaveValue(/Applied KB-\d+: Spectrograph calibration drifts overnight/);
  await expect(page.getByLabel('Resolution')).toHaveValue(/Recalibrated cold, as the article says/);
  await expect(page.getByLabel('Tickets (comma-separated)')).toHaveValue(reference);
  await page.getByLabel('Tags (comma-separated)').fill('spectrograph, calibration');
  await page.getByRole('button', { name: 'Save article' }).click();
  await expect(page).toHaveURL(/\/articles\/\d+$/);
  await expect(page.getByRole('heading', { name: 'Spectrograph calibration drifts again' })).toBeVisible();
  await expect(page.locator('.article-tickets')).toContainText(reference);
  await expect(page.locator('.markdown.resolution li').first()).toBeVisible();

  // The customer's page lists the ticket.
  await open(page, `/customers/${customer.id}`);
  await expect(page.locator('.customer-tickets')).toContainText(reference);

  // Search finds both articles and the ticket, the matched words marked.
  await open(page, '/search');
  await page.getByLabel('Search tickets and articles').fill('spectrograph recalibrate');
  await page.getByRole('button', { name: 'Search' }).click();
  const results = page.locator('ul.search-results');
  await expect(results).toContainText(`KB-${known.id}`);
  await expect(results).toContainText(reference);
  await expect(results.locator('mark').first()).toBeVisible();
  expect(errors).toEqual([]);
});

test('an article written in Markdown cannot run script', async ({ page, request }) => {
  const errors = watchForErrors(page);
  const article = await api(request, 'POST', '/api/v1/articles', {
    title: `Hostile markup ${Date.now()}`,
    symptoms: '<img src=x onerror="window.owned = true"> and [a link](javascript:window.owned=true)',
    resolution: '<script>window.owned = true</script>\n\n**Bold** stays bold.',
  });
  await open(page, `/articles/${article.id}`);
  await expect(page.locator('.markdown.resolution strong')).toHaveText('Bold');
  await expect(page.locator('.markdown.symptoms')).toContainText('<img src=x');
  await expect(page.locator('.markdown img, .markdown script')).toHaveCount(0);
  await expect(page.locator('.markdown.symptoms a')).toHaveAttribute('href', '#');
  expect(await page.evaluate(() => window.owned)).toBeUndefined();
  expect(errors).toEqual([]);
});
