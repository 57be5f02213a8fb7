import { requireAdmin, type Principal } from '@flix/auth';
import type { GetSummaryResponse } from '@flix/proto/flix/analytics/v1/analytics_service';
import type { TitleStats } from '@flix/proto/flix/analytics/v1/resources';
import { rankTitles, ratio, rebufferingRatio, summaryWindow, type TitleTotals } from './domain/summary.js';
import { alertMessage, type AlertStore } from './storage/alert-store.js';
import type { SummaryQueries } from './storage/queries.js';

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
    private readonly queries: SummaryQueries,
    private readonly alerts: AlertStore,
    private readonly currency: string,
  ) {}

  async summary(principal: Principal | undefined, req: { from: Date | undefined; to: Date | undefined; titleLimit: number }): Promise<GetSummaryResponse> {
    requireAdmin(principal);
    const w = summaryWindow(req.from, req.to, req.titleLimit);
    const [{ totals, dau }, mau, titles, subs, prices, open] = await Promise.all([
      this.queries.daily(w.days),
      this.queries.monthlyActive(w.months),
      this.queries.titles(w.days),
      this.queries.subscriptions(w.from, w.to),
      this.queries.planPrices(),
      this.alerts.open(),
    ]);
    const dailyActive = w.days.map((day) => ({ day, activeUsers: dau.get(day) ?? 0 }));
    let mrr = 0;
    let paying = 0;
    for (const [planId, n] of subs.payingByPlan) {
      paying += n;
      const p = prices.get(planId);
      if (p && p.currency === this.currency) mrr += Math.round((p.amountMinor * n) / p.months);
    }
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
      openAlerts: open.map(alertMessage),
      deadLetters: totals.deadLetters,
    };
  }
}
