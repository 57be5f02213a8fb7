import { DAY_MS, type OfferRecord, type PlanRecord, type SubscriptionRecord } from './model.js';

/**
 * Personal prices, computed from signals after the fact (the offers consumer) and read at
 * checkout. Ids are derived from the signal, so a redelivered signal never makes a second offer.
 */
export const WIN_BACK_PERCENT = 30;
export const WIN_BACK_DAYS = 60;
export const YEARLY_SWITCH_PERCENT = 15;
export const YEARLY_SWITCH_DAYS = 30;

/** A subscriber who cancels (or lapses) gets a discount for coming back. */
export function winBackOffer(sub: SubscriptionRecord, now: Date): OfferRecord {
  return {
    id: `winback-${sub.id}`,
    userId: sub.userId,
    kind: 'WIN_BACK',
    percentOff: WIN_BACK_PERCENT,
    planIds: [],
    description: `Come back: ${WIN_BACK_PERCENT}% off your first period on any plan`,
    expiresAt: new Date(now.getTime() + WIN_BACK_DAYS * DAY_MS),
    createdAt: now,
    redeemedAt: null,
    couponId: '',
  };
}

/** A monthly subscriber is offered the yearly plan of the same tier at a further discount. */
export function yearlySwitchOffer(sub: SubscriptionRecord, plans: PlanRecord[], now: Date): OfferRecord | null {
  const current = plans.find((p) => p.id === sub.planId);
  if (!current || current.interval !== 'monthly') return null;
  const yearly = plans.find((p) => p.active && p.tier === current.tier && p.interval === 'yearly' && p.price.currency === current.price.currency);
  if (!yearly) return null;
  const saving = current.price.amountMinor * 12 - Math.round((yearly.price.amountMinor * (100 - YEARLY_SWITCH_PERCENT)) / 100);
  return {
    id: `yearly-${sub.id}`,
    userId: sub.userId,
    kind: 'YEARLY_SWITCH',
    percentOff: YEARLY_SWITCH_PERCENT,
    planIds: [yearly.id],
    description: `Switch to ${yearly.displayName}: ${YEARLY_SWITCH_PERCENT}% off the first year, saving ${(saving / 100).toFixed(2)} ${yearly.price.currency} over 12 monthly payments`,
    expiresAt: new Date(now.getTime() + YEARLY_SWITCH_DAYS * DAY_MS),
    createdAt: now,
    redeemedAt: null,
    couponId: '',
  };
}

export const isOfferOpen = (o: OfferRecord, now: Date) => !o.redeemedAt && o.expiresAt.getTime() > now.getTime();

/** The best open offer for a plan: the biggest discount. */
export function bestOffer(offers: OfferRecord[], planId: string, now: Date): OfferRecord | null {
  const usable = offers.filter((o) => isOfferOpen(o, now) && (o.planIds.length === 0 || o.planIds.includes(planId)));
  usable.sort((a, b) => b.percentOff - a.percentOff || a.createdAt.getTime() - b.createdAt.getTime());
  return usable[0] ?? null;
}

export const discounted = (amountMinor: number, percentOff: number) => Math.round((amountMinor * (100 - percentOff)) / 100);
