/**
 * Studio → Users → one account: a viewer made through the API signs in on a browser; an admin
 * finds them by e-mail, opens their page and sees both sign-ins and that they have no
 * subscription; on their own page the admin's Admin role is locked, with the reason.
 */
import { describe, expect, it } from 'vitest';
import { ADMIN, call } from '../../support/stack.js';
import { newDevice } from '../support/browser.js';
import { PASSWORD, signIn, type Studio } from './context.js';

export function userDetailScenario(studio: Studio): void {
  describe('user detail', { timeout: 120_000 }, () => {
    const viewerEmail = `detail-viewer-${Date.now()}@example.com`;

    it('shows an admin a viewer’s sessions and subscription, and locks their own admin role', async () => {
      const { stack, browser, check } = studio();
      // Registration is the first sign-in (from this script); the browser below is the second.
      const reg = await call(stack.gatewayUrl, 'POST', '/v1/auth/register', {
        body: { email: viewerEmail, password: PASSWORD, displayName: 'Dee Tail' },
        headers: { 'user-agent': 'FlixTV/2.1 (Android TV)' },
      });
      expect(reg.status).toBe(200);
      const viewer = await newDevice(browser);
      await signIn(viewer.page, stack.gatewayUrl, viewerEmail);
      await viewer.context.close();

      const { page, problems, context } = await newDevice(browser);
      await signIn(page, stack.gatewayUrl, ADMIN.email, ADMIN.password);
      await page.getByRole('link', { name: 'Studio' }).click();
      await page.getByRole('navigation', { name: 'Studio' }).getByRole('link', { name: 'Users' }).click();
      await page.getByLabel('Search by e-mail').fill('detail-viewer');
      await page.getByRole('link', { name: viewerEmail }).click();

      await page.getByRole('heading', { name: viewerEmail, level: 1 }).waitFor();
      const sessions = page.getByRole('region', { name: 'Sessions table' });
      await sessions.waitFor();
      const rows = sessions.locator('tbody tr');
      await expect.poll(() => rows.count()).toBe(2);
      // Newest first: the browser, then the TV that registered.
      await expect.poll(() => rows.nth(0).textContent()).toMatch(/Chrome on Linux.*Active/);
      await expect.poll(() => rows.nth(1).textContent()).toMatch(/FlixTV on Android.*Active/);
      await page.getByRole('region', { name: 'Subscription' }).getByText('No subscription').waitFor();
      await page.getByRole('region', { name: 'Recent payments' }).getByText('No payments.').waitFor();
      await check(page, 'user-detail', problems);
      await sessions.scrollIntoViewIfNeeded();
      await check(page, 'user-detail-sessions', problems);

      // The admin's own page: the Admin box cannot be unticked, and the page says why.
      await page.getByRole('link', { name: '← All users' }).click();
      await page.getByLabel('Search by e-mail').fill(ADMIN.email);
      await page.getByRole('link', { name: ADMIN.email }).click();
      await page.getByRole('heading', { name: ADMIN.email, level: 1 }).waitFor();
      const own = page.getByRole('checkbox', { name: 'Admin' });
      await expect.poll(() => own.isDisabled()).toBe(true);
      expect(await own.isChecked()).toBe(true);
      await page.getByText('You cannot remove your own admin role; ask another admin.').waitFor();
      await check(page, 'user-detail-own-admin', problems);
      await context.close();
    });
  });
}
