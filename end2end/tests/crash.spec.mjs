// A crash report becomes a ticket; whatever the report contains is shown as text, never run.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { open, watchForErrors } from './helpers.mjs';

const auth = () => ({ authorization: `Bearer ${readFileSync('.auth/token.txt', 'utf8').trim()}` });

test('a crash report full of markup files an inert ticket', async ({ page, request }) => {
  const errors = watchForErrors(page);
  let dialogs = 0;
  page.on('dialog', async (dialog) => { dialogs += 1; await dialog.dismiss(); });

  const created = await request.post('/api/v1/projects', { data: { name: `Hostile ${Date.now()}` }, headers: auth() });
  expect(created.status()).toBe(201);
  const project = await created.json();
  const key = new URL(project.dsn).username;
  const event = {
    level: 'error',
    exception: { values: [{
      type: '<img src=x onerror="alert(1)">',
      value: '<script>alert(2)</script>',
      stacktrace: { frames: [
        { function: 'core::panicking::panic', in_app: false },
        { function: '<svg onload=alert(3)>', filename: 'javascript:alert(4)', lineno: 1, in_app: true },
      ] },
    }] },
    user: { email: '<b onmouseover=alert(5)>mallory</b>' },
    tags: { region: '<i>eu</i>' },
    breadcrumbs: { values: [{ category: 'http', message: 'GET /<u>cart</u>' }] },
  };
  const body = `{}\n{"type":"event"}\n${JSON.stringify(event)}\n`;
  const sent = await request.post(`/api/${project.id}/envelope/?sentry_key=${key}`, { data: body });
  expect(sent.status()).toBe(200);

  const tickets = await request.get('/api/v1/tickets?status=all&limit=200', { headers: auth() });
  const ticket = (await tickets.json()).items.find((item) => item.channel === 'crash' && item.project === project.id);
  expect(ticket).toBeTruthy();

  await open(page, `/tickets/${ticket.reference}`);
  await expect(page.locator('h1')).toContainText('<img src=x onerror="alert(1)">');
  await expect(page.locator('dl.details')).toContainText('<script>alert(2)</script>');
  await expect(page.locator('dl.details')).toContainText('<svg onload=alert(3)>');
  await expect(page.locator('dl.details')).toContainText('<b onmouseover=alert(5)>mallory</b>');
  await expect(page.locator('dl.details dd.occurrences')).toHaveText('1');
  await expect(page.locator('dl.details dd.affected-users')).toHaveText('1');
  // The crash report itself: the chain, the application's frame first-class, library frames folded.
  await expect(page.locator('.error-chain')).toContainText('<script>alert(2)</script>');
  await expect(page.locator('.stack-trace .frame.in-app')).toContainText('<svg onload=alert(3)> javascript:alert(4):1');
  await expect(page.locator('.stack-trace .frame.library summary')).toHaveText('1 library frame');
  await expect(page.locator('.crash-facts')).toContainText('<i>eu</i>');
  await expect(page.locator('.breadcrumbs')).toContainText('GET /<u>cart</u>');
  expect(await page.locator('main img, main script, main b, main i, main u, main a[href^="javascript"]').count()).toBe(0);
  // The only pictures are the two charts of reports over time, each with the one report.
  expect(await page.locator('main svg').count()).toBe(2);
  await expect(page.locator('.occurrence-chart svg')).toHaveCount(2);
  await expect(page.locator('.occurrence-chart .bars-total')).toHaveText(['1', '1']);
  await expect(page.locator('.occurrence-chart .bar:not(.empty)')).toHaveCount(2);
  await page.locator('h1').hover();
  expect(dialogs).toBe(0);
  expect(errors).toEqual([]);
});
