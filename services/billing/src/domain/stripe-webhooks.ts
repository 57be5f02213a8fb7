import { DomainError } from '@flix/errors';
import { insertOnce, refreshEntitlement, rentalWindows, type BillingDeps } from './common.js';
import type { BillingEvent } from './events.js';
import type { PaymentRecord } from './model.js';
import * as rental from './rental.js';
import type { StripeEvent } from './stripe-events.js';
import type { Subscriptions } from './subscriptions.js';

type EventOf<K extends StripeEvent['kind']> = Extract<StripeEvent, { kind: K }>;

/**
 * Stripe's webhook events: stored once on receipt (the HTTP route), then applied one at a time by
 * the webhook consumer. Subscription changes go through Subscriptions.sync; payments, rental
 * activation and refunds are applied here, each in one transaction with its events.
 */
export class StripeWebhooks {
  private readonly windows: rental.RentalWindows;

  constructor(
    private readonly deps: Pick<BillingDeps, 'store' | 'stripe' | 'clock' | 'settings' | 'warn'>,
    private readonly subscriptions: Subscriptions,
  ) {
    this.windows = rentalWindows(deps.settings);
  }

  private now(): Date {
    return this.deps.clock.now();
  }

  /** Stores a verified Stripe event once and queues it for the consumer; a redelivery stores nothing. */
  async receive(event: StripeEvent, raw: string): Promise<'stored' | 'duplicate'> {
    const fresh = await insertOnce(
      this.deps.store,
      (tx) => tx.insertStripeEvent({ id: event.id, type: event.type, created: event.created, raw, receivedAt: new Date() }),
      [{ subject: 'billing.webhook.received', stripeEventId: event.id, stripeEventType: event.type }],
    );
    return fresh ? 'stored' : 'duplicate';
  }

  /** Applies one stored Stripe event (the webhook consumer calls this, one event at a time); returns the outcome to record. */
  async apply(event: StripeEvent): Promise<string> {
    switch (event.kind) {
      case 'subscription': {
        const sub = await this.subscriptions.sync(event.subscription, { eventAt: event.created, authoritative: false });
        return sub ? `subscription ${sub.status}` : 'unchanged';
      }
      case 'trial_will_end': {
        const sub = await this.subscriptions.sync(event.subscription, { eventAt: event.created, authoritative: false });
        if (sub) await this.deps.store.transact((tx) => tx.emit([{ subject: 'billing.subscription.trial_will_end', subscription: sub }]));
        return 'trial will end';
      }
      case 'checkout_completed':
        return this.onCheckoutCompleted(event);
      case 'checkout_expired':
        await this.deps.store.transact(async (tx) => {
          const c = await tx.findCheckout(event.sessionId);
          if (c && c.status === 'open') await tx.updateCheckout(c.id, { status: 'expired' });
        });
        return 'checkout expired';
      case 'invoice':
        return this.onInvoice(event);
      case 'charge_refunded':
        return this.onRefund(event);
      case 'invoice_payment':
        return this.onInvoicePayment(event);
      case 'ignored':
        return 'ignored';
    }
  }

