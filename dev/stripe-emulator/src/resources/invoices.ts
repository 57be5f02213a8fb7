/**
 * Invoices: drafted from lines (with the subscription's discounts), finalized (number, customer
 * balance) and collected; pending invoice items wait for the next one. Charging and dunning are
 * in collection.ts.
 */
import { invalidRequest, noSuch, StripeApiError } from '../errors.js';
import { stripeId, type CustomerJson, type InvoiceBillingReason, type InvoiceItemJson, type InvoiceJson, type InvoiceLineItemJson, type InvoicePaymentJson, type ListJson, type SubscriptionJson } from '../model.js';
import type { InvoiceItemListParams, InvoiceListParams, InvoicePaymentListParams, InvoicePayParams, ListParams } from '../schemas.js';
import { DUE_RANK, type DueSource, type OfferDue } from '../core/clock.js';
import type { Billing } from '../core/context.js';
import { paginate } from '../core/store.js';
import type { DraftLine } from './draft-lines.js';
import { invoiceJson } from './invoice-json.js';

/** How a payment is taken: the card to use, and whether it is the hosted checkout's (which always works). */
export interface CollectOptions {
  paymentMethod?: string;
  checkout?: boolean;
}

export class Invoices implements DueSource {
  constructor(private readonly b: Billing) {}

  /** A draft invoice for the lines; announced as invoice.created. */
  create(customer: CustomerJson, sub: SubscriptionJson | null, reason: InvoiceBillingReason, drafts: DraftLine[], period: { start: number; end: number }): InvoiceJson {
    const { db, coupons } = this.b;
    const id = stripeId('in', 24);
    const discounts = coupons.apply(drafts, sub ? coupons.activeOn(sub) : []);
    const inv = invoiceJson({ id, now: this.b.now(), customer, sub, reason, drafts, period, discounts });
    for (const d of drafts) if (d.invoiceItem) db.invoiceItems.find(d.invoiceItem)!.invoice = id;
    db.invoices.add(inv);
    db.invoiceExtras.set(id, { paymentIntent: null });
    // A coupon good for "once" is used up by the first invoice it takes something off.
    if (sub)
      for (const t of discounts.totals)
        if (coupons.couponOf(t.discount)?.duration === 'once') sub.discounts = sub.discounts.filter((x) => x !== t.discount);
    this.b.events.emit('invoice.created', inv);
    return inv;
  }

  /** Finalizes (number, customer balance) and collects: paid at once when nothing is due, else charged. */
  finalizeAndCollect(inv: InvoiceJson, opts: CollectOptions): void {
    const customer = this.b.db.customers.get(inv.customer);
    const now = this.b.now();
    const { publicUrl } = this.b.opts;
    // The customer balance (negative = credit) is applied when the invoice is finalized.
    inv.starting_balance = customer.balance;
    const due = inv.total + customer.balance;
    inv.amount_due = Math.max(0, due);
    inv.amount_remaining = inv.amount_due;
    inv.ending_balance = due < 0 ? due : 0;
    customer.balance = inv.ending_balance;
    inv.number = `${customer.invoice_prefix}-${String(customer.next_invoice_sequence).padStart(4, '0')}`;
    customer.next_invoice_sequence += 1;
    inv.status = 'open';
    inv.status_transitions.finalized_at = now;
    inv.effective_at = now;
    inv.hosted_invoice_url = `${publicUrl}/invoice/${inv.id}`;
    inv.invoice_pdf = `${publicUrl}/invoice/${inv.id}/pdf`;
    inv.webhooks_delivered_at = now;
    this.b.events.emit('invoice.finalized', inv);
    if (inv.amount_due === 0) {
      inv.status = 'paid';
      inv.status_transitions.paid_at = now;
      this.b.events.emit('invoice.paid', inv);
      this.b.events.emit('invoice.payment_succeeded', inv);
      return;
    }
    this.b.collection.attempt(inv, opts);
  }

  list(p: InvoiceListParams): ListJson<InvoiceJson> {
    return this.b.db.invoices.list(p, '/v1/invoices', {
      where: (i) => (!p.customer || i.customer === p.customer) && (!p.subscription || i.parent?.subscription_details.subscription === p.subscription) && (!p.status || i.status === p.status),
    });
  }

  lines(id: string, p: ListParams): ListJson<InvoiceLineItemJson> {
    return paginate(this.b.db.invoices.get(id).lines.data, p, `/v1/invoices/${id}/lines`, (x) => this.b.db.render(x));
  }

