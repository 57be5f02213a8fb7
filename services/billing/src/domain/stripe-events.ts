/**
 * The Stripe objects and webhook events billing reacts to, in domain terms. The Stripe adapter
 * (src/stripe) turns Stripe's JSON into these, so the domain never depends on the SDK's types.
 */

/** A subscription as Stripe reports it (from a webhook payload or a fresh read). */
export interface SubscriptionSnapshot {
  id: string;
  customerId: string;
  /** Stripe's status: incomplete, incomplete_expired, trialing, active, past_due, unpaid, canceled, paused. */
  status: string;
  priceId: string;
  itemId: string;
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  cancelAtPeriodEnd: boolean;
  canceledAt: Date | null;
  endedAt: Date | null;
  trialEnd: Date | null;
  created: Date;
  /** metadata.flixUserId when we set it at checkout. */
  userId: string;
}

export interface InvoiceSnapshot {
  id: string;
  customerId: string;
  subscriptionId: string;
  amountPaid: number;
  amountDue: number;
  currency: string;
  attemptCount: number;
  paymentIntentId: string;
  chargeId: string;
  receiptUrl: string;
  periodStart: Date | null;
  periodEnd: Date | null;
  created: Date;
}

interface Base {
  /** Stripe's event id (evt_…). */
  id: string;
  /** Stripe's event type. */
  type: string;
  /** When Stripe created the event (second resolution). */
  created: Date;
}

export type StripeEvent =
  | (Base & {
      kind: 'checkout_completed';
      sessionId: string;
      mode: 'subscription' | 'payment';
      userId: string;
      customerId: string;
      subscriptionId: string;
      paymentIntentId: string;
      paid: boolean;
      amountTotal: number;
      currency: string;
      metadata: Record<string, string>;
    })
  | (Base & { kind: 'checkout_expired'; sessionId: string })
  | (Base & { kind: 'subscription'; subscription: SubscriptionSnapshot; deleted: boolean })
  | (Base & { kind: 'trial_will_end'; subscription: SubscriptionSnapshot })
  | (Base & { kind: 'invoice'; paid: boolean; invoice: InvoiceSnapshot })
  | (Base & {
      kind: 'charge_refunded';
      chargeId: string;
      paymentIntentId: string;
      invoiceId: string;
      customerId: string;
      amount: number;
      amountRefunded: number;
      currency: string;
    })
  /** invoice_payment.paid: how API 2026-10-28 links an invoice to the payment intent that paid it. */
  | (Base & { kind: 'invoice_payment'; invoiceId: string; paymentIntentId: string; chargeId: string })
  | (Base & { kind: 'ignored' });
