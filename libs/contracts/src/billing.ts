import { defineEvent } from '@flix/events';
import {
  CustomerCreated,
  OfferCreated,
  PaymentFailed,
  PaymentRefunded,
  PaymentSucceeded,
  RentalActivated,
  RentalCreated,
  RentalExpired,
  RentalReturned,
  RentalStarted,
  SubscriptionActivated,
  SubscriptionCanceled,
  SubscriptionCreated,
  SubscriptionExpired,
  SubscriptionPastDue,
  SubscriptionTrialWillEnd,
  SubscriptionUpdated,
  WebhookReceived,
} from '@flix/proto/flix/billing/v1/events';
import { producedBy } from './contract.js';

/** Billing's events: the single definition of each subject ↔ proto type pairing. */
export const billingEvents = producedBy('billing', {
  subscriptionCreated: defineEvent({ subject: 'billing.subscription.created', type: 'flix.billing.v1.SubscriptionCreated', codec: SubscriptionCreated }),
  subscriptionActivated: defineEvent({ subject: 'billing.subscription.activated', type: 'flix.billing.v1.SubscriptionActivated', codec: SubscriptionActivated }),
  subscriptionUpdated: defineEvent({ subject: 'billing.subscription.updated', type: 'flix.billing.v1.SubscriptionUpdated', codec: SubscriptionUpdated }),
  subscriptionPastDue: defineEvent({ subject: 'billing.subscription.past_due', type: 'flix.billing.v1.SubscriptionPastDue', codec: SubscriptionPastDue }),
  subscriptionCanceled: defineEvent({ subject: 'billing.subscription.canceled', type: 'flix.billing.v1.SubscriptionCanceled', codec: SubscriptionCanceled }),
  subscriptionExpired: defineEvent({ subject: 'billing.subscription.expired', type: 'flix.billing.v1.SubscriptionExpired', codec: SubscriptionExpired }),
  subscriptionTrialWillEnd: defineEvent({ subject: 'billing.subscription.trial_will_end', type: 'flix.billing.v1.SubscriptionTrialWillEnd', codec: SubscriptionTrialWillEnd }),
  paymentSucceeded: defineEvent({ subject: 'billing.payment.succeeded', type: 'flix.billing.v1.PaymentSucceeded', codec: PaymentSucceeded }),
  paymentFailed: defineEvent({ subject: 'billing.payment.failed', type: 'flix.billing.v1.PaymentFailed', codec: PaymentFailed }),
  paymentRefunded: defineEvent({ subject: 'billing.payment.refunded', type: 'flix.billing.v1.PaymentRefunded', codec: PaymentRefunded }),
  rentalCreated: defineEvent({ subject: 'billing.rental.created', type: 'flix.billing.v1.RentalCreated', codec: RentalCreated }),
  rentalActivated: defineEvent({ subject: 'billing.rental.activated', type: 'flix.billing.v1.RentalActivated', codec: RentalActivated }),
  rentalStarted: defineEvent({ subject: 'billing.rental.started', type: 'flix.billing.v1.RentalStarted', codec: RentalStarted }),
  rentalReturned: defineEvent({ subject: 'billing.rental.returned', type: 'flix.billing.v1.RentalReturned', codec: RentalReturned }),
  rentalExpired: defineEvent({ subject: 'billing.rental.expired', type: 'flix.billing.v1.RentalExpired', codec: RentalExpired }),
  customerCreated: defineEvent({ subject: 'billing.customer.created', type: 'flix.billing.v1.CustomerCreated', codec: CustomerCreated }),
  offerCreated: defineEvent({ subject: 'billing.offer.created', type: 'flix.billing.v1.OfferCreated', codec: OfferCreated }),
  /** Billing-internal: a stored Stripe webhook event waiting to be applied (durable 'billing-webhooks'). */
  webhookReceived: defineEvent({ subject: 'billing.webhook.received', type: 'flix.billing.v1.WebhookReceived', codec: WebhookReceived }),
});

/** Stream that holds billing's events. */
export const BILLING_STREAM = 'BILLING';