  /** invoices.pay: charge an open invoice now (a decline is a 402 card error, as from Stripe). */
  pay(id: string, p: InvoicePayParams): InvoiceJson {
    const { db } = this.b;
    const inv = db.invoices.get(id);
    if (inv.status === 'paid') throw invalidRequest('Invoice is already paid', 'invoice', 'invoice_already_paid');
    if (inv.status !== 'open') throw invalidRequest(`You can only pay an invoice that is open; this one is ${inv.status}.`, 'invoice', 'invoice_not_open');
    if (p.paid_out_of_band) {
      inv.status = 'paid';
      inv.amount_paid = 0;
      inv.amount_remaining = 0;
      inv.next_payment_attempt = null;
      inv.status_transitions.paid_at = this.b.now();
      this.b.events.emit('invoice.paid', inv);
      return db.render(inv);
    }
    if (p.payment_method && !db.paymentMethods.has(p.payment_method)) throw noSuch('payment_method', p.payment_method, 'payment_method');
    const ok = this.b.collection.attempt(inv, { paymentMethod: p.payment_method ?? undefined });
    if (!ok) {
      const pi = db.paymentIntents.find(db.invoiceExtras.get(id)!.paymentIntent!)!;
      throw new StripeApiError(402, {
        type: 'card_error',
        code: 'card_declined',
        decline_code: 'generic_decline',
        doc_url: 'https://stripe.com/docs/error-codes/card-declined',
        message: 'Your card was declined.',
        charge: pi.latest_charge ?? undefined,
        payment_intent: db.render(pi),
      });
    }
    return db.render(inv);
  }

  listPayments(p: InvoicePaymentListParams): ListJson<InvoicePaymentJson> {
    return this.b.db.invoicePayments.list(p, '/v1/invoice_payments', { where: (x) => (!p.invoice || x.invoice === p.invoice) && (!p.status || x.status === p.status) });
  }

  listItems(p: InvoiceItemListParams): ListJson<InvoiceItemJson> {
    return this.b.db.invoiceItems.list(p, '/v1/invoiceitems', {
      where: (x) => (!p.customer || x.customer === p.customer) && (!p.invoice || x.invoice === p.invoice) && (p.pending == null || (x.invoice === null) === p.pending),
      created: (x) => x.date,
    });
  }

  /** An invoice item waiting for the subscription's next invoice (a proration). */
  addPendingItem(sub: SubscriptionJson, line: DraftLine): InvoiceItemJson {
    const ii: InvoiceItemJson = {
      id: stripeId('ii', 24),
      object: 'invoiceitem',
      amount: line.amount,
      currency: sub.currency,
      customer: sub.customer,
      customer_account: null,
      date: this.b.now(),
      description: line.description,
      discountable: line.discountable,
      discounts: [],
      invoice: null,
      livemode: false,
      metadata: {},
      parent: { type: 'subscription_details', subscription_details: { subscription: sub.id, ...(line.subscriptionItem ? { subscription_item: line.subscriptionItem } : {}) } },
      period: { ...line.period },
      pricing: { type: 'price_details', price_details: { price: line.price.id, product: line.price.product }, unit_amount_decimal: String(line.price.unit_amount) },
      proration: line.proration,
      quantity: line.quantity,
      quantity_decimal: String(line.quantity),
      tax_rates: [],
      test_clock: null,
    };
    this.b.db.invoiceItems.add(ii);
    this.b.events.emit('invoiceitem.created', ii);
    return ii;
  }

  /** The subscription's pending invoice items as lines, oldest first. */
  pendingItemLines(subId: string): DraftLine[] {
    const pending = this.b.db.invoiceItems.all().filter((ii) => ii.invoice === null && ii.parent?.subscription_details.subscription === subId);
    return pending.map((ii) => ({
      amount: ii.amount,
      description: ii.description,
      price: this.b.db.prices.find(ii.pricing.price_details.price)!,
      quantity: ii.quantity,
      period: ii.period,
      proration: ii.proration,
      discountable: ii.discountable,
      subscriptionItem: ii.parent?.subscription_details.subscription_item ?? null,
      invoiceItem: ii.id,
    }));
  }

  offerDue(offer: OfferDue): void {
    for (const inv of this.b.db.invoices.all())
      if (inv.status === 'open' && inv.next_payment_attempt !== null) offer(inv.next_payment_attempt, DUE_RANK.paymentRetry, () => this.b.collection.attempt(inv, {}));
  }
}
