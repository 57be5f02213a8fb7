import { DAILY_COUNTERS, type PlanPrice } from './model.js';
import { ratio, rebufferingRatio, type DailyTotals } from './summary.js';

const DAY_MS = 86_400_000;

/** One day's counters as the `daily` rollup keeps them (absent when nothing happened). */
export type DayCounters = Partial<DailyTotals> & { dau?: number };

/** What the per-day series needs of a subscription. */
export interface SubscriptionSpan {
  planId?: string;
  state?: string;
  accessSince?: Date;
  endedAt?: Date;
}

export interface DayValues {
  day: string;
  activeUsers: number;
  registrations: number;
  plays: number;
  sessionsEnded: number;
  watchSeconds: number;
  completionRate: number;
  rebufferingRatio: number;
  activeSubscriptions: number;
  payingSubscriptions: number;
  mrrMinor: number;
  newSubscriptions: number;
  churnedSubscriptions: number;
  paymentsSucceeded: number;
  paymentsFailed: number;
  paymentSuccessRate: number;
  revenueMinor: number;
  loginsSucceeded: number;
  loginsFailed: number;
  deadLetters: number;
  events: number;
}

/** A subscription gives access at `at` when access began at or before it and had not ended. */
export const activeAt = (s: SubscriptionSpan, at: Date): boolean =>
  !!s.accessSince && s.accessSince.getTime() <= at.getTime() && (!s.endedAt || s.endedAt.getTime() > at.getTime());

/**
 * MRR of the paying subscriptions among `subs`, in minor units of `currency`: per plan, price ×
 * count ÷ months the price covers (rounded per plan, as the window total is). Paying means not
 * trialing in the subscription's current state.
 */
export function mrrOf(payingByPlan: Map<string, number>, prices: Map<string, PlanPrice>, currency: string): number {
  let mrr = 0;
  for (const [planId, n] of payingByPlan) {
    const p = prices.get(planId);
    if (p && p.currency === currency) mrr += Math.round((p.amountMinor * n) / p.months);
  }
  return mrr;
}

export function payingByPlan(subs: SubscriptionSpan[], at: Date): Map<string, number> {
  const byPlan = new Map<string, number>();
  for (const s of subs) if (activeAt(s, at) && s.state !== 'trialing') byPlan.set(s.planId ?? '', (byPlan.get(s.planId ?? '') ?? 0) + 1);
  return byPlan;
}

/**
 * The window's days, each with its counters and the subscriptions as they stood at the day's
 * end — or at `now` for today and later days, the same "now" the window totals use, so the last
 * day's counts equal the totals'.
 */
export function dailySeries(
  days: string[],
  counters: Map<string, DayCounters>,
  subs: SubscriptionSpan[],
  prices: Map<string, PlanPrice>,
  currency: string,
  now: Date,
): DayValues[] {
  return days.map((day) => {
    const start = new Date(`${day}T00:00:00.000Z`);
    const end = new Date(Math.min(start.getTime() + DAY_MS, now.getTime()));
    const c = counters.get(day) ?? {};
    const n = (k: (typeof DAILY_COUNTERS)[number]) => Number(c[k] ?? 0);
    const dayEnd = start.getTime() + DAY_MS;
    const within = (t: Date | undefined) => !!t && t.getTime() >= start.getTime() && t.getTime() < dayEnd;
    const paying = payingByPlan(subs, end);
    return {
      day,
      activeUsers: Number(c.dau ?? 0),
      registrations: n('registrations'),
      plays: n('plays'),
      sessionsEnded: n('sessionsEnded'),
      watchSeconds: n('watchSeconds'),
      completionRate: ratio(n('completions'), n('sessionsEnded')),
      rebufferingRatio: rebufferingRatio(n('rebufferMs'), n('watchSeconds')),
      activeSubscriptions: subs.filter((s) => activeAt(s, end)).length,
      payingSubscriptions: [...paying.values()].reduce((a, b) => a + b, 0),
      mrrMinor: mrrOf(paying, prices, currency),
      newSubscriptions: subs.filter((s) => within(s.accessSince)).length,
      churnedSubscriptions: subs.filter((s) => within(s.endedAt)).length,
      paymentsSucceeded: n('paymentsSucceeded'),
      paymentsFailed: n('paymentsFailed'),
      paymentSuccessRate: ratio(n('paymentsSucceeded'), n('paymentsSucceeded') + n('paymentsFailed')),
      revenueMinor: n('revenueMinor'),
      loginsSucceeded: n('loginsSucceeded'),
      loginsFailed: n('loginsFailed'),
      deadLetters: n('deadLetters'),
      events: n('events'),
    };
  });
}

/** An incident as the alert history keeps it. */
export interface IncidentRecord {
  incidentId: string;
  raisedAt: Date;
  resolvedAt?: Date;
}

/**
 * Incidents open at some point during [from, to): raised before `to` and not resolved before
 * `from`; newest raise first. The same incident from two sources (history and current state)
 * counts once, the resolved copy winning.
 */
export function incidentsInWindow<T extends IncidentRecord>(records: T[], from: Date, to: Date): T[] {
  const byId = new Map<string, T>();
  for (const r of records) {
    const prev = byId.get(r.incidentId);
    if (!prev || (!prev.resolvedAt && r.resolvedAt)) byId.set(r.incidentId, r);
  }
  return [...byId.values()]
    .filter((r) => r.raisedAt.getTime() < to.getTime() && (!r.resolvedAt || r.resolvedAt.getTime() >= from.getTime()))
    .sort((a, b) => b.raisedAt.getTime() - a.raisedAt.getTime() || (a.incidentId < b.incidentId ? -1 : 1));
}
