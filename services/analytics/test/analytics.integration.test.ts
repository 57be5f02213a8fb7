import { randomBytes } from 'node:crypto';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingEvents, engagementEvents, identityEvents, playbackEvents } from '@flix/contracts';
import { connectNats, type FlixEventMessage, type NatsClients } from '@flix/events';
import { createClient, type PromiseClient } from '@flix/grpc';
import { AnalyticsServiceService, type GetSummaryResponse } from '@flix/proto/flix/analytics/v1/analytics_service';
import { AlertKind } from '@flix/proto/flix/analytics/v1/resources';
import { PaymentKind, PaymentStatus, SubscriptionStatus } from '@flix/proto/flix/billing/v1/resources';
import { ErasedUsers } from '@flix/service';
import { freePort, startMongo, startNats, type MongoHandle, type NatsHandle } from '@flix/testkit';
import { startAnalytics, type AnalyticsHandle } from '../src/main.js';
import { consumersIdle, emit, emitAgain, eventually, startTestKeys } from './helpers.js';

let mongo: MongoHandle;
let natsServer: NatsHandle;
let nats: NatsClients;
let keys: Awaited<ReturnType<typeof startTestKeys>>;
let svc: AnalyticsHandle;
let client: PromiseClient<typeof AnalyticsServiceService>;
let env: Record<string, string>;

const PRICES = [
  { planId: 'basic-monthly', amountMinor: 899, currency: 'USD', months: 1 },
  { planId: 'premium-yearly', amountMinor: 19999, currency: 'USD', months: 12 },
];
const start = () => startAnalytics(env, { planPrices: async () => PRICES });
const admin = async () => ({ metadata: { authorization: `Bearer ${await keys.token('admin-1', ['admin'])}` } });
const summary = async (from: string, to: string, titleLimit = 0): Promise<GetSummaryResponse> =>
  client.getSummary({ from: new Date(from), to: new Date(to), titleLimit }, await admin());
const idle = () => eventually(() => consumersIdle(nats), (v) => v, 'analytics consumers idle', 20_000);
const at = (iso: string) => new Date(iso);
const rawCount = (from: string, to: string) => svc.db.collection('events').countDocuments({ time: { $gte: at(from), $lt: at(to) } });

async function alertSubjects(): Promise<Record<string, number>> {
  const info = await nats.jsm.streams.info('ANALYTICS', { subjects_filter: '>' });
  return (info.state.subjects ?? {}) as Record<string, number>;
}

beforeAll(async () => {
  [mongo, natsServer, keys] = await Promise.all([startMongo(), startNats(), startTestKeys()]);
  const [grpcPort, httpPort] = await Promise.all([freePort(), freePort()]);
  env = {
    MONGO_URL: mongo.url,
    MONGO_DB: `analytics_${randomBytes(4).toString('hex')}`,
    NATS_URL: natsServer.url,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(grpcPort),
    HTTP_PORT: String(httpPort),
    LOG_LEVEL: 'silent',
    FLIX_JWKS_URL: keys.jwksUrl,
    // The tests replay 2025: keep those raw events.
    FLIX_EVENT_RETENTION_DAYS: '3650',
    FLIX_ALERT_MIN_SAMPLES: '10',
    FLIX_ALERT_PAYMENT_FAILURE_RATE: '0.5',
    FLIX_ALERT_DEAD_LETTERS: '3',
    // Evaluations come from events in these tests, not from the timer.
    FLIX_ALERT_EVALUATE_SECONDS: '3600',
  };
  svc = await start();
  client = createClient(AnalyticsServiceService, `127.0.0.1:${grpcPort}`);
  nats = await connectNats(natsServer.url, 'analytics-test');
}, 60_000);

afterAll(async () => {
  client?.close();
  await nats?.drain();
  await svc?.stop();
  await Promise.all([mongo?.stop(), natsServer?.stop(), keys?.close()]);
});

describe('event store', () => {
  it('is a time-series collection', async () => {
    expect(svc.eventStoreKind).toBe('timeseries');
    const [info] = await svc.db.listCollections({ name: 'events' }).toArray();
    expect(info).toMatchObject({ type: 'timeseries', options: { timeseries: { timeField: 'time', metaField: 'meta' } } });
  });
});

