import { describe, expect, it } from 'vitest';
import type { PlanRecord } from './model.js';
import { defaultPlans } from './plan.js';
import type { SubscriptionSnapshot } from './stripe-events.js';
import { applySnapshot, canTransition, statusFromStripe } from './subscription.js';

const t0 = new Date('2026-01-01T00:00:00Z');
const plans = defaultPlans(t0);
const basic = plans.find((p) => p.id === 'basic-monthly') as PlanRecord;
const premium = plans.find((p) => p.id === 'premium-monthly') as PlanRecord;
const snap = (over: Partial<SubscriptionSnapshot> = {}): SubscriptionSnapshot => ({
  id: 'sub_1',
  customerId: 'cus_1',
  status: 'active',
  priceId: 'price_basic',
  itemId: 'si_1',
  currentPeriodStart: t0,
  currentPeriodEnd: new Date(t0.getTime() + 30 * 86400_000),
  cancelAtPeriodEnd: false,
  canceledAt: null,
  endedAt: null,
  trialEnd: null,
  created: t0,
  userId: 'u1',
  ...over,
});
const ctx = (plan: PlanRecord, observedAt: number, now = t0) => ({ userId: 'u1', plan, now, observedAt });

describe('subscription state machine', () => {
  it('maps Stripe statuses onto ours', () => {
    expect(statusFromStripe('active', false)).toBe('active');
    expect(statusFromStripe('active', true)).toBe('canceled');
    expect(statusFromStripe('trialing', false)).toBe('trialing');
    expect(statusFromStripe('unpaid', false)).toBe('past_due');
    expect(statusFromStripe('canceled', false)).toBe('expired');
    expect(statusFromStripe('incomplete_expired', false)).toBe('expired');
    expect(statusFromStripe('incomplete', false)).toBe('incomplete');
  });

  it('never leaves expired', () => {
    for (const to of ['incomplete', 'trialing', 'active', 'past_due', 'canceled'] as const) expect(canTransition('expired', to)).toBe(false);
    expect(canTransition('past_due', 'active')).toBe(true);
    expect(canTransition('canceled', 'active')).toBe(true);
  });

  it('creates, activates, goes past due (keeping the first failure time), recovers, cancels and expires', () => {
    const created = applySnapshot(null, snap(), ctx(basic, 1))!;
    expect(created.changes).toEqual(['billing.subscription.created', 'billing.subscription.activated']);
    expect(created.next).toMatchObject({ status: 'active', planId: 'basic-monthly', tier: 'BASIC', maxStreams: 1 });
    const cur = { ...created.next, version: 1 };

    const failAt = new Date(t0.getTime() + 31 * 86400_000);
    const pastDue = applySnapshot(cur, snap({ status: 'past_due' }), ctx(basic, 2, failAt))!;
    expect(pastDue.changes).toEqual(['billing.subscription.past_due']);
    expect(pastDue.next.pastDueSince).toEqual(failAt);
    const again = applySnapshot({ ...pastDue.next, version: 2 }, snap({ status: 'past_due' }), ctx(basic, 3, new Date(failAt.getTime() + 86400_000)))!;
    expect(again.next.pastDueSince).toEqual(failAt);

    const recovered = applySnapshot({ ...pastDue.next, version: 2 }, snap({ status: 'active' }), ctx(basic, 4))!;
    expect(recovered.changes).toEqual(['billing.subscription.activated']);
    expect(recovered.next.pastDueSince).toBeNull();

    const canceled = applySnapshot({ ...recovered.next, version: 3 }, snap({ cancelAtPeriodEnd: true }), ctx(basic, 5))!;
    expect(canceled.changes).toEqual(['billing.subscription.canceled']);
    const resumed = applySnapshot({ ...canceled.next, version: 4 }, snap(), ctx(basic, 6))!;
    expect(resumed.changes).toEqual(['billing.subscription.updated']);

    const ended = applySnapshot({ ...resumed.next, version: 5 }, snap({ status: 'canceled', endedAt: failAt }), ctx(basic, 7))!;
    expect(ended.changes).toEqual(['billing.subscription.expired']);
    expect(applySnapshot({ ...ended.next, version: 6 }, snap({ status: 'active' }), ctx(basic, 8))).toBeNull();
  });

  it('a plan change is an update with the new tier and limits', () => {
    const cur = { ...applySnapshot(null, snap(), ctx(basic, 1))!.next, version: 1 };
    const changed = applySnapshot(cur, snap({ priceId: 'price_premium' }), ctx(premium, 2))!;
    expect(changed.changes).toEqual(['billing.subscription.updated']);
    expect(changed.next).toMatchObject({ planId: 'premium-monthly', tier: 'PREMIUM', maxStreams: 4, maxQuality: 'UHD' });
  });
});
