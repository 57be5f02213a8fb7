import type { IndexPlan } from '@flix/mongo';

export const BILLING_INDEXES: IndexPlan = {
  plans: [{ key: { priceIds: 1 }, name: 'price' }],
  // _id is the user: one Stripe customer per account.
  customers: [{ key: { stripeCustomerId: 1 }, name: 'stripe_customer', unique: true }],
  subscriptions: [{ key: { userId: 1, createdAt: -1 }, name: 'user' }],
  rentals: [
    { key: { userId: 1, createdAt: -1, _id: -1 }, name: 'user' },
    { key: { status: 1, endsAt: 1 }, name: 'sweep' },
  ],
  payments: [
    { key: { userId: 1, createdAt: -1, _id: -1 }, name: 'user' },
    { key: { paymentIntentId: 1 }, name: 'payment_intent' },
    { key: { chargeId: 1 }, name: 'charge' },
  ],
  // `slot` is unique: two concurrent checkouts for the same thing share one Stripe session.
  checkouts: [
    { key: { slot: 1 }, name: 'slot', unique: true },
    { key: { userId: 1, kind: 1, status: 1 }, name: 'user_open' },
  ],
  offers: [{ key: { userId: 1 }, name: 'user' }],
  // The payment log: every verified Stripe event, raw, unique by Stripe's event id (_id).
  stripe_events: [{ key: { created: 1 }, name: 'created' }],
};