  private async onCheckoutCompleted(e: EventOf<'checkout_completed'>): Promise<string> {
    const checkout = await this.deps.store.transact((tx) => tx.findCheckout(e.sessionId));
    const userId = checkout?.userId || e.userId || (await this.deps.store.customerByStripeId(e.customerId))?.userId || '';
    if (e.mode === 'subscription') {
      if (!e.subscriptionId) return 'no subscription on session';
      // The session does not carry the subscription's state: read it from Stripe.
      const snap = await this.deps.stripe.retrieveSubscription(e.subscriptionId);
      await this.deps.store.transact(async (tx) => {
        if (checkout && checkout.status !== 'complete') {
          await tx.updateCheckout(checkout.id, { status: 'complete', completedAt: e.created });
          if (checkout.offerId) await tx.redeemOffer(checkout.offerId, e.created);
        }
      });
      const sub = await this.subscriptions.sync(snap, { eventAt: e.created, authoritative: true, userId });
      return `subscription ${sub?.status ?? 'unchanged'}`;
    }
    // Payment mode: a rental.
    const rentalId = e.metadata.flixRentalId || checkout?.rentalId || '';
    if (!rentalId) return 'payment without a rental';
    if (!e.paid) return 'rental payment not settled yet';
    return this.deps.store.transact(async (tx) => {
      const r = await tx.findRental(rentalId);
      if (!r) throw new DomainError('failed_precondition', 'UNKNOWN_RENTAL', `checkout ${e.sessionId} names rental ${rentalId}, which we do not have`);
      if (checkout && checkout.status !== 'complete') await tx.updateCheckout(checkout.id, { status: 'complete', completedAt: e.created });
      const paymentId = e.paymentIntentId || e.sessionId;
      const next = rental.activate(r, e.created, paymentId, this.windows, this.now());
      if (!next) return `rental already ${r.status}`;
      const saved = await tx.saveRental(next);
      const payment: PaymentRecord = {
        id: paymentId,
        userId: r.userId,
        kind: 'rental',
        status: 'succeeded',
        amount: { amountMinor: e.amountTotal, currency: (e.currency || r.price.currency).toUpperCase() },
        refundedMinor: 0,
        description: `Rental: ${r.movieTitle}`,
        subscriptionId: '',
        rentalId: r.id,
        planId: '',
        failedAttempts: 0,
        paymentIntentId: e.paymentIntentId,
        chargeId: '',
        receiptUrl: '',
        createdAt: e.created,
        updatedAt: this.now(),
      };
      if (!(await tx.findPayment(paymentId))) {
        await tx.savePayment(payment);
        await tx.emit([{ subject: 'billing.payment.succeeded', payment }]);
      }
      await tx.emit([{ subject: 'billing.rental.activated', rental: saved }]);
      await refreshEntitlement(tx, r.userId, this.deps.clock);
      return 'rental active';
    });
  }

  private async onInvoice(e: EventOf<'invoice'>): Promise<string> {
    let inv = e.invoice;
    // Webhook invoices carry no `payments` (Stripe includes it only when expanded): ask Stripe
    // which payment intent paid it, so a later refund (charge.refunded) finds this payment.
    if (e.paid && inv.amountPaid > 0 && !inv.paymentIntentId) {
      const known = await this.deps.store.transact((tx) => tx.findPayment(inv.id));
      if (!known?.paymentIntentId) {
        const paid = await this.deps.stripe.retrieveInvoicePayment(inv.id);
        inv = { ...inv, paymentIntentId: paid.paymentIntentId, chargeId: inv.chargeId || paid.chargeId };
      }
    }
    const userId = (await this.deps.store.customerByStripeId(inv.customerId))?.userId ?? '';
    if (!userId) throw new DomainError('failed_precondition', 'UNKNOWN_CUSTOMER', `invoice ${inv.id} belongs to a customer we do not know (${inv.customerId})`);
    const sub = inv.subscriptionId ? await this.deps.store.transact((tx) => tx.findSubscription(inv.subscriptionId)) : null;
    const now = this.now();
    const paymentEvents = await this.deps.store.transact(async (tx) => {
      const existing = await tx.findPayment(inv.id);
      // A paid invoice stays paid: a failure reported after it (out of order) changes nothing.
      if (existing && existing.status !== 'failed') {
        if (inv.paymentIntentId && !existing.paymentIntentId)
          await tx.savePayment({ ...existing, paymentIntentId: inv.paymentIntentId, chargeId: existing.chargeId || inv.chargeId, updatedAt: now });
        return [];
      }
      if (e.paid && inv.amountPaid === 0 && !existing) return []; // $0 invoices (trial starts) are not receipts
      const planId = sub?.planId ?? '';
      const payment: PaymentRecord = {
        id: inv.id,
        userId,
        kind: 'subscription',
        status: e.paid ? 'succeeded' : 'failed',
        amount: { amountMinor: e.paid ? inv.amountPaid : inv.amountDue, currency: inv.currency.toUpperCase() },
        refundedMinor: 0,
        description: planId ? `Subscription: ${planId}` : 'Subscription',
        subscriptionId: inv.subscriptionId,
        rentalId: '',
        planId,
        failedAttempts: e.paid ? Math.max(0, inv.attemptCount - 1) : Math.max(existing?.failedAttempts ?? 0, inv.attemptCount, 1),
        paymentIntentId: inv.paymentIntentId || existing?.paymentIntentId || '',
        chargeId: inv.chargeId || existing?.chargeId || '',
        receiptUrl: inv.receiptUrl,
        createdAt: existing?.createdAt ?? inv.created,
        updatedAt: now,
      };
      if (existing && existing.status === payment.status && existing.failedAttempts === payment.failedAttempts) return [];
      await tx.savePayment(payment);
      const ev: BillingEvent = { subject: e.paid ? 'billing.payment.succeeded' : 'billing.payment.failed', payment };
      return [ev];
    });
    if (inv.subscriptionId) {
      // Renewals, failures and recoveries move the subscription: take its state from Stripe.
      const snap = await this.deps.stripe.retrieveSubscription(inv.subscriptionId);
      await this.subscriptions.sync(snap, { eventAt: e.created, authoritative: true, userId, extraEvents: paymentEvents });
    } else if (paymentEvents.length) {
      await this.deps.store.transact((tx) => tx.emit(paymentEvents));
    }
    return `invoice ${e.paid ? 'paid' : 'failed'}`;
  }

