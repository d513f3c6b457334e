// An agent records a new caller as a customer, then finds them again as they type.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { open, watchForErrors } from './helpers.mjs';

test('an agent creates a customer and finds it again while typing', async ({ page }) => {
  const errors = watchForErrors(page);
  const name = `Navy Payroll ${Date.now()}`;
  await open(page, '/customers');
  const form = page.locator('section.new-customer');
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Contact').fill('Grace Hopper');
  await form.getByLabel('Email').fill('grace@navy.example');
  await form.getByLabel('Phone').fill('+1 555 010 4477');
  await form.getByLabel('Environment').fill('Payroll 5.2 on Windows Server 2022');
  await form.getByRole('button', { name: 'Create customer' }).click();

  await expect(page).toHaveURL(/\/customers\/\d+$/);
  await expect(page.getByRole('heading', { name })).toBeVisible();
  await expect(page.locator('table.contacts')).toContainText('grace@navy.example');
  await expect(page.locator('dd.environment')).toHaveText('Payroll 5.2 on Windows Server 2022');

  await page.getByRole('link', { name: 'Customers' }).click();
  const search = page.getByLabel('Find a customer');
  await search.pressSequentially('gra hop');
  await expect(page).toHaveURL(/q=gra(%20|\+)hop/);
  await expect(page.locator('table.customer-list')).toContainText(name);
  await expect(page.locator('table.customer-list')).toContainText('Grace Hopper (grace@navy.example, +1 555 010 4477)');
  await search.fill('nobody by this name');
  await expect(page.locator('section.customers .empty')).toHaveText('No customer matches.');
  expect(errors).toEqual([]);
});

test('a customer form with a bad email says which field is wrong', async ({ page }) => {
  await open(page, '/customers');
  const form = page.locator('section.new-customer');
  await form.getByLabel('Name').fill('Broken Ltd');
  await form.getByLabel('Contact').fill('Someone');
  await form.getByLabel('Email').evaluate((input) => { input.type = 'text'; });
  await form.getByLabel('Email').fill('not an email');
  await form.getByRole('button', { name: 'Create customer' }).click();
  await expect(form.locator('.notice, .error')).toContainText('contacts[0].email');
  await expect(page).toHaveURL(/\/customers$/);
});

test('the new-ticket form finds a known customer and fills in their environment', async ({ page, request }) => {
  const errors = watchForErrors(page);
  const token = readFileSync('.auth/token.txt', 'utf8').trim();
  const name = `Analytical Engines ${Date.now()}`;
  const created = await request.post('/api/v1/customers', {
    headers: { authorization: `Bearer ${token}` },
    data: {
      name,
      contacts: [{ name: 'Ada Lovelace', email: 'ada@engines.example' }],
      environment: 'Engine firmware 1843',
      properties: [{ key: 'os', value: 'Difference OS 2' }],
    },
  });
  expect(created.status()).toBe(201);

  await open(page, '/tickets/new');
  await page.getByLabel('Customer or employee').pressSequentially('ada lov');
  const suggestion = page.locator('.customer-suggestions button', { hasText: name });
  await expect(suggestion).toBeVisible();
  await suggestion.click();
  await expect(page.getByLabel('Customer or employee')).toHaveValue(`Ada Lovelace, ${name}`);
  await expect(page.getByLabel('Environment')).toHaveValue('Engine firmware 1843\nos: Difference OS 2');
  await expect(page.locator('.customer-suggestions')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('a new caller is recorded as a customer without leaving the new-ticket form', async ({ page }) => {
  const errors = watchForErrors(page);
  const name = `Harvard Computers ${Date.now()}`;
  await open(page, '/tickets/new');
  await page.getByLabel('Customer or employee').fill('Annie Cannon');
  await page.getByText('A new caller? Record them as a customer').click();
  await page.getByLabel("New customer's name").fill(name);
  await page.getByLabel('Contact name').fill('Annie Cannon');
  await page.getByLabel('Contact email').fill('annie@harvard.example');
  await page.getByRole('button', { name: 'Record customer' }).click();
  await expect(page.getByLabel('Customer or employee')).toHaveValue(`Annie Cannon, ${name}`);
  await expect(page.locator('.linked-customer')).toContainText(name);

  await page.getByLabel('Title').fill('Plate catalogue will not open');
  await page.getByRole('button', { name: 'Enter ticket' }).click();
  await expect(page).toHaveURL(/\/tickets\/TCK-\d+$/);
  const reference = page.url().split('/').pop();
  await page.locator('a.customer-link').click();
  await expect(page.getByRole('heading', { name })).toBeVisible();
  await expect(page.locator('.customer-tickets')).toContainText(reference);
  expect(errors).toEqual([]);
});
