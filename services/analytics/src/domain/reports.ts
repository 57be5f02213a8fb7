import { dailySeries, incidentsInWindow, mrrOf, type DayValues } from './daily.js';
import type { Alert, AlertReadModel, SummaryReadModel } from './ports.js';
import { rankTitles, ratio, rebufferingRatio, summaryWindow, type TitleTotals } from './summary.js';

/** A title's totals with its derived rates. */
export interface TitleStats extends TitleTotals {
  completionRate: number;
  rebufferingRatio: number;
}

/** The admin dashboard for one window, in domain terms (grpc/mappers.ts turns it into the proto). */
export interface Summary {
  from: Date;
  to: Date;
  users: {
    registrations: number;
    averageDailyActiveUsers: number;
    dailyActiveUsers: { day: string; activeUsers: number }[];
    monthlyActiveUsers: { month: string; activeUsers: number }[];
  };
  playback: {
    plays: number;
    sessionsEnded: number;
    watchSeconds: number;
    completions: number;
    completionRate: number;
    rebufferMs: number;
    rebufferingRatio: number;
  };
  topTitlesByPlays: TitleStats[];
  topTitlesByWatchTime: TitleStats[];
  topTitlesByRebuffering: TitleStats[];
  subscriptions: {
    activeSubscriptions: number;
    payingSubscriptions: number;
    mrrMinor: number;
    currency: string;
    activeAtStart: number;
    newSubscriptions: number;
    churnedSubscriptions: number;
    churnRate: number;
  };
  payments: {
    succeeded: number;
    failed: number;
    refunded: number;
    successRate: number;
    revenueMinor: number;
    refundedMinor: number;
    currency: string;
  };
  auth: { loginsSucceeded: number; loginsFailed: number; loginFailureRate: number };
  eventsIngested: number;
  openAlerts: Alert[];
  deadLetters: number;
  days: DayValues[];
  /** Incidents open at some point in the window, newest raise first. */
  alerts: Alert[];
}

const titleStats = (t: TitleTotals): TitleStats => ({
  movieId: t.movieId,
  plays: t.plays,
  sessionsEnded: t.sessionsEnded,
  watchSeconds: t.watchSeconds,
  completions: t.completions,
  completionRate: ratio(t.completions, t.sessionsEnded),
  rebufferMs: t.rebufferMs,
  rebufferingRatio: rebufferingRatio(t.rebufferMs, t.watchSeconds),
});

/** The admin dashboard: KPIs for a window, read from the rollups. */
export class Reports {
  constructor(
    private readonly queries: SummaryReadModel,
    private readonly alerts: AlertReadModel,
    private readonly currency: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async summary(req: { from: Date | undefined; to: Date | undefined; titleLimit: number }): Promise<Summary> {
    const w = summaryWindow(req.from, req.to, req.titleLimit);
    const [{ totals, dau, byDay }, mau, titles, subs, prices, open, spans, incidents] = await Promise.all([
      this.queries.daily(w.days),
      this.queries.monthlyActive(w.months),
      this.queries.titles(w.days),
      this.queries.subscriptions(w.from, w.to),
      this.queries.planPrices(),
      this.alerts.open(),
      this.queries.subscriptionSpans(w.from, w.to),
      this.alerts.incidentsOverlapping(w.from, w.to),
    ]);
    const dailyActive = w.days.map((day) => ({ day, activeUsers: dau.get(day) ?? 0 }));
    const mrr = mrrOf(subs.payingByPlan, prices, this.currency);
    const paying = [...subs.payingByPlan.values()].reduce((a, b) => a + b, 0);
    const ranked = rankTitles(titles, w.titleLimit);
    return {
      from: w.from,
      to: w.to,
      users: {
        registrations: totals.registrations,
        averageDailyActiveUsers: ratio(dailyActive.reduce((s, d) => s + d.activeUsers, 0), dailyActive.length),
        dailyActiveUsers: dailyActive,
        monthlyActiveUsers: w.months.map((month) => ({ month, activeUsers: mau.get(month) ?? 0 })),
      },
      playback: {
        plays: totals.plays,
        sessionsEnded: totals.sessionsEnded,
        watchSeconds: totals.watchSeconds,
        completions: totals.completions,
        completionRate: ratio(totals.completions, totals.sessionsEnded),
        rebufferMs: totals.rebufferMs,
        rebufferingRatio: rebufferingRatio(totals.rebufferMs, totals.watchSeconds),
      },
      topTitlesByPlays: ranked.byPlays.map(titleStats),
      topTitlesByWatchTime: ranked.byWatchTime.map(titleStats),
      topTitlesByRebuffering: ranked.byRebuffering.map(titleStats),
      subscriptions: {
        activeSubscriptions: subs.activeEnd,
        payingSubscriptions: paying,
        mrrMinor: mrr,
        currency: this.currency,
        activeAtStart: subs.activeAtStart,
        newSubscriptions: subs.started,
        churnedSubscriptions: subs.churned,
        churnRate: ratio(subs.churned, subs.activeAtStart),
      },
      payments: {
        succeeded: totals.paymentsSucceeded,
        failed: totals.paymentsFailed,
        refunded: totals.paymentsRefunded,
        successRate: ratio(totals.paymentsSucceeded, totals.paymentsSucceeded + totals.paymentsFailed),
        revenueMinor: totals.revenueMinor,
        refundedMinor: totals.refundedMinor,
        currency: this.currency,
      },
      auth: {
        loginsSucceeded: totals.loginsSucceeded,
        loginsFailed: totals.loginsFailed,
        loginFailureRate: ratio(totals.loginsFailed, totals.loginsSucceeded + totals.loginsFailed),
      },
      eventsIngested: totals.events,
      openAlerts: open,
      deadLetters: totals.deadLetters,
      days: dailySeries(w.days, byDay, spans, prices, this.currency, this.now()),
      alerts: incidentsInWindow(incidents, w.from, w.to),
    };
  }
}
