import { describe, expect, it } from 'vitest';
import { dailySeries, incidentsInWindow, type SubscriptionSpan } from './daily.js';
import type { PlanPrice } from './model.js';

const at = (s: string) => new Date(s);
const prices = new Map<string, PlanPrice>([
  ['basic', { planId: 'basic', amountMinor: 999, currency: 'USD', months: 1 }],
  ['yearly', { planId: 'yearly', amountMinor: 12_000, currency: 'USD', months: 12 }],
  ['euro', { planId: 'euro', amountMinor: 500, currency: 'EUR', months: 1 }],
]);

describe('daily series', () => {
  const days = ['2026-03-01', '2026-03-02', '2026-03-03'];
  const subs: SubscriptionSpan[] = [
    // Active from day 1, churns on day 3.
    { planId: 'basic', state: 'expired', accessSince: at('2026-03-01T10:00:00Z'), endedAt: at('2026-03-03T08:00:00Z') },
    // Yearly from day 2 on.
    { planId: 'yearly', state: 'active', accessSince: at('2026-03-02T12:00:00Z') },
    // Trialing: active but not paying.
    { planId: 'basic', state: 'trialing', accessSince: at('2026-02-20T00:00:00Z') },
    // Another currency: paying, left out of MRR.
    { planId: 'euro', state: 'active', accessSince: at('2026-02-01T00:00:00Z') },
  ];
  const counters = new Map([
    ['2026-03-01', { dau: 3, plays: 4, sessionsEnded: 2, completions: 1, watchSeconds: 90, rebufferMs: 10_000, paymentsSucceeded: 3, paymentsFailed: 1, revenueMinor: 2997, loginsFailed: 2, deadLetters: 1, events: 20 }],
    ['2026-03-03', { dau: 1, plays: 1 }],
  ]);
  const series = dailySeries(days, counters, subs, prices, 'USD', at('2026-03-10T00:00:00Z'));

  it('gives every day of the window, zeros for a quiet day', () => {
    expect(series.map((d) => d.day)).toEqual(days);
    expect(series[1]).toMatchObject({ activeUsers: 0, plays: 0, completionRate: 0, rebufferingRatio: 0, paymentSuccessRate: 0, revenueMinor: 0 });
  });

  it("derives each day's rates from that day's counters", () => {
    expect(series[0]).toMatchObject({ activeUsers: 3, plays: 4, sessionsEnded: 2, watchSeconds: 90, completionRate: 0.5, paymentsSucceeded: 3, paymentsFailed: 1, paymentSuccessRate: 0.75, revenueMinor: 2997, loginsFailed: 2, deadLetters: 1, events: 20 });
    expect(series[0]!.rebufferingRatio).toBeCloseTo(10 / 100);
  });

  it('counts subscriptions as they stood at each day end, with MRR in the reporting currency', () => {
    expect(series.map((d) => [d.activeSubscriptions, d.payingSubscriptions, d.mrrMinor])).toEqual([
      [3, 2, 999],
      [4, 3, 999 + 1000],
      [3, 2, 1000],
    ]);
    expect(series.map((d) => [d.newSubscriptions, d.churnedSubscriptions])).toEqual([
      [1, 0],
      [1, 0],
      [0, 1],
    ]);
  });

  it('counts today as it stands now, not at midnight', () => {
    const today = dailySeries(['2026-03-02'], new Map(), subs, prices, 'USD', at('2026-03-02T11:00:00Z'));
    // The yearly plan starts at noon: not yet.
    expect(today[0]).toMatchObject({ activeSubscriptions: 3, payingSubscriptions: 2, newSubscriptions: 1 });
  });
});

describe('incidents in a window', () => {
  const from = at('2026-03-01T00:00:00Z');
  const to = at('2026-03-02T00:00:00Z');
  const i = (incidentId: string, raisedAt: string, resolvedAt?: string) => ({ incidentId, raisedAt: at(raisedAt), ...(resolvedAt ? { resolvedAt: at(resolvedAt) } : {}) });

  it('keeps those open at some point in the window, newest first, each once', () => {
    const got = incidentsInWindow(
      [
        i('before-resolved-before', '2026-02-27T00:00:00Z', '2026-02-28T00:00:00Z'),
        i('before-resolved-during', '2026-02-28T00:00:00Z', '2026-03-01T05:00:00Z'),
        i('during-open', '2026-03-01T10:00:00Z'),
        // The state document's copy (still open) and the history's (resolved): the resolved wins.
        i('during-resolved', '2026-03-01T08:00:00Z'),
        i('during-resolved', '2026-03-01T08:00:00Z', '2026-03-01T09:00:00Z'),
        i('before-still-open', '2026-02-01T00:00:00Z'),
        i('after', '2026-03-02T00:00:00Z'),
      ],
      from,
      to,
    );
    expect(got.map((x) => x.incidentId)).toEqual(['during-open', 'during-resolved', 'before-resolved-during', 'before-still-open']);
    expect(got[1]!.resolvedAt?.toISOString()).toBe('2026-03-01T09:00:00.000Z');
  });
});
