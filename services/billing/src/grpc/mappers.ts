import {
  BillingInterval,
  EntitlementReason,
  EntitlementSource,
  OfferKind,
  PaymentKind,
  PaymentStatus,
  PlanTier,
  RentalStatus,
  SubscriptionStatus,
  VideoQuality,
  type Entitlement,
  type Offer,
  type Payment,
  type Plan,
  type Rental,
  type Subscription,
} from '@flix/proto/flix/billing/v1/resources';
import type { CheckEntitlementResponse } from '@flix/proto/flix/billing/v1/billing_service';
import type { EntitlementDecision } from '../domain/entitlement.js';
import { DAY_MS, INTERVALS, QUALITIES, TIERS, type Interval, type Money, type OfferRecord, type PaymentRecord, type PlanRecord, type Quality, type RentalRecord, type SubscriptionRecord, type SubStatus, type Tier } from '../domain/model.js';
import { PLAN_FIELDS, type PlanField, type PlanInput } from '../domain/plan.js';

export const tierToProto = (t: Tier | null): PlanTier => (t ? ((TIERS.indexOf(t) + 1) as PlanTier) : PlanTier.PLAN_TIER_UNSPECIFIED);
export const tierFromProto = (t: PlanTier): Tier | null => TIERS[t - 1] ?? null;
const qualityToProto = (q: Quality | null): VideoQuality => (q ? ((QUALITIES.indexOf(q) + 1) as VideoQuality) : VideoQuality.VIDEO_QUALITY_UNSPECIFIED);
const intervalToProto = (i: Interval): BillingInterval => (INTERVALS.indexOf(i) + 1) as BillingInterval;

const SUB_STATUS: Record<SubStatus, SubscriptionStatus> = {
  incomplete: SubscriptionStatus.SUBSCRIPTION_STATUS_INCOMPLETE,
  trialing: SubscriptionStatus.SUBSCRIPTION_STATUS_TRIALING,
  active: SubscriptionStatus.SUBSCRIPTION_STATUS_ACTIVE,
  past_due: SubscriptionStatus.SUBSCRIPTION_STATUS_PAST_DUE,
  canceled: SubscriptionStatus.SUBSCRIPTION_STATUS_CANCELED,
  expired: SubscriptionStatus.SUBSCRIPTION_STATUS_EXPIRED,
};
export const subStatusToProto = (s: SubStatus | null): SubscriptionStatus => (s ? SUB_STATUS[s] : SubscriptionStatus.SUBSCRIPTION_STATUS_UNSPECIFIED);

export function planToProto(p: PlanRecord, opts: { privileged: boolean }): Plan {
  return {
    id: p.id,
    displayName: p.displayName,
    tier: tierToProto(p.tier),
    interval: intervalToProto(p.interval),
    price: { amountMinor: p.price.amountMinor, currency: p.price.currency },
    maxConcurrentStreams: p.maxStreams,
    maxQuality: qualityToProto(p.maxQuality),
    features: p.features,
    trialDays: p.trialDays,
    active: p.active,
    stripePriceId: opts.privileged ? p.stripePriceId : '',
    stripeProductId: opts.privileged ? p.stripeProductId : '',
    createTime: p.createdAt,
    updateTime: p.updatedAt,
    version: p.version,
  };
}

/** The admin's plan as domain input (every field as sent: masks name what counts). */
export function planInputFromProto(p: Plan | undefined): PlanInput {
  if (!p) return {};
  return {
    id: p.id,
    displayName: p.displayName,
    tier: tierFromProto(p.tier) ?? undefined,
    interval: INTERVALS[p.interval - 1],
    priceMinor: p.price?.amountMinor,
    currency: p.price?.currency?.toUpperCase(),
    maxStreams: p.maxConcurrentStreams,
    maxQuality: QUALITIES[p.maxQuality - 1],
    features: p.features,
    trialDays: p.trialDays,
    active: p.active,
  };
}

