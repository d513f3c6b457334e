// Shared steps of the browser tests.
import { expect } from '@playwright/test';
import { readFileSync } from 'node:fs';

/** The admin's API token, created by global-setup. */
const token = () => readFileSync('.auth/token.txt', 'utf8').trim();

/** Opens a page and waits until the wasm bundle has hydrated it. */
export async function open(page, path) {
  await page.goto(path);
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

/** Files a ticket through the REST API and returns it. */
export async function fileTicket(request, fields) {
  const response = await request.post('/api/v1/tickets', {
    data: { customer: 'API customer', ...fields },
    headers: { authorization: `Bearer ${token()}` },
  });
  expect(response.status()).toBe(201);
  return response.json();
}

/** Fails the test on any uncaught error or failed hydration in the page. */
export function watchForErrors(page) {
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return errors;
}
