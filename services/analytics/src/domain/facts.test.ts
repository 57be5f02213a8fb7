import { describe, expect, it } from 'vitest';
import { billingEvents, playbackEvents } from '@flix/contracts';
import { buildEvent } from '@flix/events';
import { PaymentKind, SubscriptionStatus } from '@flix/proto/flix/billing/v1/resources';
import { factsOf } from './facts.js';

const now = new Date('2026-06-01T00:00:00Z');

describe('facts of an event', () => {
  it('count a session end as watch time, rebuffering and completion for its title', () => {
    const e = buildEvent(playbackEvents.sessionEnded, { occurTime: new Date('2026-05-01T10:00:00Z'), userId: 'u', movieId: 'm', watchedSeconds: 61.5, rebufferMs: 1200, completed: true });
    const f = factsOf(playbackEvents.sessionEnded.subject, e, now);
    expect(f.time.toISOString()).toBe('2026-05-01T10:00:00.000Z');
    expect(f.daily).toEqual({ events: 1, sessionsEnded: 1, watchSeconds: 61.5, rebufferMs: 1200, completions: 1 });
    expect(f.title).toEqual({ movieId: 'm', inc: { sessionsEnded: 1, watchSeconds: 61.5, rebufferMs: 1200, completions: 1 } });
    // Ending a session is not a new sign of activity; starting one is.
    expect(f.activeUserId).toBeUndefined();
  });

  it('sum only amounts in the reporting currency, and learn a plan price from a subscription payment', () => {
    const usd = buildEvent(billingEvents.paymentSucceeded, { payment: { userId: 'u', kind: PaymentKind.PAYMENT_KIND_SUBSCRIPTION, planId: 'basic-yearly', amount: { amountMinor: 8999, currency: 'usd' } } });
    const eur = buildEvent(billingEvents.paymentSucceeded, { payment: { userId: 'u', kind: PaymentKind.PAYMENT_KIND_SUBSCRIPTION, planId: 'x', amount: { amountMinor: 500, currency: 'EUR' } } });
    const fu = factsOf(billingEvents.paymentSucceeded.subject, usd, now, 'USD');
    expect(fu.daily).toMatchObject({ paymentsSucceeded: 1, revenueMinor: 8999 });
    expect(fu.signals).toEqual({ paymentsSucceeded: 1 });
    expect(fu.observedPrice).toEqual({ planId: 'basic-yearly', amountMinor: 8999, currency: 'USD', months: 12 });
    const fe = factsOf(billingEvents.paymentSucceeded.subject, eur, now, 'USD');
    expect(fe.daily).toEqual({ events: 1, paymentsSucceeded: 1 });
    expect(fe.observedPrice).toBeUndefined();
  });

  it('turn a subscription event into an observation ordered by its update time', () => {
    const e = buildEvent(billingEvents.subscriptionExpired, {
      occurTime: new Date('2026-05-02T00:00:00Z'),
      subscription: { id: 's', userId: 'u', planId: 'p', status: SubscriptionStatus.SUBSCRIPTION_STATUS_EXPIRED, updateTime: new Date('2026-05-01T23:59:00Z'), endedTime: new Date('2026-05-01T23:00:00Z') },
    });
    expect(factsOf(billingEvents.subscriptionExpired.subject, e, now).subscription).toEqual({
      subscriptionId: 's',
      userId: 'u',
      planId: 'p',
      state: 'expired',
      observedAt: new Date('2026-05-01T23:59:00Z'),
      endedAt: new Date('2026-05-01T23:00:00Z'),
    });
  });

  it('count an unknown event as an event at the time given', () => {
    expect(factsOf('engagement.review.flagged', undefined, now)).toEqual({ time: now, daily: { events: 1 } });
  });
});
