import { requireAdmin, type Principal } from '@flix/auth';
import type { GetSummaryResponse } from '@flix/proto/flix/analytics/v1/analytics_service';
import type { TitleStats } from '@flix/proto/flix/analytics/v1/resources';
import { dailySeries, incidentsInWindow, mrrOf } from './domain/daily.js';
import { rankTitles, ratio, rebufferingRatio, summaryWindow, type TitleTotals } from './domain/summary.js';
import { ALERT_KIND, alertMessage, type AlertStore, type IncidentDoc } from './storage/alert-store.js';
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

const incident = (i: IncidentDoc) => ({
  alert: {
    incidentId: i._id,
    kind: ALERT_KIND[i.kind],
    value: i.value,
    threshold: i.threshold,
    sampleSize: i.sampleSize,
    windowSeconds: i.windowSeconds,
    raiseTime: i.raisedAt,
  },
  resolveTime: i.resolvedAt,
});

/** The admin dashboard: KPIs for a window, read from the rollups. */
export class Reports {
  constructor(
    private readonly queries: SummaryQueries,
    private readonly alerts: AlertStore,
    private readonly currency: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async summary(principal: Principal | undefined, req: { from: Date | undefined; to: Date | undefined; titleLimit: number }): Promise<GetSummaryResponse> {
    requireAdmin(principal);
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
      openAlerts: open.map(alertMessage),
      deadLetters: totals.deadLetters,
      days: dailySeries(w.days, byDay, spans, prices, this.currency, this.now()),
      alerts: incidentsInWindow(
        incidents.map((i) => ({ ...i, incidentId: i._id })),
        w.from,
        w.to,
      ).map(incident),
    };
  }
}
