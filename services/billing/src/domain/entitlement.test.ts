import { describe, expect, it } from 'vitest';
import { decide, projectEntitlement } from './entitlement.js';
import { DAY_MS, type EntitlementRecord, type RentalRecord, type SubscriptionRecord, type SubStatus, type Tier } from './model.js';

const now = new Date('2026-03-01T12:00:00Z');
const GRACE = 7 * DAY_MS;
const sub = (status: SubStatus, tier: Tier = 'STANDARD', over: Partial<NonNullable<EntitlementRecord['subscription']>> = {}): EntitlementRecord => ({
  userId: 'u1',
  subscription: {
    id: 'sub_1',
    status,
    planId: `${tier.toLowerCase()}-monthly`,
    tier,
    maxStreams: 2,
    maxQuality: 'HD',
    currentPeriodEnd: new Date(now.getTime() + 10 * DAY_MS),
    cancelAtPeriodEnd: status === 'canceled',
    pastDueSince: status === 'past_due' ? new Date(now.getTime() - 2 * DAY_MS) : null,
    ...over,
  },
  rentals: [],
  updatedAt: now,
});
const title = (requiredTier: Tier | null, movieId = 'm1') => ({ movieId, requiredTier });

describe('entitlement rules', () => {
  it.each([
    ['active', 'BASIC', true, 'SUBSCRIPTION'],
    ['active', 'STANDARD', true, 'SUBSCRIPTION'],
    ['active', 'PREMIUM', false, 'TIER_TOO_LOW'],
    ['trialing', 'STANDARD', true, 'TRIAL'],
    ['past_due', 'STANDARD', true, 'GRACE_PERIOD'],
    ['canceled', 'STANDARD', true, 'CANCELED_UNTIL_PERIOD_END'],
    ['incomplete', 'BASIC', false, 'PAYMENT_INCOMPLETE'],
    ['expired', 'BASIC', false, 'SUBSCRIPTION_EXPIRED'],
  ] as const)('%s STANDARD subscription, title needs %s → allowed=%s (%s)', (status, needs, allowed, reason) => {
    const d = decide(sub(status), title(needs), now, GRACE);
    expect(d).toMatchObject({ allowed, reason });
    if (allowed) expect(d).toMatchObject({ source: 'subscription', maxStreams: 2, maxQuality: 'HD' });
  });

  it('past due beyond the grace period and canceled after the period end deny', () => {
    expect(decide(sub('past_due', 'STANDARD', { pastDueSince: new Date(now.getTime() - 8 * DAY_MS) }), title('BASIC'), now, GRACE).reason).toBe('PAST_GRACE');
    expect(decide(sub('canceled', 'STANDARD', { currentPeriodEnd: new Date(now.getTime() - 1) }), title('BASIC'), now, GRACE).reason).toBe('SUBSCRIPTION_EXPIRED');
  });

  it('no account document: no subscription; a title in no plan needs a rental', () => {
    expect(decide(null, title('BASIC'), now, GRACE)).toMatchObject({ allowed: false, reason: 'NO_SUBSCRIPTION' });
    expect(decide(null, title(null), now, GRACE).reason).toBe('RENTAL_REQUIRED');
    expect(decide(sub('active', 'PREMIUM'), title(null), now, GRACE).reason).toBe('RENTAL_REQUIRED');
  });

  it('an active rental allows its title only, with one stream; a subscription that covers the title wins', () => {
    const doc: EntitlementRecord = {
      ...sub('active', 'BASIC'),
      rentals: [{ rentalId: 'r1', movieId: 'm1', status: 'active', expiresAt: new Date(now.getTime() + DAY_MS), playExpiresAt: null, playStarted: false }],
    };
    expect(decide(doc, title('PREMIUM', 'm1'), now, GRACE)).toMatchObject({ allowed: true, source: 'rental', reason: 'RENTAL', rentalId: 'r1', maxStreams: 1 });
    expect(decide(doc, title('PREMIUM', 'm2'), now, GRACE)).toMatchObject({ allowed: false, reason: 'TIER_TOO_LOW' });
    expect(decide(doc, title('BASIC', 'm1'), now, GRACE)).toMatchObject({ allowed: true, source: 'subscription' });
  });

  it('an ended rental explains the denial; either clock ends it', () => {
    const rental = (expiresAt: number, playExpiresAt: number | null): EntitlementRecord => ({
      userId: 'u1',
      subscription: null,
      rentals: [{ rentalId: 'r1', movieId: 'm1', status: 'active', expiresAt: new Date(expiresAt), playExpiresAt: playExpiresAt === null ? null : new Date(playExpiresAt), playStarted: playExpiresAt !== null }],
      updatedAt: now,
    });
    expect(decide(rental(now.getTime() - 1, null), title(null), now, GRACE).reason).toBe('RENTAL_EXPIRED');
    expect(decide(rental(now.getTime() + DAY_MS, now.getTime() - 1), title(null), now, GRACE).reason).toBe('RENTAL_EXPIRED');
    expect(decide(rental(now.getTime() + DAY_MS, now.getTime() + 3600_000), title(null), now, GRACE).validUntil).toEqual(new Date(now.getTime() + 3600_000));
  });

  it('the projection keeps the live subscription over an older ended one and the active rental per title', () => {
    const s = (id: string, status: SubStatus, created: number) => ({ id, status, createdAt: new Date(created), planId: 'p', tier: 'BASIC', maxStreams: 1, maxQuality: 'SD', currentPeriodEnd: now, cancelAtPeriodEnd: false, pastDueSince: null }) as unknown as SubscriptionRecord;
    const r = (id: string, status: RentalRecord['status'], created: number) => ({ id, movieId: 'm1', status, createdAt: new Date(created), expiresAt: new Date(now.getTime() + DAY_MS), playExpiresAt: null, playStartedAt: null, endsAt: new Date(now.getTime() + DAY_MS) }) as unknown as RentalRecord;
    const doc = projectEntitlement('u1', [s('old', 'expired', 1), s('new', 'active', 2)], [r('r1', 'returned', 1), r('r2', 'active', 2), r('r3', 'pending', 3)], now);
    expect(doc.subscription?.id).toBe('new');
    expect(doc.rentals.map((x) => x.rentalId)).toEqual(['r2']);
  });
});
