/** Counters kept per UTC day for the whole service. */
export const DAILY_COUNTERS = [
  'events',
  'registrations',
  'loginsSucceeded',
  'loginsFailed',
  'plays',
  'sessionsEnded',
  'watchSeconds',
  'completions',
  'rebufferMs',
  'paymentsSucceeded',
  'paymentsFailed',
  'paymentsRefunded',
  'revenueMinor',
  'refundedMinor',
  'deadLetters',
] as const;
export type DailyCounter = (typeof DAILY_COUNTERS)[number];

/** Counters kept per UTC day and title. */
export const TITLE_COUNTERS = ['plays', 'sessionsEnded', 'watchSeconds', 'completions', 'rebufferMs'] as const;
export type TitleCounter = (typeof TITLE_COUNTERS)[number];

/** Counters kept per minute for the sliding-window alerts. */
export const SIGNAL_COUNTERS = ['paymentsSucceeded', 'paymentsFailed', 'loginsSucceeded', 'loginsFailed', 'deadLetters'] as const;
export type SignalCounter = (typeof SIGNAL_COUNTERS)[number];

export type SubscriptionState = 'incomplete' | 'trialing' | 'active' | 'past_due' | 'canceled' | 'expired' | 'unknown';

/** What one billing.subscription.* event says about a subscription. */
export interface SubscriptionObservation {
  subscriptionId: string;
  userId: string;
  planId: string;
  state: SubscriptionState;
  /** Orders observations of one subscription: the newest wins, whatever the arrival order. */
  observedAt: Date;
  /** Set when the subscription gives access in this observation (earliest one kept). */
  accessSince?: Date;
  /** Set when it ended (expired). */
  endedAt?: Date;
}

/** A plan's price as analytics knows it. */
export interface PlanPrice {
  planId: string;
  amountMinor: number;
  currency: string;
  /** Months one payment covers (1 monthly, 12 yearly). */
  months: number;
}

/** Everything one event contributes to the rollups: each part is a commutative increment. */
export interface Facts {
  /** When it happened (the event's occur_time): the day and minute it counts in. */
  time: Date;
  /** An account that did something (counted once per day and month). */
  activeUserId?: string;
  daily: Partial<Record<DailyCounter, number>>;
  title?: { movieId: string; inc: Partial<Record<TitleCounter, number>> };
  subscription?: SubscriptionObservation;
  signals?: Partial<Record<SignalCounter, number>>;
  /** A plan price seen in a payment, used when billing's plan list does not know the plan. */
  observedPrice?: PlanPrice;
  /** Ids worth querying raw events by. */
  userId?: string;
  movieId?: string;
}

export const dayKey = (t: Date): string => t.toISOString().slice(0, 10);
export const monthKey = (t: Date): string => t.toISOString().slice(0, 7);
export const minuteStart = (t: Date): Date => new Date(Math.floor(t.getTime() / 60_000) * 60_000);
