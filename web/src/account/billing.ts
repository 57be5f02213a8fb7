/**
 * Billing's server state for the account screens (plans, my subscription, payments, rentals,
 * offers): query keys, hooks and the words a viewer reads for billing's enums.
 */
import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { Api, Plan, Rental, Subscription } from '../api/client';
import { ApiError } from '../api/errors';
import { BillingInterval, PaymentStatus, PlanTier, RentalStatus, SubscriptionStatus, VideoQuality } from '../api/gen/flix/billing/v1/resources';
import { useApi } from '../app/services';
import { enumLabel } from '../lib/format';

export const billingKeys = {
  all: ['billing'] as const,
  plans: ['billing', 'plans'] as const,
  subscription: ['billing', 'subscription'] as const,
  payments: ['billing', 'payments'] as const,
  rentals: ['billing', 'rentals'] as const,
  offers: ['billing', 'offers'] as const,
};

/** My subscription, or null when this account never subscribed (billing answers 404). */
export async function fetchSubscription(api: Api): Promise<Subscription | null> {
  try {
    return await api.billing.subscription();
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

export function useSubscription(enabled = true) {
  const api = useApi();
  return useQuery({ queryKey: billingKeys.subscription, queryFn: () => fetchSubscription(api), enabled });
}

export function usePlans() {
  const api = useApi();
  return useQuery({
    queryKey: billingKeys.plans,
    queryFn: async () => ((await api.billing.plans()).plans ?? []).filter((p) => p.active !== false),
    staleTime: 10 * 60_000,
  });
}

export function useOffers() {
  const api = useApi();
  return useQuery({ queryKey: billingKeys.offers, queryFn: async () => (await api.billing.offers()).offers ?? [] });
}

/**
 * After a change to what the account may watch (a new plan, a cancellation, a returned
 * rental): billing's own screens and the title pages' entitlement answers are stale.
 */
export function invalidateBilling(queryClient: QueryClient): Promise<unknown> {
  return Promise.all([queryClient.invalidateQueries({ queryKey: billingKeys.all }), queryClient.invalidateQueries({ queryKey: ['entitlement'] })]);
}

export const useInvalidateBilling = () => {
  const queryClient = useQueryClient();
  return () => invalidateBilling(queryClient);
};

/** Statuses in which the subscription still exists (billing refuses a second checkout in them). */
export function isLive(sub: Subscription | null | undefined): sub is Subscription {
  return !!sub && sub.status !== SubscriptionStatus.SUBSCRIPTION_STATUS_EXPIRED && sub.status !== SubscriptionStatus.SUBSCRIPTION_STATUS_UNSPECIFIED;
}

/** The subscription gives access (the webhook has made it so). */
export function isConfirmed(sub: Subscription | null | undefined): sub is Subscription {
  return !!sub && (sub.status === SubscriptionStatus.SUBSCRIPTION_STATUS_ACTIVE || sub.status === SubscriptionStatus.SUBSCRIPTION_STATUS_TRIALING);
}

export const tierLabel = (tier: PlanTier | string | undefined): string => (tier ? enumLabel(tier, 'PLAN_TIER_') : '');

export const intervalWord = (interval: BillingInterval | string | undefined): string =>
  interval === BillingInterval.BILLING_INTERVAL_YEARLY ? 'yearly' : interval === BillingInterval.BILLING_INTERVAL_MONTHLY ? 'monthly' : '';

export const perInterval = (interval: BillingInterval | string | undefined): string =>
  interval === BillingInterval.BILLING_INTERVAL_YEARLY ? 'year' : interval === BillingInterval.BILLING_INTERVAL_MONTHLY ? 'month' : 'period';

/** "Premium monthly": the plan's tier and interval, the way buttons name a plan. */
export function planName(plan: Pick<Plan, 'tier' | 'interval'>): string {
  return [tierLabel(plan.tier), intervalWord(plan.interval)].filter(Boolean).join(' ');
}

/** The name a subscriber reads: the plan's display name, or its tier when the plan is unknown. */
export function subscriptionPlanName(sub: Subscription, plans: Plan[] | undefined): string {
  const plan = plans?.find((p) => p.id === sub.planId);
  if (plan) return plan.displayName || planName(plan);
  return tierLabel(sub.tier) || sub.planId;
}

const QUALITY: Record<string, string> = {
  [VideoQuality.VIDEO_QUALITY_SD]: 'SD (480p)',
  [VideoQuality.VIDEO_QUALITY_HD]: 'Full HD (1080p)',
  [VideoQuality.VIDEO_QUALITY_UHD]: '4K Ultra HD',
};
export const qualityLabel = (q: VideoQuality | string | undefined): string => (q ? (QUALITY[q] ?? enumLabel(q, 'VIDEO_QUALITY_')) : '');

export const streamsLabel = (n: number | undefined): string => (n ? `${n} screen${n === 1 ? '' : 's'} at a time` : '');

export type Tone = 'ok' | 'warn' | 'danger' | 'neutral';

export function subscriptionStatusLabel(sub: Subscription): { label: string; tone: Tone } {
  switch (sub.status) {
    case SubscriptionStatus.SUBSCRIPTION_STATUS_ACTIVE:
      return { label: 'Active', tone: 'ok' };
    case SubscriptionStatus.SUBSCRIPTION_STATUS_TRIALING:
      return { label: 'Free trial', tone: 'ok' };
    case SubscriptionStatus.SUBSCRIPTION_STATUS_PAST_DUE:
      return { label: 'Payment overdue', tone: 'warn' };
    case SubscriptionStatus.SUBSCRIPTION_STATUS_CANCELED:
      return { label: 'Canceled', tone: 'warn' };
    case SubscriptionStatus.SUBSCRIPTION_STATUS_INCOMPLETE:
      return { label: 'Payment pending', tone: 'warn' };
    case SubscriptionStatus.SUBSCRIPTION_STATUS_EXPIRED:
      return { label: 'Ended', tone: 'danger' };
    default:
      return { label: 'Unknown', tone: 'neutral' };
  }
}

export function paymentStatusLabel(status: PaymentStatus | string): { label: string; tone: Tone } {
  switch (status) {
    case PaymentStatus.PAYMENT_STATUS_SUCCEEDED:
      return { label: 'Paid', tone: 'ok' };
    case PaymentStatus.PAYMENT_STATUS_FAILED:
      return { label: 'Failed', tone: 'danger' };
    case PaymentStatus.PAYMENT_STATUS_REFUNDED:
      return { label: 'Refunded', tone: 'neutral' };
    case PaymentStatus.PAYMENT_STATUS_PARTIALLY_REFUNDED:
      return { label: 'Partly refunded', tone: 'neutral' };
    default:
      return { label: 'Unknown', tone: 'neutral' };
  }
}

export function rentalStatusLabel(status: RentalStatus | string): { label: string; tone: Tone } {
  switch (status) {
    case RentalStatus.RENTAL_STATUS_ACTIVE:
      return { label: 'Active', tone: 'ok' };
    case RentalStatus.RENTAL_STATUS_PENDING:
      return { label: 'Awaiting payment', tone: 'warn' };
    case RentalStatus.RENTAL_STATUS_EXPIRED:
      return { label: 'Expired', tone: 'neutral' };
    case RentalStatus.RENTAL_STATUS_RETURNED:
      return { label: 'Returned', tone: 'neutral' };
    default:
      return { label: 'Unknown', tone: 'neutral' };
  }
}

export const badgeClass = (tone: Tone): string => (tone === 'neutral' ? 'badge' : `badge badge-${tone}`);

/** When a rental stops playing: the earlier of its window end and its 48-hour play clock. */
export function rentalEndsAt(rental: Rental): Date | undefined {
  const times = [rental.playExpireTime, rental.expireTime]
    .filter((t): t is string => !!t)
    .map((t) => new Date(t))
    .filter((d) => !Number.isNaN(d.getTime()));
  if (times.length === 0) return undefined;
  return new Date(Math.min(...times.map((d) => d.getTime())));
}

/** The current time, refreshed every `everyMs` (countdowns that tick). */
export function useNow(everyMs = 60_000): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const id = setInterval(() => setNow(new Date()), everyMs);
    return () => clearInterval(id);
  }, [everyMs]);
  return now;
}
