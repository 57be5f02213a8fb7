/**
 * Analytics: a viewer subscribes (Stripe Checkout on the emulator) and plays a demo title; an
 * admin opens Studio → Analytics, picks today, and the dashboard shows those plays and the
 * subscription — the very numbers the summary API gives.
 */
import { describe, expect, it } from 'vitest';
import { eventually as until } from '@flix/testkit';
import { ADMIN, call } from '../../support/stack.js';
import { newDevice } from '../support/browser.js';
import { PASSWORD, signIn, type Studio } from './context.js';

const MOVIE = 'demo-000001';

export function analyticsScenario(studio: Studio): void {
  describe('analytics', { timeout: 120_000 }, () => {
    const stamp = Date.now();
    const email = `studio-analyst-viewer-${stamp}@example.com`;

    it('a viewer subscribes and plays a title', async () => {
      const { stack, journey } = studio();
      const gw = stack.gatewayUrl;
      const reg = await call(gw, 'POST', '/v1/auth/register', { body: { email, password: PASSWORD, displayName: 'Analyst viewer' } });
      expect(reg.status, JSON.stringify(reg.body)).toBe(200);
      const token = reg.body.accessToken as string;
      const checkout = await call(gw, 'POST', '/v1/checkout/sessions', { token, body: { planId: 'standard-monthly', successUrl: `${gw}/account`, cancelUrl: `${gw}/account` } });
      expect(checkout.status, JSON.stringify(checkout.body)).toBe(200);
      await journey.stripe.pay(checkout.body.sessionId);
      await until(() => call(gw, 'GET', '/v1/subscription', { token }), (r) => r.body?.status === 'SUBSCRIPTION_STATUS_ACTIVE', 'active subscription');

      const profiles = await call(gw, 'GET', '/v1/users/me/profiles', { token });
      const profileId = profiles.body.profiles[0].id as string;
      const started = await until(
        () => call(gw, 'POST', '/v1/playback/sessions', { token, body: { movieId: MOVIE, profileId, deviceId: `studio-analytics-${stamp}` } }),
        (r) => r.status === 200,
        'a playback session (the entitlement follows the subscription)',
      );
      const stopped = await call(gw, 'POST', `/v1/playback/sessions/${started.body.sessionId}:stop`, { token, body: { positionSeconds: 30 } });
      expect(stopped.status, JSON.stringify(stopped.body)).toBe(200);
    });

    it('an admin picks today in Studio → Analytics and sees the plays and subscriptions the API counts', async () => {
      const { stack, browser, check } = studio();
      const gw = stack.gatewayUrl;
      const admin = await call(gw, 'POST', '/v1/auth/login', { body: { email: ADMIN.email, password: ADMIN.password } });
      const from = new Date();
      from.setUTCHours(0, 0, 0, 0);
      const to = new Date(from.getTime() + 86_400_000);
      const path = `/v1/admin/analytics/summary?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}&titleLimit=10`;
      // Analytics folds the events in asynchronously: wait until it has counted them.
      const api = await until(
        () => call(gw, 'GET', path, { token: admin.body.accessToken }),
        (r) => r.status === 200 && Number(r.body.playback.plays) >= 1 && Number(r.body.subscriptions.activeSubscriptions) >= 1,
        'the play and the subscription in the summary',
      );

      const { page, problems, context } = await newDevice(browser, { viewport: { width: 1440, height: 1000 } });
      await signIn(page, gw, ADMIN.email, ADMIN.password);
      await page.getByRole('link', { name: 'Studio' }).click();
      await page.getByRole('navigation', { name: 'Studio' }).getByRole('link', { name: 'Analytics' }).click();
      await page.getByRole('heading', { name: 'Analytics', level: 1 }).waitFor();
      await page.getByRole('group', { name: 'Plays' }).waitFor();
      await check(page, 'analytics-7-days', problems);

      await page.getByRole('button', { name: 'Today' }).click();
      await expect.poll(() => page.getByRole('button', { name: 'Today' }).getAttribute('aria-pressed')).toBe('true');
      await page.getByRole('status').filter({ hasText: '1 day · UTC' }).waitFor();
      const value = (label: string) => page.getByRole('group', { name: label }).locator('.an-kpi-value').innerText();
      const plays = Number(api.body.playback.plays);
      const active = Number(api.body.subscriptions.activeSubscriptions);
      // The page may have read a moment later than the test: never fewer than the API said.
      await expect.poll(async () => Number((await value('Plays')).replace(/,/g, ''))).toBeGreaterThanOrEqual(plays);
      await expect.poll(async () => Number((await value('Active subscriptions')).replace(/,/g, ''))).toBeGreaterThanOrEqual(active);
      // The page's numbers are the API's at the time it loaded: read them again and compare.
      const now = await call(gw, 'GET', path, { token: admin.body.accessToken });
      expect(await value('Plays')).toBe(new Intl.NumberFormat('en').format(Number(now.body.playback.plays)));
      expect(await value('Active subscriptions')).toBe(new Intl.NumberFormat('en').format(Number(now.body.subscriptions.activeSubscriptions)));
      // The title played is among the most played, by name.
      await page.getByRole('region', { name: 'Most played' }).getByRole('rowheader').first().waitFor();
      await expect.poll(() => page.getByRole('img', { name: /^Plays: / }).count()).toBe(1);
      await check(page, 'analytics-today', problems);

      // A chart's numbers, a click away.
      await page.getByText('Table of plays').click();
      await page.getByRole('region', { name: 'Plays by day' }).waitFor();
      await check(page, 'analytics-today-table', problems);

      // A custom range the API would refuse is stopped beside the field.
      await page.getByRole('button', { name: 'Custom' }).click();
      await page.getByLabel('First day (UTC)').fill('2024-01-01');
      await page.getByRole('button', { name: 'Show' }).click();
      await page.getByText('At most 400 days.', { exact: true }).waitFor();
      await check(page, 'analytics-custom-invalid', problems);
      await context.close();
    });
  });
}
