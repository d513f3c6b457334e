// Nobody gets in without signing in; an agent signs in, works a ticket, and signs out.
import { test, expect } from '@playwright/test';
import { fileTicket, watchForErrors } from './helpers.mjs';
import { ADMIN } from '../global-setup.mjs';

test.use({ storageState: { cookies: [], origins: [] } });

test('an agent signs in, works a ticket and signs out', async ({ page, request }) => {
  const errors = watchForErrors(page);
  const ticket = await fileTicket(request, { title: `Sign-in walk ${Date.now()}`, urgency: 'high' });

  // A stranger is sent to sign in, and comes back where they were going afterwards.
  await page.goto(`/tickets/${ticket.reference}`);
  await expect(page).toHaveURL(/\/login\?next=/);
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('the email or password is wrong');

  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(new RegExp(`/tickets/${ticket.reference}$`));
  await expect(page.getByRole('heading', { name: ticket.title })).toBeVisible();
  await expect(page.locator('header .who')).toContainText(ADMIN.name);

  // Work the ticket: the note is signed with the agent's name, not something typed.
  await page.locator('section.entry-form textarea[name="body"]').fill('Called the customer back');
  await page.locator('section.entry-form button[type="submit"]').click();
  const note = page.locator('section.timeline li.entry-note').last();
  await expect(note).toContainText('Called the customer back');
  await expect(note).toContainText(ADMIN.name);

  // Signing out ends the session: the dashboard is closed again.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=/);
  expect(errors.filter((error) => !error.includes('401'))).toEqual([]);
});

// A sign-in link may only lead back into the help desk: `/<tab>/evil.example` is `//evil.example`
// to a browser, another site.
for (const hydrated of [true, false]) {
  test.describe(hydrated ? 'on the hydrated page' : 'as a plain form post', () => {
    test.use({ javaScriptEnabled: hydrated });

    test('signing in never leaves the site, whatever next says', async ({ page, baseURL }) => {
      const site = new URL(baseURL).host;
      for (const next of ['/%09/evil.example', '//evil.example', '/%5Cevil.example', 'https://evil.example/']) {
        await page.context().clearCookies();
        await page.goto(`/login?next=${next}`);
        if (hydrated) await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
        await page.getByLabel('Email').fill(ADMIN.email);
        await page.getByLabel('Password').fill(ADMIN.password);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await expect(page).not.toHaveURL(/\/login/);
        const landed = new URL(page.url());
        expect(landed.host, next).toBe(site);
        expect(landed.pathname, next).toBe('/');
      }
    });
  });
}