describe('rollups', () => {
  it('count every event once, whatever the order and however often it is delivered', async () => {
    const t = (h: number) => at(`2025-03-10T${String(h).padStart(2, '0')}:00:00Z`);
    const published: { def: { subject: string }; event: FlixEventMessage; again: () => Promise<void> }[] = [];
    async function send<T extends FlixEventMessage>(def: Parameters<typeof emit<T>>[1], input: Parameters<typeof emit<T>>[2]) {
      const event = await emit(nats, def, input);
      published.push({ def, event, again: () => emitAgain(nats, def, event) });
    }
    // Ends arrive before their starts.
    await send(playbackEvents.sessionEnded, { occurTime: t(12), sessionId: 's1', userId: 'u1', movieId: 'm1', watchedSeconds: 1200, rebufferMs: 3000, completed: true });
    await send(playbackEvents.sessionEnded, { occurTime: t(13), sessionId: 's2', userId: 'u2', movieId: 'm1', watchedSeconds: 600, rebufferMs: 0, completed: false });
    await send(playbackEvents.sessionEnded, { occurTime: t(14), sessionId: 's3', userId: 'u1', movieId: 'm2', watchedSeconds: 100, rebufferMs: 900, completed: false });
    await send(playbackEvents.sessionStarted, { occurTime: t(12), sessionId: 's1', userId: 'u1', movieId: 'm1' });
    await send(playbackEvents.sessionStarted, { occurTime: t(13), sessionId: 's2', userId: 'u2', movieId: 'm1' });
    await send(playbackEvents.sessionStarted, { occurTime: t(14), sessionId: 's3', userId: 'u1', movieId: 'm2' });
    await send(identityEvents.loginSucceeded, { occurTime: t(9), userId: 'u1' });
    await send(identityEvents.loginSucceeded, { occurTime: t(10), userId: 'u1' });
    await send(identityEvents.loginFailed, { occurTime: t(9), email: 'x@flix.test' });
    await send(identityEvents.loginFailed, { occurTime: t(11), email: 'u2@flix.test', userId: 'u2' });
    await send(identityEvents.userRegistered, { occurTime: t(8), userId: 'u2', email: 'u2@flix.test' });
    await send(billingEvents.paymentSucceeded, { occurTime: t(15), payment: { id: 'p1', userId: 'u1', kind: PaymentKind.PAYMENT_KIND_SUBSCRIPTION, status: PaymentStatus.PAYMENT_STATUS_SUCCEEDED, planId: 'basic-monthly', amount: { amountMinor: 899, currency: 'USD' } } });
    await send(billingEvents.paymentFailed, { occurTime: t(15), payment: { id: 'p2', userId: 'u2', kind: PaymentKind.PAYMENT_KIND_SUBSCRIPTION, status: PaymentStatus.PAYMENT_STATUS_FAILED, amount: { amountMinor: 899, currency: 'USD' } } });
    await send(engagementEvents.watchlistAdded, { occurTime: t(16), userId: 'u3', profileId: 'p', movieId: 'm2' });
    // A type no contract defines yet: stored raw, counted as an event.
    const unknown = JSON.stringify({ eventId: 'evt-unknown-1', occurTime: t(17).toISOString(), userId: 'u4', note: 'new event type' });
    const h = natsHeaders();
    h.set('Flix-Event-Type', 'flix.engagement.v1.ReviewFlagged');
    await nats.js.publish('engagement.review.flagged', unknown, { headers: h, msgID: 'evt-unknown-1' });

    // Every event a second time.
    for (const p of published) await p.again();
    await nats.js.publish('engagement.review.flagged', unknown, { headers: h, msgID: 'evt-unknown-1-again' });
    await idle();

    const s = await summary('2025-03-10T05:00:00Z', '2025-03-10T20:00:00Z', 5);
    expect(s.from).toEqual(at('2025-03-10T00:00:00Z'));
    expect(s.to).toEqual(at('2025-03-11T00:00:00Z'));
    expect(s.eventsIngested).toBe(15);
    expect(s.users).toMatchObject({ registrations: 1, averageDailyActiveUsers: 3, dailyActiveUsers: [{ day: '2025-03-10', activeUsers: 3 }], monthlyActiveUsers: [{ month: '2025-03', activeUsers: 3 }] });
    expect(s.playback).toMatchObject({ plays: 3, sessionsEnded: 3, watchSeconds: 1900, completions: 1, rebufferMs: 3900 });
    expect(s.playback!.completionRate).toBeCloseTo(1 / 3);
    expect(s.playback!.rebufferingRatio).toBeCloseTo(3900 / (3900 + 1_900_000));
    expect(s.topTitlesByPlays.map((x) => [x.movieId, x.plays])).toEqual([['m1', 2], ['m2', 1]]);
    expect(s.topTitlesByWatchTime.map((x) => [x.movieId, x.watchSeconds])).toEqual([['m1', 1800], ['m2', 100]]);
    expect(s.topTitlesByRebuffering.map((x) => x.movieId)).toEqual(['m2', 'm1']);
    expect(s.topTitlesByPlays[0]).toMatchObject({ completions: 1, sessionsEnded: 2, completionRate: 0.5 });
    expect(s.payments).toMatchObject({ succeeded: 1, failed: 1, successRate: 0.5, revenueMinor: 899, currency: 'USD' });
    expect(s.auth).toMatchObject({ loginsSucceeded: 2, loginsFailed: 2, loginFailureRate: 0.5 });
    // One raw copy per event, the unknown type included.
    expect(await rawCount('2025-03-10T00:00:00Z', '2025-03-11T00:00:00Z')).toBe(15);
    expect(await svc.db.collection('events').findOne({ eventId: 'evt-unknown-1' })).toMatchObject({ meta: { stream: 'ENGAGEMENT', subject: 'engagement.review.flagged' }, type: 'flix.engagement.v1.ReviewFlagged', payload: { note: 'new event type' } });

    // The process died after the rollup commit and before the raw copy: the redelivery fills
    // in the raw copy and counts nothing again.
    const victim = published[0]!.event;
    await svc.db.collection('events').deleteOne({ eventId: victim.eventId });
    expect(await rawCount('2025-03-10T00:00:00Z', '2025-03-11T00:00:00Z')).toBe(14);
    await published[0]!.again();
    await idle();
    expect(await rawCount('2025-03-10T00:00:00Z', '2025-03-11T00:00:00Z')).toBe(15);
    const again = await summary('2025-03-10T00:00:00Z', '2025-03-11T00:00:00Z');
    expect(again.eventsIngested).toBe(15);
    expect(again.playback).toEqual(s.playback);
  });

  it('resume where they stopped after a restart, counting exactly', async () => {
    const t = (m: number) => at(`2025-05-20T10:${String(m).padStart(2, '0')}:00Z`);
    const first = [];
    for (let i = 0; i < 3; i++) first.push(await emit(nats, playbackEvents.sessionStarted, { occurTime: t(i), sessionId: `r${i}`, userId: `ru${i}`, movieId: 'm-restart' }));
    await idle();
    expect((await summary('2025-05-20T00:00:00Z', '2025-05-21T00:00:00Z')).playback?.plays).toBe(3);

    await svc.stop();
    for (let i = 3; i < 7; i++) await emit(nats, playbackEvents.sessionStarted, { occurTime: t(i), sessionId: `r${i}`, userId: `ru${i % 5}`, movieId: 'm-restart' });
    for (const e of first.slice(0, 2)) await emitAgain(nats, playbackEvents.sessionStarted, e);
    const pending = await nats.jsm.consumers.info('PLAYBACK', 'analytics');
    expect(pending.num_pending).toBe(6);
    svc = await start();
    await idle();

    const s = await summary('2025-05-20T00:00:00Z', '2025-05-21T00:00:00Z');
    expect(s.playback?.plays).toBe(7);
    expect(s.eventsIngested).toBe(7);
    expect(s.users?.dailyActiveUsers).toEqual([{ day: '2025-05-20', activeUsers: 5 }]);
    expect(s.topTitlesByPlays).toMatchObject([{ movieId: 'm-restart', plays: 7 }]);
    expect(await rawCount('2025-05-20T00:00:00Z', '2025-05-21T00:00:00Z')).toBe(7);
  }, 60_000);

  it('follow subscriptions to active counts, MRR and churn, whatever order their events arrive in', async () => {
    const sub = (id: string, userId: string, planId: string, status: SubscriptionStatus, time: string, extra: Record<string, unknown> = {}) => ({
      occurTime: at(time),
      subscription: { id, userId, planId, status, updateTime: at(time), ...extra },
    });
    // A: incomplete → active → expired, delivered newest first.
    await emit(nats, billingEvents.subscriptionExpired, sub('sa', 'ua', 'basic-monthly', SubscriptionStatus.SUBSCRIPTION_STATUS_EXPIRED, '2025-04-20T00:00:00Z', { endedTime: at('2025-04-20T00:00:00Z') }));
    await emit(nats, billingEvents.subscriptionActivated, sub('sa', 'ua', 'basic-monthly', SubscriptionStatus.SUBSCRIPTION_STATUS_ACTIVE, '2025-04-03T00:00:00Z'));
    await emit(nats, billingEvents.subscriptionCreated, sub('sa', 'ua', 'basic-monthly', SubscriptionStatus.SUBSCRIPTION_STATUS_INCOMPLETE, '2025-04-02T00:00:00Z'));
    // B: yearly, active since before the window.
    await emit(nats, billingEvents.subscriptionActivated, sub('sb', 'ub', 'premium-yearly', SubscriptionStatus.SUBSCRIPTION_STATUS_ACTIVE, '2025-03-15T00:00:00Z'));
    // C: trialing, so active but not paying.
    await emit(nats, billingEvents.subscriptionActivated, sub('sc', 'uc', 'basic-monthly', SubscriptionStatus.SUBSCRIPTION_STATUS_TRIALING, '2025-04-10T00:00:00Z'));
    // D: changed to a plan billing's list does not have; its price comes from the payment. The
    // change arrives before the activation.
    await emit(nats, billingEvents.subscriptionUpdated, { ...sub('sd', 'ud', 'premium-monthly', SubscriptionStatus.SUBSCRIPTION_STATUS_ACTIVE, '2025-04-25T00:00:00Z'), previousPlanId: 'basic-monthly' });
    await emit(nats, billingEvents.subscriptionActivated, sub('sd', 'ud', 'basic-monthly', SubscriptionStatus.SUBSCRIPTION_STATUS_ACTIVE, '2025-04-05T00:00:00Z'));
    await emit(nats, billingEvents.paymentSucceeded, { occurTime: at('2025-04-25T00:00:01Z'), payment: { id: 'pd', userId: 'ud', kind: PaymentKind.PAYMENT_KIND_SUBSCRIPTION, planId: 'premium-monthly', amount: { amountMinor: 1799, currency: 'USD' } } });
    await idle();

    const s = await summary('2025-04-01T00:00:00Z', '2025-05-01T00:00:00Z');
    expect(s.subscriptions).toEqual({
      activeSubscriptions: 3,
      payingSubscriptions: 2,
      mrrMinor: Math.round(19999 / 12) + 1799,
      currency: 'USD',
      activeAtStart: 1,
      newSubscriptions: 3,
      churnedSubscriptions: 1,
      churnRate: 1,
    });
    // Mid-April A was still active.
    const mid = await summary('2025-04-01T00:00:00Z', '2025-04-15T00:00:00Z');
    expect(mid.subscriptions).toMatchObject({ activeSubscriptions: 4, churnedSubscriptions: 0 });
    // Day by day: the last day's counts are the window's; A ends at midnight starting the 20th, D's payment lands on the 25th.
    expect(s.days).toHaveLength(30);
    const day = (d: string) => s.days.find((x) => x.day === d)!;
    expect(s.days.at(-1)).toMatchObject({ day: '2025-04-30', activeSubscriptions: 3, payingSubscriptions: 2, mrrMinor: Math.round(19999 / 12) + 1799 });
    expect(day('2025-04-18')).toMatchObject({ activeSubscriptions: 4, churnedSubscriptions: 0 });
    expect(day('2025-04-20')).toMatchObject({ activeSubscriptions: 3, churnedSubscriptions: 1 });
    expect(day('2025-04-25')).toMatchObject({ paymentsSucceeded: 1, revenueMinor: 1799, paymentSuccessRate: 1 });
    expect(s.days.reduce((n, d) => n + d.newSubscriptions, 0)).toBe(3);
  });
});

