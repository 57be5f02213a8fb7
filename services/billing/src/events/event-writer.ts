import type { ClientSession } from 'mongodb';
import { billingEvents } from '@flix/contracts';
import type { EventDef, EventInit, FlixEventMessage, Outbox } from '@flix/events';
import type { BillingEvent } from '../domain/events.js';
import { offerToProto, paymentToProto, rentalToProto, subscriptionToProto, subStatusToProto } from '../grpc/mappers.js';

const DEF_BY_SUBJECT = new Map<string, EventDef<FlixEventMessage>>(
  Object.values(billingEvents).map((d) => [d.subject, d as unknown as EventDef<FlixEventMessage>]),
);

/** Writes billing's domain events into the outbox, inside the caller's transaction. */
export function outboxWriter(outbox: Outbox, graceDays: number) {
  return async (session: ClientSession, events: BillingEvent[]): Promise<void> => {
    for (const e of events) {
      const def = DEF_BY_SUBJECT.get(e.subject);
      if (!def) throw new Error(`no event definition for ${e.subject}`);
      await outbox.enqueue(session, def, payloadOf(e, graceDays) as EventInit<FlixEventMessage>);
    }
  };
}

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
