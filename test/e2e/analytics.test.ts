/**
 * Analytics end to end through the gateway: real identity, billing, playback and engagement
 * publish their events; analytics' durable consumers fold them into the rollups; an admin reads
 * the KPIs from GET /v1/admin/analytics/summary.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, call, startTestStack, type TestStack } from '../support/stack.js';
import { eventually as until } from '@flix/testkit';

let stack: TestStack;
let adminToken: string;
let viewerToken: string;
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);

const today = () => {
  const from = new Date();
  from.setUTCHours(0, 0, 0, 0);
  return { from: from.toISOString(), to: new Date(from.getTime() + 86_400_000).toISOString() };
};
const summaryPath = (from: string, to: string, extra = '') => `/v1/admin/analytics/summary?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}${extra}`;

beforeAll(async () => {
  stack = await startTestStack();
  const login = await gw('POST', '/v1/auth/login', { body: { email: ADMIN.email, password: ADMIN.password } });
  expect(login.status).toBe(200);
  adminToken = login.body.accessToken;
  const reg = await gw('POST', '/v1/auth/register', {
    body: { email: `viewer-${randomBytes(4).toString('hex')}@flix.test`, password: 'A-long-enough-passphrase-1', displayName: 'Viewer', preferredLanguage: 'en' },
  });
  expect(reg.status).toBe(200);
  viewerToken = reg.body.accessToken;
  const bad = await gw('POST', '/v1/auth/login', { body: { email: ADMIN.email, password: 'not-the-password' } });
  expect(bad.status).toBe(401);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('GET /v1/admin/analytics/summary', () => {
  it("shows today's sign-ups, sign-ins and failed sign-ins to an admin", async () => {
    const { from, to } = today();
    const r = await until(
      () => gw('GET', summaryPath(from, to, '&titleLimit=5'), { token: adminToken }),
      (x) => x.status === 200 && Number(x.body.auth.loginsFailed) === 1 && Number(x.body.users.registrations) >= 1,
      'identity events in the summary',
    );
    expect(r.body.from).toBe(from.replace('.000Z', 'Z'));
    expect(r.body.to).toBe(to.replace('.000Z', 'Z'));
    expect(Number(r.body.auth.loginsSucceeded)).toBeGreaterThanOrEqual(1);
    expect(r.body.auth.loginFailureRate).toBeGreaterThan(0);
    // The admin signed in and the viewer registered: two active accounts today.
    expect(r.body.users.dailyActiveUsers).toEqual([{ day: from.slice(0, 10), activeUsers: '2' }]);
    expect(Number(r.body.eventsIngested)).toBeGreaterThanOrEqual(3);
    // Every KPI group is present even when nothing happened in it.
    expect(r.body.playback).toMatchObject({ plays: '0', completionRate: 0, rebufferingRatio: 0 });
    expect(r.body.subscriptions).toMatchObject({ activeSubscriptions: '0', mrrMinor: '0', currency: 'USD', churnRate: 0 });
    expect(r.body.payments).toMatchObject({ succeeded: '0', failed: '0', successRate: 0 });
    expect(r.body.topTitlesByPlays).toEqual([]);
    expect(r.body.openAlerts).toEqual([]);
  });

  it('needs a signed-in admin', async () => {
    const { from, to } = today();
    const anonymous = await gw('GET', summaryPath(from, to));
    expect(anonymous.status).toBe(401);
    const viewer = await gw('GET', summaryPath(from, to), { token: viewerToken });
    // The gateway's RBAC refuses a viewer before analytics (which refuses too) is asked.
    expect(viewer.status).toBe(403);
  });

  it('answers 400 naming the field for a bad window', async () => {
    const { from, to } = today();
    const missing = await gw('GET', `/v1/admin/analytics/summary?to=${encodeURIComponent(to)}`, { token: adminToken });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/^from: required/);
    const reversed = await gw('GET', summaryPath(to, from), { token: adminToken });
    expect(reversed.status).toBe(400);
    expect(reversed.body.message).toMatch(/to: must be after from/);
    const tooLong = await gw('GET', summaryPath('2024-01-01T00:00:00Z', '2026-01-01T00:00:00Z'), { token: adminToken });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.message).toMatch(/to: must be at most 400 days after from/);
    const limit = await gw('GET', summaryPath(from, to, '&titleLimit=1000'), { token: adminToken });
    expect(limit.status).toBe(400);
    expect(limit.body.message).toMatch(/titleLimit/);
    const garbage = await gw('GET', '/v1/admin/analytics/summary?from=yesterday&to=today', { token: adminToken });
    expect(garbage.status).toBe(400);
  });
});
