// Fills a fresh server with a morning's work and photographs the queue, a worked phone ticket, a
// crash ticket, a customer, an article and a search for docs/.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { open } from '../tests/helpers.mjs';

const auth = () => ({ authorization: `Bearer ${readFileSync('.auth/token.txt', 'utf8').trim()}` });
const DOCS = '../docs';

async function ticket(request, fields) {
  const created = await request.post('/api/v1/tickets', { data: fields, headers: auth() });
  expect(created.status()).toBe(201);
  return created.json();
}

function panicEnvelope(eventId, user) {
  const event = {
    level: 'fatal', platform: 'rust', release: 'shop@2.4.1', environment: 'production',
    user: { email: user }, tags: { region: 'eu-west', thread: 'main' },
    exception: { values: [{
      type: 'panic', value: 'index out of bounds: the len is 3 but the index is 5',
      mechanism: { type: 'panic', handled: false },
      stacktrace: { frames: [
        { function: 'std::rt::lang_start', filename: 'library/std/src/rt.rs', lineno: 206, in_app: false },
        { function: 'shop::main', filename: 'src/main.rs', lineno: 48, in_app: true },
        { function: 'shop::checkout::checkout', filename: 'src/checkout.rs', lineno: 112, in_app: true },
        { function: 'shop::cart::total::{closure#0}', filename: 'src/cart.rs', lineno: 31, in_app: true },
        { function: 'core::slice::index::<impl core::ops::index::Index<I> for [T]>::index', filename: 'library/core/src/slice/index.rs', lineno: 18, in_app: false },
      ] },
    }] },
    breadcrumbs: { values: [
      { category: 'http', message: 'GET /cart/8812', level: 'info' },
      { category: 'shop::checkout', message: 'applying voucher SPRING24', level: 'info' },
    ] },
  };
  return `{"event_id":"${eventId}"}\n{"type":"event"}\n${JSON.stringify(event)}\n`;
}

test('pictures for the README', async ({ page, request }) => {
  await ticket(request, { title: 'Payroll export stops at 80%', customer: 'Grace Hopper, Navy Payroll', channel: 'phone', urgency: 'critical', description: 'The monthly export hangs at 80% every time since this morning.', environment: 'Payroll 5.2 on Windows Server 2022' });
  await ticket(request, { title: 'Cannot print delivery notes', customer: 'Ada Lovelace, Analytical Engines', channel: 'email', urgency: 'high', description: 'Printing from the warehouse tablet fails with error 0x709.', environment: 'Android 14 tablet, Zebra ZT411 printer', occurred_at: '2026-11-28T08:40:00Z', manner: 'printing the morning delivery notes' });
  await ticket(request, { title: 'VPN drops every 20 minutes', customer: 'Alan Turing, Bletchley Ltd', channel: 'phone', urgency: 'medium', description: 'The VPN reconnects on its own about every 20 minutes.' });
  await ticket(request, { title: 'New starter needs a laptop', customer: 'Katherine Johnson', channel: 'web', urgency: 'low', description: 'Starts on Monday; needs the standard developer laptop.' });

  const created = await request.post('/api/v1/projects', { data: { name: 'Shop backend' }, headers: auth() });
  const project = await created.json();
  const key = new URL(project.dsn).username;
  const users = ['ada@example.com', 'alan@example.com', 'grace@example.com'];
  for (let index = 0; index < 14; index += 1) {
    const sent = await request.post(`/api/${project.id}/envelope/?sentry_key=${key}`, {
      data: panicEnvelope(index.toString(16).padStart(32, '0'), users[index % users.length]),
    });
    expect(sent.status()).toBe(200);
  }

  await open(page, '/');
  await expect(page.locator('table.tickets tbody tr').first()).toBeVisible();
  await page.screenshot({ path: `${DOCS}/queue.png` });

  const queue = await request.get('/api/v1/tickets?status=all&limit=50', { headers: auth() });
  const items = (await queue.json()).items;
  const printing = items.find((item) => item.title === 'Cannot print delivery notes');
  await open(page, `/tickets/${printing.reference}`);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.locator('.ticket-header .badge.status-verified')).toBeVisible();
  const entryForm = page.locator('section.entry-form');
  await entryForm.getByLabel('Entry kind').selectOption('attempt');
  await entryForm.getByLabel('Outcome').selectOption('failed');
  await entryForm.locator('textarea[name="body"]').fill('Reinstalled the printer driver; still 0x709');
  await entryForm.getByRole('button', { name: 'Add' }).click();
  await expect(page.locator('.timeline')).toContainText('Reinstalled the printer driver');
  await page.screenshot({ path: `${DOCS}/ticket.png`, fullPage: true });

  const crash = items.find((item) => item.channel === 'crash');
  await open(page, `/tickets/${crash.reference}`);
  await expect(page.locator('.occurrence-chart svg')).toHaveCount(2);
  await expect(page.locator('.stack-trace')).toBeVisible();
  await page.screenshot({ path: `${DOCS}/crash-ticket.png`, fullPage: true });

  const customerCreated = await request.post('/api/v1/customers', {
    headers: auth(),
    data: {
      name: 'Analytical Engines',
      notes: 'Warehouse runs two shifts; call before 14:00.',
      environment: 'Android 14 tablets, Zebra ZT411 printers',
      contacts: [{ name: 'Ada Lovelace', email: 'ada@example.com', phone: '+44 20 7946 0018' }],
      properties: [{ key: 'contract', value: 'gold' }],
    },
  });
  expect(customerCreated.status()).toBe(201);
  const customer = await customerCreated.json();
  await ticket(request, { title: 'Labels print blank', customer_id: customer.id, channel: 'phone', urgency: 'medium', description: 'The shipping labels come out blank on the second printer.' });
  await open(page, `/customers/${customer.id}`);
  await expect(page.getByText('Labels print blank')).toBeVisible();
  await page.screenshot({ path: `${DOCS}/customer.png`, fullPage: true });

  const articleCreated = await request.post('/api/v1/articles', {
    headers: auth(),
    data: {
      title: 'Printing fails with error 0x709',
      symptoms: 'Printing from a tablet fails with **error 0x709**; the printer is online.',
      resolution: '1. Remove the printer from the tablet.\n2. Install the vendor driver 7.4.\n3. Add the printer again by its address.',
      tags: ['printing', 'tablets'],
      tickets: [printing.reference],
      status: 'published',
    },
  });
  expect(articleCreated.status()).toBe(201);
  const article = await articleCreated.json();
  await open(page, `/articles/${article.id}`);
  await expect(page.getByRole('heading', { name: 'Printing fails with error 0x709' })).toBeVisible();
  await page.screenshot({ path: `${DOCS}/article.png`, fullPage: true });

  await open(page, '/search?q=printer+0x709');
  await expect(page.locator('.hits li').first()).toBeVisible();
  await page.screenshot({ path: `${DOCS}/search.png`, fullPage: true });
});
