import type { EntitlementRecord, Quality, RentalRecord, SubscriptionRecord, Tier } from './model.js';
import { DAY_MS, tierRank } from './model.js';
import { effectiveStatus } from './rental.js';

export type EntitlementReason =
  | 'SUBSCRIPTION'
  | 'TRIAL'
  | 'GRACE_PERIOD'
  | 'CANCELED_UNTIL_PERIOD_END'
  | 'RENTAL'
  | 'NO_SUBSCRIPTION'
  | 'TIER_TOO_LOW'
  | 'PAST_GRACE'
  | 'SUBSCRIPTION_EXPIRED'
  | 'PAYMENT_INCOMPLETE'
  | 'RENTAL_EXPIRED'
  | 'RENTAL_REQUIRED'
  | 'TITLE_NOT_FOUND';

export interface EntitlementDecision {
  allowed: boolean;
  reason: EntitlementReason;
  source: 'subscription' | 'rental' | 'none';
  tier: Tier | null;
  maxStreams: number;
  maxQuality: Quality | null;
  /** When this answer stops holding; null when open-ended (renewing subscription) or denied. */
  validUntil: Date | null;
  rentalId: string;
  subscriptionStatus: SubscriptionRecord['status'] | null;
}

/** What the title asks for: a tier (null: in no plan, rental only) and whether we know it at all. */
export interface TitleRequirement {
  movieId: string;
  requiredTier: Tier | null;
}

/**
 * The entitlement rules, pure: a subscription that covers the title wins (it never burns a
 * rental's play clock); otherwise an active rental of the title; otherwise the reason why not.
 */
export function decide(doc: EntitlementRecord | null, title: TitleRequirement, now: Date, graceMs: number): EntitlementDecision {
  const sub = doc?.subscription ?? null;
  const base: EntitlementDecision = {
    allowed: false,
    reason: 'NO_SUBSCRIPTION',
    source: 'none',
    tier: sub?.tier ?? null,
    maxStreams: 0,
    maxQuality: null,
    validUntil: null,
    rentalId: '',
    subscriptionStatus: sub?.status ?? null,
  };
  let denial: EntitlementReason = 'NO_SUBSCRIPTION';
  if (sub) {
    const t = now.getTime();
    let access: { reason: EntitlementReason; until: Date | null } | null = null;
    switch (sub.status) {
      case 'active':
        access = { reason: 'SUBSCRIPTION', until: null };
        break;
      case 'trialing':
        access = { reason: 'TRIAL', until: null };
        break;
      case 'canceled':
        if (t < sub.currentPeriodEnd.getTime()) access = { reason: 'CANCELED_UNTIL_PERIOD_END', until: sub.currentPeriodEnd };
        else denial = 'SUBSCRIPTION_EXPIRED';
        break;
      case 'past_due': {
        const graceEnd = new Date((sub.pastDueSince ?? now).getTime() + graceMs);
        if (t < graceEnd.getTime()) access = { reason: 'GRACE_PERIOD', until: graceEnd };
        else denial = 'PAST_GRACE';
        break;
      }
      case 'incomplete':
        denial = 'PAYMENT_INCOMPLETE';
        break;
      case 'expired':
        denial = 'SUBSCRIPTION_EXPIRED';
        break;
    }
    if (access) {
      if (title.requiredTier && tierRank(sub.tier) >= tierRank(title.requiredTier)) {
        return { ...base, allowed: true, reason: access.reason, source: 'subscription', maxStreams: sub.maxStreams, maxQuality: sub.maxQuality, validUntil: access.until };
      }
      denial = title.requiredTier ? 'TIER_TOO_LOW' : 'RENTAL_REQUIRED';
    }
  } else if (!title.requiredTier && title.movieId) {
    denial = 'RENTAL_REQUIRED';
  }
  if (title.movieId) {
    const rentals = (doc?.rentals ?? []).filter((r) => r.movieId === title.movieId);
    const live = rentals.find((r) => grantStatus(r, now) === 'active');
    if (live) {
      const until = minDate(live.expiresAt, live.playExpiresAt);
      return { ...base, allowed: true, reason: 'RENTAL', source: 'rental', maxStreams: 1, maxQuality: 'HD', validUntil: until, rentalId: live.rentalId };
    }
    if (rentals.some((r) => { const s = grantStatus(r, now); return s === 'expired' || s === 'returned'; })) denial = denial === 'TIER_TOO_LOW' ? denial : 'RENTAL_EXPIRED';
  }
  return { ...base, reason: denial };
}

function grantStatus(r: EntitlementRecord['rentals'][number], now: Date) {
  if (r.status !== 'active') return r.status;
  const end = minDate(r.expiresAt, r.playExpiresAt);
  return end && end.getTime() <= now.getTime() ? 'expired' : 'active';
}

const minDate = (a: Date | null, b: Date | null): Date | null => (!a ? b : !b ? a : a.getTime() <= b.getTime() ? a : b);

/**
 * The per-account document CheckEntitlement reads, rebuilt from the account's subscriptions and
 * rentals in the same transaction as every change to them.
 */
export function projectEntitlement(userId: string, subs: SubscriptionRecord[], rentals: RentalRecord[], now: Date): EntitlementRecord {
  // The live subscription (newest first); else the newest ended one, so denials can say why.
  const sorted = [...subs].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const current = sorted.find((s) => s.status !== 'expired') ?? sorted[0] ?? null;
  // Per title: the active rental if there is one, else the newest ended one (explains RENTAL_EXPIRED).
  const rank = (r: RentalRecord) => (effectiveStatus(r, now) === 'active' ? 1 : 0);
  const byMovie = new Map<string, RentalRecord>();
  for (const r of rentals) {
    if (r.status === 'pending') continue;
    const prev = byMovie.get(r.movieId);
    if (!prev || rank(r) > rank(prev) || (rank(r) === rank(prev) && r.createdAt.getTime() > prev.createdAt.getTime())) byMovie.set(r.movieId, r);
  }
  return {
    userId,
    subscription: current
      ? {
          id: current.id,
          status: current.status,
          planId: current.planId,
          tier: current.tier,
          maxStreams: current.maxStreams,
          maxQuality: current.maxQuality,
          currentPeriodEnd: current.currentPeriodEnd,
          cancelAtPeriodEnd: current.cancelAtPeriodEnd,
          pastDueSince: current.pastDueSince,
        }
      : null,
    rentals: [...byMovie.values()].map((r) => ({ rentalId: r.id, movieId: r.movieId, status: r.status, expiresAt: r.expiresAt, playExpiresAt: r.playExpiresAt, playStarted: !!r.playStartedAt })),
    updatedAt: now,
  };
}

export const graceMs = (days: number) => days * DAY_MS;
