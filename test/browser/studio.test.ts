/**
 * Flix Studio, the operators' console, in Debian's Chromium through the gateway: an admin finds
 * a user and makes them an admin, creates a plan (a bad price is refused beside its field) and
 * deactivates it; a viewer who types /admin is told it is not for them. axe-core and the CSP are
 * checked on each screen; screenshots go to test-artefacts/studio/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJourneyStack, type JourneyStack } from '../support/journey-stack.js';
import { ADMIN, call, type TestStack } from '../support/stack.js';
import { launchBrowser, newDevice, screenChecks } from './support/browser.js';

const PASSWORD = 'a long uncommon passphrase';
let journey: JourneyStack;
let stack: TestStack;
let browser: Browser;
const { check } = screenChecks('studio');

beforeAll(async () => {
  // Billing's plans live at Stripe (the emulator here): the whole stack, with the web app.
  [journey, browser] = await Promise.all([startJourneyStack('studio', { web: true }), launchBrowser()]);
  ({ stack } = journey);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await journey?.stop();
});

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto(`${stack.gatewayUrl}/login`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: "Who's watching?" }).waitFor();
  await page.locator('.profile-tile').first().click();
  await page.getByRole('heading', { name: 'Popular on Flix' }).waitFor();
}

describe('Flix Studio', { timeout: 90_000 }, () => {
  const viewerEmail = `studio-viewer-${Date.now()}@example.com`;

  it('is not for viewers: no Studio link, and /admin says so', async () => {
    expect((await call(stack.gatewayUrl, 'POST', '/v1/auth/register', { body: { email: viewerEmail, password: PASSWORD, displayName: 'Vi Ewer' } })).status).toBe(200);
    const { page, problems, context } = await newDevice(browser);
    await signIn(page, viewerEmail, PASSWORD);
    expect(await page.getByRole('link', { name: 'Studio' }).count()).toBe(0);
    await page.goto(`${stack.gatewayUrl}/admin/users`);
    await page.getByRole('alert').filter({ hasText: 'Not allowed' }).waitFor();
    await check(page, 'viewer-not-allowed', problems);
    await context.close();
  });

  it('lets an admin find a user and give them the admin role', async () => {
    const { page, problems } = await newDevice(browser);
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.getByRole('link', { name: 'Studio' }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await page.getByLabel('Search by e-mail').fill('studio-viewer');
    await page.getByRole('button', { name: `Manage ${viewerEmail}` }).click();
    await page.getByRole('checkbox', { name: 'Admin' }).check();
    await page.getByRole('button', { name: 'Save roles' }).click();
    await expect.poll(async () => (await call(stack.gatewayUrl, 'POST', '/v1/auth/login', { body: { email: viewerEmail, password: PASSWORD } })).body.user.roles).toContain('ROLE_ADMIN');
    await check(page, 'users-roles-saved', problems);

    await page.getByRole('link', { name: 'Plans' }).first().click();
    await page.getByRole('heading', { name: 'Plans', level: 1 }).waitFor();
    await page.getByRole('cell', { name: /Premium \(monthly\)/ }).waitFor();
    await check(page, 'plans', problems);
    await page.getByRole('link', { name: 'New plan' }).click();
    await page.getByLabel('Display name').fill('Studio Test');
    await page.getByLabel('Plan ID').fill('studio-test-monthly');
    await page.getByLabel('Price', { exact: true }).fill('not money');
    await page.getByRole('button', { name: /Create plan/ }).click();
    await page.getByText('Enter an amount such as 9.99').waitFor();
    await check(page, 'plan-form-error', problems);
    await page.getByLabel('Price', { exact: true }).fill('4.99');
    await page.getByRole('button', { name: /Create plan/ }).click();
    const row = page.getByRole('row', { name: /studio-test-monthly/ });
    await row.waitFor();
    await row.getByRole('button', { name: /Deactivate/ }).click();
    await row.getByRole('button', { name: /^Yes, deactivate/ }).click();
    await expect.poll(() => row.textContent()).toMatch(/Inactive/);
    await check(page, 'plan-deactivated', problems);
  });
});
