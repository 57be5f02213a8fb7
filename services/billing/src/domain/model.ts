/** Billing's domain types. No proto, Stripe or Mongo types here. */

export const TIERS = ['BASIC', 'STANDARD', 'PREMIUM'] as const;
export type Tier = (typeof TIERS)[number];
export const tierRank = (t: Tier): number => TIERS.indexOf(t) + 1;

export const INTERVALS = ['monthly', 'yearly'] as const;
export type Interval = (typeof INTERVALS)[number];
/** Billing periods are fixed day counts (not calendar months). */
export const INTERVAL_DAYS: Record<Interval, number> = { monthly: 30, yearly: 365 };

export const QUALITIES = ['SD', 'HD', 'UHD'] as const;
export type Quality = (typeof QUALITIES)[number];

export interface Money {
  amountMinor: number;
  /** ISO 4217, upper case. */
  currency: string;
}

export interface PlanRecord {
  id: string;
  displayName: string;
  tier: Tier;
  interval: Interval;
  price: Money;
  maxStreams: number;
  maxQuality: Quality;
  features: string[];
  trialDays: number;
  active: boolean;
  stripeProductId: string;
  stripePriceId: string;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

export const SUB_STATUSES = ['incomplete', 'trialing', 'active', 'past_due', 'canceled', 'expired'] as const;
export type SubStatus = (typeof SUB_STATUSES)[number];

export interface SubscriptionRecord {
  /** Stripe's subscription id. */
  id: string;
  userId: string;
  customerId: string;
  planId: string;
  tier: Tier;
  maxStreams: number;
  maxQuality: Quality;
  status: SubStatus;
  /** Stripe's own status string, kept for support. */
  stripeStatus: string;
  /** The subscription item carrying the price (needed to change plans). */
  itemId: string;
  priceId: string;
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  cancelAtPeriodEnd: boolean;
  trialEnd: Date | null;
  pastDueSince: Date | null;
  canceledAt: Date | null;
  endedAt: Date | null;
  /** Stripe time (seconds) of the newest state applied: older webhook payloads never overwrite it. */
  observedAt: number;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

export type RentalStatus = 'pending' | 'active' | 'expired' | 'returned';

export interface RentalRecord {
  id: string;
  userId: string;
  movieId: string;
  movieTitle: string;
  status: RentalStatus;
  price: Money;
  checkoutSessionId: string;
  paymentId: string;
  paidAt: Date | null;
  /** paidAt + the rental window. */
  expiresAt: Date | null;
  playStartedAt: Date | null;
  /** playStartedAt + the play window. */
  playExpiresAt: Date | null;
  /** min(expiresAt, playExpiresAt): when the sweeper closes it. */
  endsAt: Date | null;
  returnedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

export type PaymentStatus = 'succeeded' | 'failed' | 'refunded' | 'partially_refunded';

export interface PaymentRecord {
  /** Stripe invoice id (subscriptions) or payment intent / session id (rentals). */
  id: string;
  userId: string;
  kind: 'subscription' | 'rental';
  status: PaymentStatus;
  amount: Money;
  refundedMinor: number;
  description: string;
  subscriptionId: string;
  rentalId: string;
  planId: string;
  failedAttempts: number;
  paymentIntentId: string;
  chargeId: string;
  receiptUrl: string;
  /** Stripe time of the payment (sort key of the receipt list). */
  createdAt: Date;
  updatedAt: Date;
}

export type OfferKind = 'WIN_BACK' | 'YEARLY_SWITCH';

export interface OfferRecord {
  id: string;
  userId: string;
  kind: OfferKind;
  percentOff: number;
  /** Empty: any plan. */
  planIds: string[];
  description: string;
  expiresAt: Date;
  createdAt: Date;
  redeemedAt: Date | null;
  /** Set once the Stripe coupon exists. */
  couponId: string;
}

/** One Checkout session we handed out, with the price it was offered at (the audit trail). */
export interface CheckoutRecord {
  id: string;
  userId: string;
  kind: 'subscription' | 'rental';
  /** `<user>:<kind>:<plan or movie>:<n>`: unique, so two concurrent clicks share one session. */
  slot: string;
  planId: string;
  rentalId: string;
  url: string;
  status: 'open' | 'complete' | 'expired';
  expiresAt: Date;
  listPrice: Money;
  offerId: string;
  couponId: string;
  percentOff: number;
  /** listPrice after the offer: what the first period / the rental costs. */
  finalPrice: Money;
  createdAt: Date;
  completedAt: Date | null;
}

export interface CustomerRecord {
  userId: string;
  stripeCustomerId: string;
  email: string;
  createdAt: Date;
}

/** What CheckEntitlement reads: one document per account, rewritten with every change. */
export interface EntitlementRecord {
  userId: string;
  subscription: {
    id: string;
    status: SubStatus;
    planId: string;
    tier: Tier;
    maxStreams: number;
    maxQuality: Quality;
    currentPeriodEnd: Date;
    cancelAtPeriodEnd: boolean;
    pastDueSince: Date | null;
  } | null;
  rentals: {
    rentalId: string;
    movieId: string;
    status: RentalStatus;
    expiresAt: Date | null;
    playExpiresAt: Date | null;
    playStarted: boolean;
  }[];
  updatedAt: Date;
}

export const DAY_MS = 24 * 3600 * 1000;