describe('an erased account', () => {
  it('an event about an account another instance erased moments ago is counted but leaves no raw copy or active-day marker', async () => {
    // Another analytics instance erased the account: this one learns it from memory only at its
    // next refresh (2 s), so the event is written first and must be erased again afterwards.
    const userId = `erased-${randomBytes(4).toString('hex')}`;
    await new ErasedUsers(svc.db).record(userId, new Date());
    await emit(nats, identityEvents.loginSucceeded, { occurTime: at('2025-05-02T09:00:00Z'), userId });
    await idle();
    expect(await svc.db.collection('events').countDocuments({ userId })).toBe(0);
    expect(await svc.db.collection('active_users').countDocuments({ _id: { $regex: `:${userId}$` } as never })).toBe(0);
    expect((await summary('2025-05-02T00:00:00Z', '2025-05-03T00:00:00Z')).auth).toMatchObject({ loginsSucceeded: 1 });
  });
});

describe('alerts', () => {
  it('raises one alert per incident when the payment failure rate crosses the threshold, and resolves it once', async () => {
    const pay = (ok: boolean) =>
      emit(nats, ok ? billingEvents.paymentSucceeded : billingEvents.paymentFailed, { payment: { id: `p-${randomBytes(3).toString('hex')}`, userId: 'u-alert', kind: PaymentKind.PAYMENT_KIND_SUBSCRIPTION, amount: { amountMinor: 899, currency: 'USD' } } });
    // 9 attempts: below the minimum sample, no alert however bad.
    for (let i = 0; i < 8; i++) await pay(false);
    await pay(true);
    await idle();
    expect((await alertSubjects())['analytics.alert.raised']).toBeUndefined();

    await pay(true); // 8 of 10 failed
    const raised = await eventually(alertSubjects, (s) => s['analytics.alert.raised'] === 1, 'alert raised');
    expect(raised['analytics.alert.resolved']).toBeUndefined();
    for (let i = 0; i < 5; i++) await pay(false); // the same incident goes on
    await idle();
    await svc.evaluateAlerts();
    const now = new Date();
    const open = await summary(new Date(now.getTime() - 86_400_000).toISOString(), now.toISOString());
    expect(open.openAlerts).toMatchObject([{ kind: AlertKind.ALERT_KIND_PAYMENT_FAILURE_RATE, threshold: 0.5, sampleSize: 10, value: 0.8 }]);

    for (let i = 0; i < 20; i++) await pay(true); // 13 of 35 failed
    const after = await eventually(alertSubjects, (s) => s['analytics.alert.resolved'] === 1, 'alert resolved');
    expect(after['analytics.alert.raised']).toBe(1);
    await idle();
    await svc.evaluateAlerts();
    expect((await alertSubjects())['analytics.alert.resolved']).toBe(1);
    const closed = await summary(new Date(now.getTime() - 86_400_000).toISOString(), new Date().toISOString());
    expect(closed.openAlerts).toEqual([]);
    // The incident stays in the window's history, with when it was resolved.
    const incident = closed.alerts.find((a) => a.alert?.kind === AlertKind.ALERT_KIND_PAYMENT_FAILURE_RATE);
    expect(incident?.alert).toMatchObject({ threshold: 0.5, value: 0.8 });
    expect(incident?.resolveTime).toBeInstanceOf(Date);
    expect(incident!.resolveTime!.getTime()).toBeGreaterThan(incident!.alert!.raiseTime!.getTime());
  });

  it('raises a dead-letter alert when messages pile up on the DLQ', async () => {
    for (let i = 0; i < 3; i++) {
      const h = natsHeaders();
      h.set('Flix-Dlq-Consumer', 'billing');
      h.set('Flix-Dlq-Reason', 'handler failed 5 times');
      await nats.js.publish('dlq.billing', JSON.stringify({ eventId: 'same-original-event' }), { headers: h, msgID: `BILLING:billing:${100 + i}` });
    }
    const s = await eventually(alertSubjects, (x) => (x['analytics.alert.raised'] ?? 0) === 2, 'dead-letter alert');
    expect(s['analytics.alert.raised']).toBe(2);
    const now = new Date();
    const sum = await summary(new Date(now.getTime() - 3_600_000).toISOString(), now.toISOString());
    expect(sum.deadLetters).toBe(3);
    expect(sum.openAlerts.map((a) => a.kind)).toContain(AlertKind.ALERT_KIND_DEAD_LETTERS);
  });
});

