/**
 * Studio → Users' admin API through the gateway: one account's detail (identity), its sign-ins
 * (identity's refresh-token families), and its subscription and receipts (billing, with the real
 * Stripe SDK against the Stripe emulator so that the subscription is made as a viewer makes it).
 */
import { randomUUID } from 'node:crypto';
import { startStripeEmulator, type StripeEmulator } from '@flix/stripe-emulator';
import { eventually as until } from '@flix/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, call, startTestStack, type TestStack } from '../support/stack.js';

const PASSWORD = 'a-long-and-uncommon-passphrase';
const STRIPE = { apiKey: 'sk_test_admin_users', webhookSecret: 'whsec_admin_users' };

interface Violation {
  field: string;
  description: string;
}
const violations = (body: { details?: { '@type': string; fieldViolations?: Violation[] }[] }): Violation[] =>
  body.details?.find((d) => d['@type'].endsWith('google.rpc.BadRequest'))?.fieldViolations ?? [];

let stack: TestStack;
let stripe: StripeEmulator;
let admin: { token: string; id: string };
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);

async function register(prefix: string, userAgent: string) {
  const res = await gw('POST', '/v1/auth/register', {
    body: { email: `${prefix}-${Date.now()}-${randomUUID().slice(0, 6)}@example.com`, password: PASSWORD, displayName: 'Sam Viewer' },
    headers: { 'user-agent': userAgent },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { user: { id: string; email: string }; accessToken: string; refreshToken: string };
}

beforeAll(async () => {
  stripe = await startStripeEmulator({ port: 0, ...STRIPE, webhookRetry: { maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 200 } });
  stack = await startTestStack({}, {
    billing: { STRIPE_API_BASE: stripe.url, STRIPE_SECRET_KEY: STRIPE.apiKey, STRIPE_WEBHOOK_SECRET: STRIPE.webhookSecret },
    billingOverrides: { clock: { now: () => new Date(stripe.now() * 1000) } },
  });
  stripe.setWebhookUrl(`${stack.gatewayUrl}/webhooks/stripe`);
  const login = await gw('POST', '/v1/auth/login', { body: ADMIN });
  admin = { token: login.body.accessToken, id: login.body.user.id };
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await stripe?.close();
});

describe('admin: a user’s detail', () => {
  const paths = (id: string) => [
    `/v1/admin/users/${id}`,
    `/v1/admin/users/${id}/sessions`,
    `/v1/admin/users/${id}/subscription`,
    `/v1/admin/users/${id}/payments`,
  ];

  it('is refused without a token (401) and to a viewer (403)', async () => {
    const viewer = await register('nosy', 'curl/8');
    for (const path of paths(viewer.user.id)) {
      expect((await gw('GET', path)).status, path).toBe(401);
      const denied = await gw('GET', path, { token: viewer.accessToken });
      expect(denied.status, path).toBe(403);
    }
  });

  it('names the field of a malformed id (400) and answers 404 for an unknown account', async () => {
    for (const path of paths('not-a-uuid')) {
      const bad = await gw('GET', path, { token: admin.token });
      expect(bad.status, path).toBe(400);
      expect(violations(bad.body).map(({ field, description }) => ({ field, description })), path).toEqual([{ field: 'userId', description: 'must be an account ID (a UUID)' }]);
    }
    const ghost = randomUUID();
    expect((await gw('GET', `/v1/admin/users/${ghost}`, { token: admin.token })).status).toBe(404);
    expect((await gw('GET', `/v1/admin/users/${ghost}/sessions`, { token: admin.token })).status).toBe(404);
    const noSub = await gw('GET', `/v1/admin/users/${ghost}/subscription`, { token: admin.token });
    expect(noSub.status).toBe(404);
    expect(noSub.body.message).toContain('no subscription');
    const badPage = await gw('GET', `/v1/admin/users/${admin.id}/sessions?pageToken=garbage`, { token: admin.token });
    expect(badPage.status).toBe(400);
    expect(violations(badPage.body).map((v) => v.field)).toEqual(['pageToken']);
  });

  it('shows the account with its roles and profiles', async () => {
    const viewer = await register('detail', 'curl/8');
    const res = await gw('GET', `/v1/admin/users/${viewer.user.id}`, { token: admin.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.user).toMatchObject({ id: viewer.user.id, email: viewer.user.email, displayName: 'Sam Viewer', roles: ['ROLE_VIEWER'] });
    expect(res.body.profiles).toEqual([expect.objectContaining({ name: 'Sam Viewer', kids: false })]);
  });

  it('lists each sign-in as a session, newest first, paged, with its device and state', async () => {
    const viewer = await register('sessions', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0');
    const second = await gw('POST', '/v1/auth/login', { body: { email: viewer.user.email, password: PASSWORD }, headers: { 'user-agent': 'FlixTV/2.1 (Android TV)' } });
    expect(second.status).toBe(200);
    // The TV refreshes once (its session is used later than it began); the browser signs out.
    const refreshed = await gw('POST', '/v1/auth/refresh', { body: { refreshToken: second.body.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect((await gw('POST', '/v1/auth/logout', { token: viewer.accessToken, body: { refreshToken: viewer.refreshToken } })).status).toBe(200);

    const res = await gw('GET', `/v1/admin/users/${viewer.user.id}/sessions`, { token: admin.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.sessions).toHaveLength(2);
    const [tv, browser] = res.body.sessions;
    expect(tv).toMatchObject({ userAgent: 'FlixTV/2.1 (Android TV)', state: 'USER_SESSION_STATE_ACTIVE' });
    expect(browser).toMatchObject({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0', state: 'USER_SESSION_STATE_REVOKED' });
    expect(Date.parse(tv.createTime)).toBeGreaterThanOrEqual(Date.parse(browser.createTime));
    expect(Date.parse(tv.lastUseTime)).toBeGreaterThanOrEqual(Date.parse(tv.createTime));
    expect(Date.parse(tv.expireTime)).toBeGreaterThan(Date.now() + 86_400_000);
    expect(browser.revokeTime).toMatch(/^\d{4}-/);
    expect(tv.revokeTime).toBeUndefined();
    expect(res.body.nextPageToken).toBe('');

    const first = await gw('GET', `/v1/admin/users/${viewer.user.id}/sessions?pageSize=1`, { token: admin.token });
    expect(first.body.sessions.map((s: { id: string }) => s.id)).toEqual([tv.id]);
    const next = await gw('GET', `/v1/admin/users/${viewer.user.id}/sessions?pageSize=1&pageToken=${first.body.nextPageToken}`, { token: admin.token });
    expect(next.body.sessions.map((s: { id: string }) => s.id)).toEqual([browser.id]);
    expect(next.body.nextPageToken).toBe('');
  });

  it('shows a subscriber’s subscription and receipts, and 404 for an account that never subscribed', async () => {
    const payer = await register('payer', 'curl/8');
    const never = await gw('GET', `/v1/admin/users/${payer.user.id}/subscription`, { token: admin.token });
    expect(never.status).toBe(404);
    const empty = await gw('GET', `/v1/admin/users/${payer.user.id}/payments`, { token: admin.token });
    expect(empty.body).toEqual({ payments: [], nextPageToken: '' });

    const checkout = await gw('POST', '/v1/checkout/sessions', { token: payer.accessToken, body: { planId: 'standard-monthly', successUrl: 'https://app.test/ok', cancelUrl: 'https://app.test/no' } });
    expect(checkout.status, JSON.stringify(checkout.body)).toBe(200);
    await stripe.pay(checkout.body.sessionId);
    const sub = await until(
      () => gw('GET', `/v1/admin/users/${payer.user.id}/subscription`, { token: admin.token }),
      (r) => r.body?.status === 'SUBSCRIPTION_STATUS_ACTIVE',
      'the payer’s active subscription, seen by the admin',
    );
    expect(sub.body).toMatchObject({ userId: payer.user.id, planId: 'standard-monthly', tier: 'PLAN_TIER_STANDARD', cancelAtPeriodEnd: false });
    // The same subscription the payer sees.
    expect((await gw('GET', '/v1/subscription', { token: payer.accessToken })).body.id).toBe(sub.body.id);

    const canceled = await gw('POST', '/v1/subscription:cancel', { token: payer.accessToken, body: {} });
    expect(canceled.status).toBe(200);
    expect((await gw('GET', `/v1/admin/users/${payer.user.id}/subscription`, { token: admin.token })).body.cancelAtPeriodEnd).toBe(true);

    const receipts = await until(
      () => gw('GET', `/v1/admin/users/${payer.user.id}/payments`, { token: admin.token }),
      (r) => r.body?.payments?.length === 1,
      'the payer’s receipt, seen by the admin',
    );
    expect(receipts.body.payments[0]).toMatchObject({ userId: payer.user.id, status: 'PAYMENT_STATUS_SUCCEEDED', amount: { amountMinor: '1549', currency: 'USD' } });
    // Another account's receipts are not mixed in.
    expect((await gw('GET', `/v1/admin/users/${admin.id}/payments`, { token: admin.token })).body.payments).toEqual([]);
  });
});
