import type { billingEvents, DomainEvent } from '@flix/contracts';
import type { OfferRecord, PaymentRecord, RentalRecord, SubscriptionRecord, SubStatus } from './model.js';

type SubscriptionChanged = { subscription: SubscriptionRecord; previousStatus: SubStatus | null; previousPlanId: string };

/**
 * Billing's domain events: its contract's subjects, carrying the records the outbox writer turns
 * into proto messages.
 */
export type BillingEvent = DomainEvent<
  typeof billingEvents,
  {
    subscriptionCreated: SubscriptionChanged;
    subscriptionActivated: SubscriptionChanged;
    subscriptionUpdated: SubscriptionChanged;
    subscriptionPastDue: SubscriptionChanged;
    subscriptionCanceled: SubscriptionChanged;
    subscriptionExpired: SubscriptionChanged;
    subscriptionTrialWillEnd: { subscription: SubscriptionRecord };
    paymentSucceeded: { payment: PaymentRecord };
    paymentFailed: { payment: PaymentRecord };
    paymentRefunded: { payment: PaymentRecord };
    rentalCreated: { rental: RentalRecord };
    rentalActivated: { rental: RentalRecord };
    rentalStarted: { rental: RentalRecord };
    rentalReturned: { rental: RentalRecord };
    rentalExpired: { rental: RentalRecord };
    customerCreated: { userId: string; customerId: string };
    offerCreated: { offer: OfferRecord };
    webhookReceived: { stripeEventId: string; stripeEventType: string };
  }
>;