describe('summary API', () => {
  it('is for admins only and names the bad field', async () => {
    const from = at('2025-01-01T00:00:00Z');
    const to = at('2025-02-01T00:00:00Z');
    await expect(client.getSummary({ from, to, titleLimit: 0 })).rejects.toThrow(/access token/);
    const viewer = { metadata: { authorization: `Bearer ${await keys.token('viewer-1')}` } };
    await expect(client.getSummary({ from, to, titleLimit: 0 }, viewer)).rejects.toThrow(/admin/);
    const a = await admin();
    await expect(client.getSummary({ from: undefined, to, titleLimit: 0 }, a)).rejects.toThrow(/from: required/);
    await expect(client.getSummary({ from: to, to: from, titleLimit: 0 }, a)).rejects.toThrow(/to: must be after from/);
    await expect(client.getSummary({ from, to: at('2026-06-01T00:00:00Z'), titleLimit: 0 }, a)).rejects.toThrow(/to: must be at most 400 days/);
    await expect(client.getSummary({ from, to, titleLimit: 101 }, a)).rejects.toThrow(/titleLimit/);
    const empty = await client.getSummary({ from, to, titleLimit: 0 }, a);
    expect(empty.eventsIngested).toBe(0);
    expect(empty.users?.dailyActiveUsers).toHaveLength(31);
  });
});