  /** invoice_payment.paid: record which payment intent paid the invoice (when we hold the invoice's payment). */
  private async onInvoicePayment(e: EventOf<'invoice_payment'>): Promise<string> {
    if (!e.invoiceId || !e.paymentIntentId) return 'no payment intent';
    return this.deps.store.transact(async (tx) => {
      const p = await tx.findPayment(e.invoiceId);
      // Not stored yet (reordered): invoice.paid reads the payment from Stripe itself.
      if (!p) return 'invoice payment before its invoice';
      if (p.paymentIntentId === e.paymentIntentId && (p.chargeId || !e.chargeId)) return 'invoice payment already linked';
      await tx.savePayment({ ...p, paymentIntentId: e.paymentIntentId, chargeId: p.chargeId || e.chargeId, updatedAt: this.now() });
      return 'invoice payment linked';
    });
  }

  private async onRefund(e: EventOf<'charge_refunded'>): Promise<string> {
    let invoiceId = e.invoiceId;
    if (!invoiceId && e.paymentIntentId) {
      // `charge.invoice` is gone since API 2026-10-28: when the payment intent is not on any
      // payment we hold, ask Stripe which invoice it paid.
      const known = await this.deps.store.transact((tx) => tx.findPaymentByCharge({ paymentIntentId: e.paymentIntentId, chargeId: e.chargeId, invoiceId: '' }));
      if (!known) invoiceId = await this.deps.stripe.findInvoiceForPaymentIntent(e.paymentIntentId);
    }
    return this.deps.store.transact(async (tx) => {
      const p = await tx.findPaymentByCharge({ paymentIntentId: e.paymentIntentId, chargeId: e.chargeId, invoiceId });
      if (!p) {
        this.deps.warn?.({ chargeId: e.chargeId, paymentIntentId: e.paymentIntentId }, 'refund for a payment we do not know');
        return 'unknown payment';
      }
      if (e.amountRefunded <= p.refundedMinor) return 'refund already recorded';
      const full = e.amountRefunded >= p.amount.amountMinor;
      const next: PaymentRecord = {
        ...p,
        refundedMinor: e.amountRefunded,
        status: full ? 'refunded' : 'partially_refunded',
        paymentIntentId: p.paymentIntentId || e.paymentIntentId,
        chargeId: p.chargeId || e.chargeId,
        updatedAt: this.now(),
      };
      await tx.savePayment(next);
      const events: BillingEvent[] = [{ subject: 'billing.payment.refunded', payment: next }];
      if (full && p.rentalId) {
        // A refunded rental is over.
        const r = await tx.findRental(p.rentalId);
        const ended = r && rental.refund(r, this.now());
        if (ended) {
          const saved = await tx.saveRental(ended);
          events.push({ subject: 'billing.rental.returned', rental: saved });
        }
      }
      await tx.emit(events);
      if (p.rentalId) await refreshEntitlement(tx, p.userId, this.deps.clock);
      return full ? 'refunded' : 'partially refunded';
    });
  }
}