/** FieldMask paths (snake_case or camelCase; `price.amount_minor` counts as `price`) → plan fields; unknown paths are an error. */
export function planMask(paths: string[] | undefined, p: Plan | undefined): { fields: PlanField[]; unknown: string[] } {
  const camel = (paths ?? []).map((x) => x.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()).split('.')[0]!);
  if (camel.length === 0 && p) {
    // No mask: every non-empty field counts (proto3 cannot tell absent from empty).
    const fields: PlanField[] = [];
    if (p.displayName) fields.push('displayName');
    if (p.tier) fields.push('tier');
    if (p.interval) fields.push('interval');
    if (p.price && (p.price.amountMinor || p.price.currency)) fields.push('price');
    if (p.maxConcurrentStreams) fields.push('maxConcurrentStreams');
    if (p.maxQuality) fields.push('maxQuality');
    if (p.features.length) fields.push('features');
    if (p.trialDays) fields.push('trialDays');
    return { fields, unknown: [] };
  }
  const known = new Set<string>(PLAN_FIELDS);
  return { fields: [...new Set(camel.filter((f) => known.has(f)))] as PlanField[], unknown: camel.filter((f) => !known.has(f)) };
}

export function subscriptionToProto(s: SubscriptionRecord, graceDays: number): Subscription {
  return {
    id: s.id,
    userId: s.userId,
    planId: s.planId,
    tier: tierToProto(s.tier),
    status: subStatusToProto(s.status),
    currentPeriodStart: s.currentPeriodStart,
    currentPeriodEnd: s.currentPeriodEnd,
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    trialEnd: s.trialEnd ?? undefined,
    pastDueSince: s.pastDueSince ?? undefined,
    graceUntil: s.status === 'past_due' && s.pastDueSince ? new Date(s.pastDueSince.getTime() + graceDays * DAY_MS) : undefined,
    canceledTime: s.canceledAt ?? undefined,
    endedTime: s.endedAt ?? undefined,
    createTime: s.createdAt,
    updateTime: s.updatedAt,
    maxConcurrentStreams: s.maxStreams,
    maxQuality: qualityToProto(s.maxQuality),
  };
}

const PAYMENT_STATUS: Record<PaymentRecord['status'], PaymentStatus> = {
  succeeded: PaymentStatus.PAYMENT_STATUS_SUCCEEDED,
  failed: PaymentStatus.PAYMENT_STATUS_FAILED,
  refunded: PaymentStatus.PAYMENT_STATUS_REFUNDED,
  partially_refunded: PaymentStatus.PAYMENT_STATUS_PARTIALLY_REFUNDED,
};

export function paymentToProto(p: PaymentRecord): Payment {
  return {
    id: p.id,
    userId: p.userId,
    kind: p.kind === 'rental' ? PaymentKind.PAYMENT_KIND_RENTAL : PaymentKind.PAYMENT_KIND_SUBSCRIPTION,
    status: PAYMENT_STATUS[p.status],
    amount: { amountMinor: p.amount.amountMinor, currency: p.amount.currency },
    refunded: { amountMinor: p.refundedMinor, currency: p.amount.currency },
    description: p.description,
    subscriptionId: p.subscriptionId,
    rentalId: p.rentalId,
    planId: p.planId,
    failedAttempts: p.failedAttempts,
    receiptUrl: p.receiptUrl,
    createTime: p.createdAt,
    updateTime: p.updatedAt,
  };
}

const RENTAL_STATUS: Record<RentalRecord['status'], RentalStatus> = {
  pending: RentalStatus.RENTAL_STATUS_PENDING,
  active: RentalStatus.RENTAL_STATUS_ACTIVE,
  expired: RentalStatus.RENTAL_STATUS_EXPIRED,
  returned: RentalStatus.RENTAL_STATUS_RETURNED,
};

export function rentalToProto(r: RentalRecord): Rental {
  return {
    id: r.id,
    userId: r.userId,
    movieId: r.movieId,
    movieTitle: r.movieTitle,
    status: RENTAL_STATUS[r.status],
    price: { amountMinor: r.price.amountMinor, currency: r.price.currency },
    paidTime: r.paidAt ?? undefined,
    expireTime: r.expiresAt ?? undefined,
    playStartTime: r.playStartedAt ?? undefined,
    playExpireTime: r.playExpiresAt ?? undefined,
    returnedTime: r.returnedAt ?? undefined,
    createTime: r.createdAt,
    updateTime: r.updatedAt,
  };
}

