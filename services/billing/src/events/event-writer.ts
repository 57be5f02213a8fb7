import { billingEvents } from '@flix/contracts';
import { outboxWriter, type Outbox, type OutboxWriter } from '@flix/events';
import type { BillingEvent } from '../domain/events.js';
import { offerToProto, paymentToProto, rentalToProto, subscriptionToProto, subStatusToProto } from '../grpc/mappers.js';

/** Writes billing's domain events into the outbox, inside the caller's transaction. */
export const billingOutboxWriter = (outbox: Outbox, graceDays: number): OutboxWriter<BillingEvent> =>
  outboxWriter(outbox, billingEvents, (e: BillingEvent) => payloadOf(e, graceDays));

function payloadOf(e: BillingEvent, graceDays: number): Record<string, unknown> {
  if ('subscription' in e) {
    const base = { subscription: subscriptionToProto(e.subscription, graceDays) };
    if (e.subject === 'billing.subscription.trial_will_end') return base;
    return { ...base, previousStatus: subStatusToProto(e.previousStatus), ...(e.subject === 'billing.subscription.updated' ? { previousPlanId: e.previousPlanId } : {}) };
  }
  if ('payment' in e) return { payment: paymentToProto(e.payment) };
  if ('rental' in e) return { rental: rentalToProto(e.rental) };
  if ('offer' in e) return { userId: e.offer.userId, offer: offerToProto(e.offer) };
  if (e.subject === 'billing.customer.created') return { userId: e.userId, stripeCustomerId: e.customerId };
  return { stripeEventId: e.stripeEventId, stripeEventType: e.stripeEventType };
}
