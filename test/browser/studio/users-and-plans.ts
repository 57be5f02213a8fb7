/**
 * Studio access, Users and Plans: a viewer who types /admin is told it is not for them; an admin
 * finds a user and makes them an admin, creates a plan (a bad price is refused beside its field)
 * and deactivates it.
 */
import { describe, expect, it } from 'vitest';
import { ADMIN, call } from '../../support/stack.js';
import { newDevice } from '../support/browser.js';
import { PASSWORD, signIn, type Studio } from './context.js';

export function usersAndPlansScenario(studio: Studio): void {
  describe('access, users and plans', { timeout: 90_000 }, () => {
    const viewerEmail = `studio-viewer-${Date.now()}@example.com`;

    it('is not for viewers: no Studio link, and /admin says so', async () => {
      const { stack, browser, check } = studio();
      expect((await call(stack.gatewayUrl, 'POST', '/v1/auth/register', { body: { email: viewerEmail, password: PASSWORD, displayName: 'Vi Ewer' } })).status).toBe(200);
      const { page, problems, context } = await newDevice(browser);
      await signIn(page, stack.gatewayUrl, viewerEmail);
      expect(await page.getByRole('link', { name: 'Studio' }).count()).toBe(0);
      await page.goto(`${stack.gatewayUrl}/admin/users`);
      await page.getByRole('alert').filter({ hasText: 'Not allowed' }).waitFor();
      await check(page, 'viewer-not-allowed', problems);
      await context.close();
    });

    it('lets an admin find a user and give them the admin role, and manage plans', async () => {
      const { stack, browser, check } = studio();
      const { page, problems, context } = await newDevice(browser);
      await signIn(page, stack.gatewayUrl, ADMIN.email, ADMIN.password);
      await page.getByRole('link', { name: 'Studio' }).click();
      await page.getByRole('navigation', { name: 'Studio' }).getByRole('link', { name: 'Users' }).click();
      await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
      await page.getByLabel('Search by e-mail').fill('studio-viewer');
      await page.getByRole('button', { name: `Manage ${viewerEmail}` }).click();
      await page.getByRole('checkbox', { name: 'Admin' }).check();
      await page.getByRole('button', { name: 'Save roles' }).click();
      await expect.poll(async () => (await call(stack.gatewayUrl, 'POST', '/v1/auth/login', { body: { email: viewerEmail, password: PASSWORD } })).body.user.roles).toContain('ROLE_ADMIN');
      await check(page, 'users-roles-saved', problems);

      await page.getByRole('navigation', { name: 'Studio' }).getByRole('link', { name: 'Plans' }).click();
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
      await context.close();
    });
  });
}