export function offerToProto(o: OfferRecord): Offer {
  return {
    id: o.id,
    kind: o.kind === 'WIN_BACK' ? OfferKind.OFFER_KIND_WIN_BACK : OfferKind.OFFER_KIND_YEARLY_SWITCH,
    percentOff: o.percentOff,
    planIds: o.planIds,
    description: o.description,
    expireTime: o.expiresAt,
    createTime: o.createdAt,
  };
}

const REASON: Record<EntitlementDecision['reason'], EntitlementReason> = {
  SUBSCRIPTION: EntitlementReason.ENTITLEMENT_REASON_SUBSCRIPTION,
  TRIAL: EntitlementReason.ENTITLEMENT_REASON_TRIAL,
  GRACE_PERIOD: EntitlementReason.ENTITLEMENT_REASON_GRACE_PERIOD,
  CANCELED_UNTIL_PERIOD_END: EntitlementReason.ENTITLEMENT_REASON_CANCELED_UNTIL_PERIOD_END,
  RENTAL: EntitlementReason.ENTITLEMENT_REASON_RENTAL,
  NO_SUBSCRIPTION: EntitlementReason.ENTITLEMENT_REASON_NO_SUBSCRIPTION,
  TIER_TOO_LOW: EntitlementReason.ENTITLEMENT_REASON_TIER_TOO_LOW,
  PAST_GRACE: EntitlementReason.ENTITLEMENT_REASON_PAST_GRACE,
  SUBSCRIPTION_EXPIRED: EntitlementReason.ENTITLEMENT_REASON_SUBSCRIPTION_EXPIRED,
  PAYMENT_INCOMPLETE: EntitlementReason.ENTITLEMENT_REASON_PAYMENT_INCOMPLETE,
  RENTAL_EXPIRED: EntitlementReason.ENTITLEMENT_REASON_RENTAL_EXPIRED,
  RENTAL_REQUIRED: EntitlementReason.ENTITLEMENT_REASON_RENTAL_REQUIRED,
  TITLE_NOT_FOUND: EntitlementReason.ENTITLEMENT_REASON_TITLE_NOT_FOUND,
};

export function decisionToProto(d: EntitlementDecision): CheckEntitlementResponse {
  return {
    allowed: d.allowed,
    reason: REASON[d.reason],
    source: d.source === 'subscription' ? EntitlementSource.ENTITLEMENT_SOURCE_SUBSCRIPTION : d.source === 'rental' ? EntitlementSource.ENTITLEMENT_SOURCE_RENTAL : EntitlementSource.ENTITLEMENT_SOURCE_UNSPECIFIED,
    maxConcurrentStreams: d.maxStreams,
    maxQuality: qualityToProto(d.maxQuality),
    tier: tierToProto(d.tier),
    validUntil: d.validUntil ?? undefined,
    rentalId: d.rentalId,
    subscriptionStatus: subStatusToProto(d.subscriptionStatus),
  };
}

/** GetEntitlement: the decision CheckEntitlement would give, with what the title asks for. */
export function entitlementToProto(e: { movieId: string; decision: EntitlementDecision; requiredTier: Tier | null; rentalPrice: Money | null }): Entitlement {
  const d = decisionToProto(e.decision);
  return {
    movieId: e.movieId,
    allowed: d.allowed,
    reason: d.reason,
    source: d.source,
    tier: d.tier,
    requiredTier: tierToProto(e.requiredTier),
    validUntil: d.validUntil,
    rentalId: d.rentalId,
    subscriptionStatus: d.subscriptionStatus,
    maxConcurrentStreams: d.maxConcurrentStreams,
    maxQuality: d.maxQuality,
    rentalPrice: e.rentalPrice ? { amountMinor: e.rentalPrice.amountMinor, currency: e.rentalPrice.currency } : undefined,
  };
}
