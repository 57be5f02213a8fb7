import { Violations } from '@flix/errors';
import { INTERVALS, QUALITIES, TIERS, type Interval, type PlanRecord, type Quality, type Tier } from './model.js';

/** The six plans seeded on first start: three tiers, each monthly (30 days) and yearly (365 days, two months free). */
export function defaultPlans(now: Date): PlanRecord[] {
  const tiers: { tier: Tier; name: string; monthly: number; streams: number; quality: Quality; features: string[] }[] = [
    { tier: 'BASIC', name: 'Basic', monthly: 899, streams: 1, quality: 'SD', features: ['Ad-free', 'Watch on 1 screen', 'SD quality'] },
    { tier: 'STANDARD', name: 'Standard', monthly: 1549, streams: 2, quality: 'HD', features: ['Ad-free', 'Watch on 2 screens', 'Full HD', 'Downloads'] },
    { tier: 'PREMIUM', name: 'Premium', monthly: 2299, streams: 4, quality: 'UHD', features: ['Ad-free', 'Watch on 4 screens', '4K Ultra HD + HDR', 'Spatial audio', 'Downloads'] },
  ];
  return tiers.flatMap((t) =>
    (['monthly', 'yearly'] as const).map((interval) => ({
      id: `${t.tier.toLowerCase()}-${interval}`,
      displayName: `${t.name} (${interval})`,
      tier: t.tier,
      interval,
      price: { amountMinor: interval === 'monthly' ? t.monthly : t.monthly * 10, currency: 'USD' },
      maxStreams: t.streams,
      maxQuality: t.quality,
      features: t.features,
      trialDays: 0,
      active: true,
      stripeProductId: '',
      stripePriceId: '',
      createdAt: now,
      updatedAt: now,
      version: 0,
    })),
  );
}

/** What an admin may set on a plan. */
export interface PlanInput {
  id?: string;
  displayName?: string;
  tier?: Tier;
  interval?: Interval;
  priceMinor?: number;
  currency?: string;
  maxStreams?: number;
  maxQuality?: Quality;
  features?: string[];
  trialDays?: number;
  active?: boolean;
}

/** The shape of a plan id (a slug such as standard-monthly). */
export const PLAN_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;

export const PLAN_FIELDS = ['displayName', 'tier', 'interval', 'price', 'maxConcurrentStreams', 'maxQuality', 'features', 'trialDays', 'active'] as const;
export type PlanField = (typeof PLAN_FIELDS)[number];

/** Validates a new plan (every field) or an update (the masked fields); reports every bad field at once. */
export function validatePlan(input: PlanInput, fields: readonly PlanField[] | 'all'): void {
  const v = new Violations();
  const has = (f: PlanField) => fields === 'all' || fields.includes(f);
  if (fields === 'all' && !PLAN_ID.test(input.id ?? '')) v.add('plan.id', 'must be 2-63 lower-case letters, digits or dashes');
  if (has('displayName') && !(input.displayName && input.displayName.trim().length >= 1 && input.displayName.length <= 80)) v.add('plan.displayName', 'must be 1-80 characters');
  if (has('tier') && !(input.tier && TIERS.includes(input.tier))) v.add('plan.tier', `must be one of ${TIERS.join(', ')}`);
  if (has('interval') && !(input.interval && INTERVALS.includes(input.interval))) v.add('plan.interval', 'must be BILLING_INTERVAL_MONTHLY or BILLING_INTERVAL_YEARLY');
  if (has('price')) {
    if (!(Number.isInteger(input.priceMinor) && input.priceMinor! >= 50 && input.priceMinor! <= 10_000_000)) v.add('plan.price.amountMinor', 'must be a whole number of minor units between 50 and 10000000');
    if (!/^[A-Z]{3}$/.test(input.currency ?? '')) v.add('plan.price.currency', 'must be an ISO 4217 code such as USD');
  }
  if (has('maxConcurrentStreams') && !(Number.isInteger(input.maxStreams) && input.maxStreams! >= 1 && input.maxStreams! <= 10)) v.add('plan.maxConcurrentStreams', 'must be between 1 and 10');
  if (has('maxQuality') && !(input.maxQuality && QUALITIES.includes(input.maxQuality))) v.add('plan.maxQuality', 'must be VIDEO_QUALITY_SD, _HD or _UHD');
  if (has('features') && (input.features ?? []).some((f) => f.trim() === '' || f.length > 100)) v.add('plan.features', 'each feature must be 1-100 characters');
  if (has('trialDays') && !(Number.isInteger(input.trialDays ?? 0) && (input.trialDays ?? 0) >= 0 && (input.trialDays ?? 0) <= 90)) v.add('plan.trialDays', 'must be between 0 and 90');
  v.throwIfAny();
}
