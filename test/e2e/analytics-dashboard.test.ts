/**
 * The Studio dashboard's series through the gateway: events published on fixed past days (as
 * their producers publish them) come back as that day's values in GET /v1/admin/analytics/summary,
 * and today's real sign-in failure shows on today.
 */
import { randomBytes } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingEvents, identityEvents, playbackEvents } from '@flix/contracts';
import { publishEvent, type EventDef, type EventInit, type FlixEventMessage } from '@flix/events';
import { PaymentKind, SubscriptionStatus } from '@flix/proto/flix/billing/v1/resources';
import { eventually as until } from '@flix/testkit';
import { ADMIN, call, startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
let nc: NatsConnection;
let adminToken: string;
let viewerToken: string;
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);
const summaryPath = (from: string, to: string) => `/v1/admin/analytics/summary?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
const emit = <T extends FlixEventMessage>(def: EventDef<T>, input: EventInit<T>) => publishEvent(jetstream(nc), def, input);
const at = (iso: string) => new Date(iso);

// A run of its own: ids no other test uses, on days no other test writes to.
const run = randomBytes(3).toString('hex');
const PLAN = `e2e-dash-${run}-monthly`;
const movie = `m-dash-${run}`;

beforeAll(async () => {
  stack = await startTestStack();
  nc = await connect({ servers: stack.nats.url });
  const login = await gw('POST', '/v1/auth/login', { body: { email: ADMIN.email, password: ADMIN.password } });
  expect(login.status).toBe(200);
  adminToken = login.body.accessToken;
  const reg = await gw('POST', '/v1/auth/register', {
    body: { email: `viewer-${run}@flix.test`, password: 'A-long-enough-passphrase-1', displayName: 'Viewer', preferredLanguage: 'en' },
  });
  expect(reg.status).toBe(200);
  viewerToken = reg.body.accessToken;
}, 120_000);

afterAll(async () => {
  await nc?.close();
  await stack?.stop();
});

describe('GET /v1/admin/analytics/summary: days and alerts', () => {
  it('is for signed-in admins only', async () => {
    const path = summaryPath('2025-06-01T00:00:00Z', '2025-06-04T00:00:00Z');
    expect((await gw('GET', path)).status).toBe(401);
    const viewer = await gw('GET', path, { token: viewerToken });
    expect(viewer.status).toBe(403);
  });

  it('answers 400 naming the field for a missing or invalid from/to, or a window over 400 days', async () => {
    const noTo = await gw('GET', '/v1/admin/analytics/summary?from=2025-06-01T00:00:00Z', { token: adminToken });
    expect(noTo.status).toBe(400);
    expect(noTo.body.message).toMatch(/^to: required/);
    const badFrom = await gw('GET', summaryPath('not-a-time', '2025-06-04T00:00:00Z'), { token: adminToken });
    expect(badFrom.status).toBe(400);
    const long = await gw('GET', summaryPath('2025-01-01T00:00:00Z', '2026-02-06T00:00:00Z'), { token: adminToken });
    expect(long.status).toBe(400);
    expect(long.body.message).toMatch(/to: must be at most 400 days after from/);
    // Exactly 400 days is fine, and gives 400 days.
    const max = await gw('GET', summaryPath('2025-01-01T00:00:00Z', '2026-02-05T00:00:00Z'), { token: adminToken });
    expect(max.status).toBe(200);
    expect(max.body.days).toHaveLength(400);
  });

  it("gives each day of the window that day's plays, watch time, subscriptions, payments and sign-in failures", async () => {
    const sub = (status: SubscriptionStatus, time: string, extra: Record<string, unknown> = {}) => ({
      occurTime: at(time),
      subscription: { id: `sub-${run}`, userId: `u1-${run}`, planId: PLAN, status, updateTime: at(time), ...extra },
    });
    // 1 June: two plays, one of them ends completed after 100 s with 25 s of rebuffering; a
    // subscription starts and its first payment succeeds.
    await emit(playbackEvents.sessionStarted, { occurTime: at('2025-06-01T09:00:00Z'), sessionId: `s1-${run}`, userId: `u1-${run}`, movieId: movie });
    await emit(playbackEvents.sessionStarted, { occurTime: at('2025-06-01T10:00:00Z'), sessionId: `s2-${run}`, userId: `u2-${run}`, movieId: movie });
    await emit(playbackEvents.sessionEnded, { occurTime: at('2025-06-01T09:30:00Z'), sessionId: `s1-${run}`, userId: `u1-${run}`, movieId: movie, watchedSeconds: 100, rebufferMs: 25_000, completed: true });
    await emit(billingEvents.subscriptionActivated, sub(SubscriptionStatus.SUBSCRIPTION_STATUS_ACTIVE, '2025-06-01T08:00:00Z'));
    await emit(billingEvents.paymentSucceeded, {
      occurTime: at('2025-06-01T08:00:01Z'),
      payment: { id: `p1-${run}`, userId: `u1-${run}`, kind: PaymentKind.PAYMENT_KIND_SUBSCRIPTION, planId: PLAN, amount: { amountMinor: 899, currency: 'USD' } },
    });
    // 2 June: nothing. 3 June: the renewal fails, the subscription expires, a sign-in fails.
    await emit(billingEvents.paymentFailed, {
      occurTime: at('2025-06-03T08:00:00Z'),
      payment: { id: `p2-${run}`, userId: `u1-${run}`, kind: PaymentKind.PAYMENT_KIND_SUBSCRIPTION, planId: PLAN, amount: { amountMinor: 899, currency: 'USD' } },
    });
    await emit(billingEvents.subscriptionExpired, sub(SubscriptionStatus.SUBSCRIPTION_STATUS_EXPIRED, '2025-06-03T12:00:00Z', { endedTime: at('2025-06-03T12:00:00Z') }));
    await emit(identityEvents.loginFailed, { occurTime: at('2025-06-03T13:00:00Z'), email: `nobody-${run}@flix.test` });

    const r = await until(
      () => gw('GET', summaryPath('2025-06-01T00:00:00Z', '2025-06-04T00:00:00Z'), { token: adminToken }),
      // Every event above counted: payments and subscriptions may be consumed in either order.
      (x) => x.status === 200 && x.body.days?.[0]?.plays === '2' && x.body.days?.[0]?.sessionsEnded === '1' && x.body.days?.[0]?.paymentsSucceeded === '1' && x.body.days?.[2]?.paymentsFailed === '1' && x.body.days?.[2]?.loginsFailed === '1' && x.body.days?.[2]?.churnedSubscriptions === '1',
      'the published days in the summary',
    );
    const [d1, d2, d3] = r.body.days;
    expect(r.body.days.map((d: { day: string }) => d.day)).toEqual(['2025-06-01', '2025-06-02', '2025-06-03']);
    expect(d1).toMatchObject({
      activeUsers: '2',
      plays: '2',
      sessionsEnded: '1',
      watchSeconds: 100,
      completionRate: 1,
      activeSubscriptions: '1',
      payingSubscriptions: '1',
      // The plan's price as seen in its payment.
      mrrMinor: '899',
      newSubscriptions: '1',
      paymentsSucceeded: '1',
      paymentSuccessRate: 1,
      revenueMinor: '899',
    });
    expect(d1.rebufferingRatio).toBeCloseTo(25 / 125);
    expect(d2).toMatchObject({ plays: '0', activeUsers: '0', activeSubscriptions: '1', mrrMinor: '899', revenueMinor: '0' });
    expect(d3).toMatchObject({ activeSubscriptions: '0', mrrMinor: '0', churnedSubscriptions: '1', paymentsFailed: '1', paymentSuccessRate: 0, loginsFailed: '1' });
    // The days add up to the window's totals.
    expect(r.body.playback.plays).toBe('2');
    expect(r.body.payments.revenueMinor).toBe('899');
    expect(r.body.subscriptions).toMatchObject({ newSubscriptions: '1', churnedSubscriptions: '1', activeSubscriptions: '0' });
    expect(r.body.alerts).toEqual([]);
  });

  it("shows today's real failed sign-in on today's entry", async () => {
    const bad = await gw('POST', '/v1/auth/login', { body: { email: ADMIN.email, password: 'not-the-password' } });
    expect(bad.status).toBe(401);
    const from = new Date();
    from.setUTCHours(0, 0, 0, 0);
    const to = new Date(from.getTime() + 86_400_000);
    const r = await until(
      () => gw('GET', summaryPath(from.toISOString(), to.toISOString()), { token: adminToken }),
      (x) => x.status === 200 && Number(x.body.days?.[0]?.loginsFailed) >= 1,
      "today's failed sign-in",
    );
    expect(r.body.days).toHaveLength(1);
    expect(r.body.days[0].day).toBe(from.toISOString().slice(0, 10));
    expect(r.body.days[0].loginsFailed).toBe(r.body.auth.loginsFailed);
    expect(r.body.days[0].activeUsers).toBe(r.body.users.dailyActiveUsers[0].activeUsers);
  });
});
