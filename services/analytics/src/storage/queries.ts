import type { Db, Filter } from 'mongodb';
import { DAILY_COUNTERS, TITLE_COUNTERS, type PlanPrice } from '../domain/model.js';
import type { DayCounters, SubscriptionSpan } from '../domain/daily.js';
import type { DailyTotals, TitleTotals } from '../domain/summary.js';
import type { SubscriptionCounts, SummaryReadModel } from '../domain/ports.js';
import type { DailyDoc, SubscriptionDoc } from './rollups.js';

/** Reads the rollups for the summary. */
export class SummaryQueries implements SummaryReadModel {
  constructor(private readonly db: Db) {}

  /** Totals over the days, each day's distinct active users and each day's counters. */
  async daily(days: string[]): Promise<{ totals: DailyTotals; dau: Map<string, number>; byDay: Map<string, DayCounters> }> {
    const docs = (await this.db.collection<DailyDoc>('daily').find({ _id: { $in: days } }).toArray()) as (DailyDoc & Record<string, unknown>)[];
    const totals = Object.fromEntries(DAILY_COUNTERS.map((c) => [c, 0])) as DailyTotals;
    const dau = new Map<string, number>();
    const byDay = new Map<string, DayCounters>();
    for (const d of docs) {
      const day: DayCounters = { dau: Number(d.dau ?? 0) };
      for (const c of DAILY_COUNTERS) {
        totals[c] += Number(d[c] ?? 0);
        day[c] = Number(d[c] ?? 0);
      }
      dau.set(d._id, Number(d.dau ?? 0));
      byDay.set(d._id, day);
    }
    return { totals, dau, byDay };
  }

  async monthlyActive(months: string[]): Promise<Map<string, number>> {
    const docs = await this.db.collection<{ _id: string; mau?: number }>('monthly').find({ _id: { $in: months } }).toArray();
    return new Map(docs.map((d) => [d._id, Number(d.mau ?? 0)]));
  }

  async titles(days: string[]): Promise<TitleTotals[]> {
    const group: Record<string, unknown> = { _id: '$movieId' };
    for (const c of TITLE_COUNTERS) group[c] = { $sum: `$${c}` };
    const rows = await this.db
      .collection('title_daily')
      .aggregate<Record<string, unknown>>([{ $match: { day: { $in: days } } }, { $group: group }])
      .toArray();
    return rows.map((r) => {
      const t = { movieId: String(r._id) } as TitleTotals;
      for (const c of TITLE_COUNTERS) t[c] = Number(r[c] ?? 0);
      return t;
    });
  }

  /**
   * Subscriptions that gave access at `at`: access began at or before it and had not ended.
   * (Paying vs trialing uses the current state: a trial that converted counts as paying.)
   */
  private activeAt(at: Date): Filter<SubscriptionDoc> {
    return { accessSince: { $lte: at }, $or: [{ endedAt: { $exists: false } }, { endedAt: { $gt: at } }] };
  }

  async subscriptions(from: Date, to: Date): Promise<SubscriptionCounts> {
    const subs = this.db.collection<SubscriptionDoc>('subscriptions');
    // "Now" for a window ending in the future: the state as it stands.
    const end = new Date(Math.min(to.getTime(), Date.now()));
    const activeNow = this.activeAt(end);
    const [activeEnd, payingByPlan, activeAtStart, started, churned] = await Promise.all([
      subs.countDocuments(activeNow),
      subs
        .aggregate<{ _id: string; n: number }>([{ $match: { ...activeNow, state: { $ne: 'trialing' } } }, { $group: { _id: '$planId', n: { $sum: 1 } } }])
        .toArray(),
      subs.countDocuments(this.activeAt(from)),
      subs.countDocuments({ accessSince: { $gte: from, $lt: to } }),
      subs.countDocuments({ endedAt: { $gte: from, $lt: to } }),
    ]);
    return { activeEnd, payingByPlan: new Map(payingByPlan.map((r) => [r._id, r.n])), activeAtStart, started, churned };
  }

  /** Subscriptions that gave access at some point in [from, to): the per-day series' input. */
  async subscriptionSpans(from: Date, to: Date): Promise<SubscriptionSpan[]> {
    return this.db
      .collection<SubscriptionDoc>('subscriptions')
      .find(
        { accessSince: { $lt: to }, $or: [{ endedAt: { $exists: false } }, { endedAt: { $gte: from } }] },
        { projection: { _id: 0, planId: 1, state: 1, accessSince: 1, endedAt: 1 } },
      )
      .toArray();
  }

  async planPrices(): Promise<Map<string, PlanPrice>> {
    const docs = await this.db.collection<{ _id: string; amountMinor: number; currency: string; months: number }>('plan_prices').find({}).toArray();
    return new Map(docs.map((d) => [d._id, { planId: d._id, amountMinor: d.amountMinor, currency: d.currency, months: d.months }]));
  }
}