describe('metrics', () => {
  it('exposes per-RPC requests and latency, consumer lag, outbox backlog and handled events on /metrics', async () => {
    await summary('2025-03-10T00:00:00Z', '2025-03-11T00:00:00Z');
    await client.getSummary({ from: undefined, to: undefined, titleLimit: 0 }, await admin()).catch(() => undefined);
    const text = await (await fetch(`http://127.0.0.1:${env.HTTP_PORT}/metrics`)).text();
    const has = (re: RegExp) => expect(text).toMatch(re);
    has(/^flix_grpc_server_requests_total\{service="analytics",method="GetSummary",code="OK"\} [1-9]\d*$/m);
    has(/^flix_grpc_server_requests_total\{service="analytics",method="GetSummary",code="INVALID_ARGUMENT"\} [1-9]\d*$/m);
    has(/^flix_grpc_server_handling_seconds_bucket\{le="0\.1",service="analytics",method="GetSummary",code="OK"\} \d+$/m);
    has(/^flix_grpc_server_handling_seconds_count\{service="analytics",method="GetSummary",code="OK"\} [1-9]\d*$/m);
    for (const stream of ['IDENTITY', 'CATALOG', 'BILLING', 'PLAYBACK', 'ENGAGEMENT', 'DLQ']) {
      has(new RegExp(`^flix_consumer_lag\\{stream="${stream}",consumer="analytics"\\} \\d+$`, 'm'));
      has(new RegExp(`^flix_consumer_pending\\{stream="${stream}",consumer="analytics"\\} \\d+$`, 'm'));
      has(new RegExp(`^flix_consumer_ack_pending\\{stream="${stream}",consumer="analytics"\\} \\d+$`, 'm'));
    }
    has(/^flix_events_handled_total\{consumer="analytics",subject="playback.session.started",result="ok"\} [1-9]\d*$/m);
    has(/^flix_events_handled_total\{consumer="analytics",subject="engagement.review.flagged",result="ok"\} [1-9]\d*$/m);
    has(/^flix_outbox_backlog\{service="analytics"\} \d+$/m);
    has(/^flix_events_published_total\{subject="analytics.alert.raised"\} [1-9]\d*$/m);
  });
});
