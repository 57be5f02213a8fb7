import type { AlertKindName } from './alerts.js';
import type { DayCounters, SubscriptionSpan } from './daily.js';
import type { PlanPrice } from './model.js';
import type { DailyTotals, TitleTotals } from './summary.js';

/** An alert incident as the reports see it (open, or resolved when `resolvedAt` is set). */
export interface Alert {
  incidentId: string;
  kind: AlertKindName;
  value: number;
  threshold: number;
  sampleSize: number;
  windowSeconds: number;
  raisedAt: Date;
  resolvedAt?: Date;
}

/** Subscription counts for a window, from the subscription rollup. */
export interface SubscriptionCounts {
  /** Subscriptions giving access at the window's end (or now, if that is earlier). */
  activeEnd: number;
  /** Paying (non-trial) subscriptions at the end, per plan id. */
  payingByPlan: Map<string, number>;
  activeAtStart: number;
  started: number;
  churned: number;
}

/** The rollups the summary reads. */
export interface SummaryReadModel {
  daily(days: string[]): Promise<{ totals: DailyTotals; dau: Map<string, number>; byDay: Map<string, DayCounters> }>;
  monthlyActive(months: string[]): Promise<Map<string, number>>;
  titles(days: string[]): Promise<TitleTotals[]>;
  subscriptions(from: Date, to: Date): Promise<SubscriptionCounts>;
  /** Subscriptions that gave access at some point in [from, to). */
  subscriptionSpans(from: Date, to: Date): Promise<SubscriptionSpan[]>;
  planPrices(): Promise<Map<string, PlanPrice>>;
}

/** The alert state and history the summary reads. */
export interface AlertReadModel {
  /** Open alerts, oldest raise first. */
  open(): Promise<Alert[]>;
  /** Incidents open at some point in [from, to), from the history and the current state (may repeat). */
  incidentsOverlapping(from: Date, to: Date): Promise<Alert[]>;
}
