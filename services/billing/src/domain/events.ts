import type { OfferRecord, PaymentRecord, RentalRecord, SubscriptionRecord, SubStatus } from './model.js';
import type { SubscriptionChange } from './subscription.js';

/** Billing's domain events; the outbox writer turns each into its proto message. */
export type BillingEvent =
  | { subject: SubscriptionChange; subscription: SubscriptionRecord; previousStatus: SubStatus | null; previousPlanId: string }
  | { subject: 'billing.subscription.trial_will_end'; subscription: SubscriptionRecord }
  | { subject: 'billing.payment.succeeded' | 'billing.payment.failed' | 'billing.payment.refunded'; payment: PaymentRecord }
  | {
      subject: 'billing.rental.created' | 'billing.rental.activated' | 'billing.rental.started' | 'billing.rental.returned' | 'billing.rental.expired';
      rental: RentalRecord;
    }
  | { subject: 'billing.customer.created'; userId: string; customerId: string }
  | { subject: 'billing.offer.created'; offer: OfferRecord }
  | { subject: 'billing.webhook.received'; stripeEventId: string; stripeEventType: string };
