/**
 * Collecting an invoice: one payment attempt through its payment intent. Success pays the
 * invoice (and brings a past_due subscription back to active once nothing else is owed); a
 * decline schedules the next retry per the dunning policy, marks the subscription past_due, and
 * when the retries run out cancels it or leaves it unpaid.
 */
import { stripeId, type InvoiceJson, type InvoicePaymentJson, type PaymentIntentJson, type SubscriptionJson } from '../model.js';
import type { Billing } from '../core/context.js';
import { DAY } from '../core/support.js';
import type { CollectOptions } from './invoices.js';

export class Collection {
  constructor(private readonly b: Billing) {}

  /** Whether the payment went through. */
  attempt(inv: InvoiceJson, opts: CollectOptions): boolean {
    const { db, payments, events } = this.b;
    const now = this.b.now();
    const customer = db.customers.get(inv.customer);
    const subId = inv.parent?.subscription_details.subscription ?? null;
    const sub = subId ? db.subscriptions.find(subId) : undefined;
    const pi = this.paymentIntentFor(inv);
    const pmId = opts.paymentMethod ?? sub?.default_payment_method ?? customer.invoice_settings.default_payment_method;
    const pm = (pmId ? db.paymentMethods.find(pmId) : undefined) ?? payments.addPaymentMethod(customer.id, customer.email, customer.name, '4242');
    // The hosted checkout page collects a working card; later charges honour failNextPayments().
    const fail = !opts.checkout && this.b.failures.consume(subId, customer.id);
    const charge = payments.addCharge(pi, payments.cardFor(pm, fail), fail);
    inv.attempt_count += 1;
    inv.attempted = true;
    const ip = db.invoicePayments.first((x) => x.invoice === inv.id && x.payment.payment_intent === pi.id)!;
    if (!fail) {
      payments.succeed(pi, charge, pm);
      inv.status = 'paid';
      inv.amount_paid = inv.amount_due;
      inv.amount_remaining = 0;
      inv.next_payment_attempt = null;
      inv.status_transitions.paid_at = now;
      ip.status = 'paid';
      ip.amount_paid = inv.amount_due;
      ip.status_transitions.paid_at = now;
      customer.delinquent = false;
      events.emit('invoice.paid', inv);
      events.emit('invoice.payment_succeeded', inv);
      events.emit('payment_intent.succeeded', pi);
      events.emit('charge.succeeded', charge);
      // Webhook invoices do not include `payments`; this event is how newer API versions link them.
      events.emit('invoice_payment.paid', ip);
      const stillOwing = db.invoices.all().some((x) => x.id !== inv.id && x.status === 'open' && x.attempted && x.parent?.subscription_details.subscription === subId);
      if (sub && (sub.status === 'past_due' || sub.status === 'unpaid') && !stillOwing) {
        const before = db.render(sub);
        sub.status = 'active';
        this.b.subscriptions.emitUpdated(sub, before);
      }
      return true;
    }
    payments.fail(pi, charge, pm);
    customer.delinquent = true;
    const { retryDays, whenExhausted } = this.b.opts.dunning;
    const exhausted = inv.attempt_count > retryDays.length;
    inv.next_payment_attempt = exhausted ? null : now + retryDays[inv.attempt_count - 1] * DAY;
    events.emit('invoice.payment_failed', inv);
    events.emit('payment_intent.payment_failed', pi);
    events.emit('charge.failed', charge);
    if (sub && sub.status !== 'canceled') {
      if (exhausted && whenExhausted === 'cancel') this.b.subscriptions.end(sub, 'payment_failed');
      else if (exhausted) this.setStatus(sub, 'unpaid');
      else if (sub.status === 'active' || sub.status === 'trialing') this.setStatus(sub, 'past_due');
    }
    return false;
  }

  /** The invoice's payment intent (and its invoice payment), made at the first attempt. */
  private paymentIntentFor(inv: InvoiceJson): PaymentIntentJson {
    const { db } = this.b;
    const extra = db.invoiceExtras.get(inv.id)!;
    const existing = extra.paymentIntent ? db.paymentIntents.find(extra.paymentIntent) : undefined;
    if (existing) return existing;
    const pi = this.b.payments.addPaymentIntent(inv.amount_due, inv.currency, inv.customer, inv.billing_reason === 'subscription_create' ? 'Subscription creation' : 'Subscription update', {});
    extra.paymentIntent = pi.id;
    const ip: InvoicePaymentJson = {
      id: stripeId('inpay', 24),
      object: 'invoice_payment',
      amount_paid: null,
      amount_requested: inv.amount_due,
      created: this.b.now(),
      currency: inv.currency,
      invoice: inv.id,
      is_default: true,
      livemode: false,
      payment: { type: 'payment_intent', payment_intent: pi.id },
      status: 'open',
      status_transitions: { canceled_at: null, paid_at: null },
    };
    db.invoicePayments.add(ip);
    return pi;
  }

  private setStatus(sub: SubscriptionJson, status: 'unpaid' | 'past_due'): void {
    const before = this.b.db.render(sub);
    sub.status = status;
    this.b.subscriptions.emitUpdated(sub, before);
  }
}
