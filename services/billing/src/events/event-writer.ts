import { billingEvents, contractWriter } from '@flix/contracts';
import type { Outbox, OutboxWriter } from '@flix/events';
import type { BillingEvent } from '../domain/events.js';
import type { PaymentRecord, RentalRecord, SubscriptionRecord, SubStatus } from '../domain/model.js';
import { offerToProto, paymentToProto, rentalToProto, subscriptionToProto, subStatusToProto } from '../grpc/mappers.js';

/** Writes billing's domain events into the outbox, inside the caller's transaction. */
export function billingOutboxWriter(outbox: Outbox, graceDays: number): OutboxWriter<BillingEvent> {
  const subscription = (e: { subscription: SubscriptionRecord }) => ({ subscription: subscriptionToProto(e.subscription, graceDays) });
  const change = (e: { subscription: SubscriptionRecord; previousStatus: SubStatus | null }) => ({ ...subscription(e), previousStatus: subStatusToProto(e.previousStatus) });
  const payment = (e: { payment: PaymentRecord }) => ({ payment: paymentToProto(e.payment) });
  const rental = (e: { rental: RentalRecord }) => ({ rental: rentalToProto(e.rental) });
  return contractWriter<typeof billingEvents, BillingEvent>(outbox, billingEvents, {
    subscriptionCreated: change,
    subscriptionActivated: change,
    subscriptionUpdated: (e) => ({ ...change(e), previousPlanId: e.previousPlanId }),
    subscriptionPastDue: change,
    subscriptionCanceled: change,
    subscriptionExpired: change,
    subscriptionTrialWillEnd: subscription,
    paymentSucceeded: payment,
    paymentFailed: payment,
    paymentRefunded: payment,
    rentalCreated: rental,
    rentalActivated: rental,
    rentalStarted: rental,
    rentalReturned: rental,
    rentalExpired: rental,
    customerCreated: (e) => ({ userId: e.userId, stripeCustomerId: e.customerId }),
    offerCreated: (e) => ({ userId: e.offer.userId, offer: offerToProto(e.offer) }),
    webhookReceived: (e) => ({ stripeEventId: e.stripeEventId, stripeEventType: e.stripeEventType }),
  });
}
