/**
 * Checkout sessions through their life: open --pay--> complete (+ subscription and its first paid
 * invoice, or a paid payment intent); open --decline--> open (payment_intent.payment_failed);
 * open --expiry or expire()--> expired.
 */
import { invalidRequest } from '../errors.js';
import { randomText, type CheckoutSessionJson, type CustomerJson, type LineItemJson, type ListJson, type PaymentIntentJson } from '../model.js';
import type { CheckoutCreateParams, CheckoutListParams, ListParams } from '../schemas.js';
import { DUE_RANK, type DueSource, type OfferDue } from '../core/clock.js';
import type { Billing } from '../core/context.js';
import type { SessionExtra } from '../core/db.js';
import { paginate } from '../core/store.js';
import { DAY } from '../core/support.js';
import { openCheckoutSession } from './checkout-create.js';

/** Events moved to the front of a completed checkout's batch, in this order (Stripe's documented flow). */
export const CHECKOUT_ORDER = ['customer.created', 'checkout.session.completed', 'customer.subscription.created'];

/** What the hosted checkout page shows. */
export interface CheckoutView {
  session: CheckoutSessionJson;
  lines: LineItemJson[];
  trialEnd: number | null;
  declined: boolean;
}

export class Checkout implements DueSource {
  constructor(private readonly b: Billing) {}

  create(p: CheckoutCreateParams, publicUrl: string): CheckoutSessionJson {
    return this.b.db.render(openCheckoutSession(this.b, p, publicUrl));
  }

  lineItems(id: string, p: ListParams): ListJson<LineItemJson> {
    const { db } = this.b;
    db.sessions.get(id);
    const lines = db.sessionExtras.get(id)?.lines ?? [];
    const fresh = lines.map((l) => ({ ...l, price: structuredClone(this.b.prices.current(l.price)) }));
    return paginate(fresh, p, `/v1/checkout/sessions/${id}/line_items`, (x) => db.render(x));
  }

  list(p: CheckoutListParams): ListJson<CheckoutSessionJson> {
    return this.b.db.sessions.list(p, '/v1/checkout/sessions', {
      where: (s) =>
        (!p.customer || s.customer === p.customer) &&
        (!p.status || s.status === p.status) &&
        (!p.subscription || s.subscription === p.subscription) &&
        (!p.payment_intent || s.payment_intent === p.payment_intent),
    });
  }

  expire(id: string): CheckoutSessionJson {
    const s = this.b.db.sessions.get(id);
    if (s.status !== 'open') throw invalidRequest(`Only Checkout Sessions with a status in ["open"] can be expired.`, 'session');
    this.markExpired(s);
    return this.b.db.render(s);
  }

  offerDue(offer: OfferDue): void {
    for (const s of this.b.db.sessions.all()) if (s.status === 'open') offer(s.expires_at, DUE_RANK.sessionExpiry, () => this.markExpired(s));
  }

  /** The customer completes the hosted page. Paying a completed session again changes nothing. */
  pay(id: string): CheckoutSessionJson {
    const { db, payments } = this.b;
    const s = db.sessions.get(id);
    if (s.status === 'complete') return db.render(s);
    if (s.status === 'expired') throw invalidRequest('This Checkout Session has expired.', 'session', 'checkout_session_expired');
    const extra = db.sessionExtras.get(id)!;
    let customer = s.customer ? db.customers.find(s.customer) : undefined;
    // Subscriptions always get a customer; payment mode only when asked to.
    if (!customer && (s.mode === 'subscription' || s.customer_creation === 'always'))
      customer = this.b.customers.add({ email: s.customer_email ?? `buyer-${randomText(6).toLowerCase()}@example.com` });
    const email = customer?.email ?? s.customer_email ?? `buyer-${randomText(6).toLowerCase()}@example.com`;
    const pm = payments.addPaymentMethod(customer?.id ?? null, email, customer?.name ?? null, '4242');

    if (s.mode === 'subscription') {
      const sub = this.b.subscriptions.startFromCheckout(s, extra, customer!, pm.id);
      s.subscription = sub.id;
      s.invoice = sub.latest_invoice;
      s.payment_status = s.amount_total > 0 ? 'paid' : 'no_payment_required';
      this.complete(s, customer ?? null, email);
      this.b.events.emit('customer.subscription.created', sub);
    } else {
      if (s.amount_total > 0) {
        const pi = this.paymentIntentOf(s, extra, customer?.id ?? null, s.amount_total);
        pi.customer = customer?.id ?? null;
        const charge = payments.addCharge(pi, pm, false);
        payments.succeed(pi, charge, pm);
        s.payment_intent = pi.id;
        s.payment_status = 'paid';
        this.complete(s, customer ?? null, email);
        this.b.events.emit('payment_intent.succeeded', pi);
        this.b.events.emit('charge.succeeded', charge);
      } else {
        s.payment_status = 'no_payment_required';
        this.complete(s, customer ?? null, email);
      }
      for (const c of extra.coupons) this.b.coupons.redeem(c, { customer: customer?.id ?? null, subscription: null, checkoutSession: s.id });
    }
    return db.render(s);
  }

  /** The card is declined: the session stays open and can be paid again. */
  decline(id: string): CheckoutSessionJson {
    const { db, payments } = this.b;
    const s = db.sessions.get(id);
    if (s.status !== 'open') throw invalidRequest(`This Checkout Session is ${s.status}.`, 'session', s.status === 'expired' ? 'checkout_session_expired' : undefined);
    const extra = db.sessionExtras.get(id)!;
    const customer = s.customer ? db.customers.find(s.customer) : undefined;
    const amount = s.amount_total > 0 ? s.amount_total : extra.lines.reduce((a, l) => a + l.amount_subtotal, 0);
    const pi = this.paymentIntentOf(s, extra, customer?.id ?? null, amount);
    extra.paymentIntent = pi.id;
    const pm = payments.addPaymentMethod(customer?.id ?? null, customer?.email ?? s.customer_email, customer?.name ?? null, '0002');
    const charge = payments.addCharge(pi, pm, true);
    payments.fail(pi, charge, pm);
    if (s.mode === 'payment') s.payment_intent = pi.id;
    this.b.events.emit('payment_intent.payment_failed', pi);
    this.b.events.emit('charge.failed', charge);
    return db.render(s);
  }

  /** For the hosted page: the session, its lines, and whether a decline happened. */
  view(id: string): CheckoutView | undefined {
    const { db } = this.b;
    const s = db.sessions.find(id);
    const extra = db.sessionExtras.get(id);
    if (!s || !extra) return undefined;
    const trialEnd = extra.trialEnd ?? (extra.trialDays ? this.b.now() + extra.trialDays * DAY : null);
    const pi = extra.paymentIntent ? db.paymentIntents.find(extra.paymentIntent) : undefined;
    return { session: db.render(s), lines: structuredClone(extra.lines), trialEnd, declined: pi?.status === 'requires_payment_method' };
  }

  /** The intent a decline left behind, or a new one for `amount`. */
  private paymentIntentOf(s: CheckoutSessionJson, extra: SessionExtra, customer: string | null, amount: number): PaymentIntentJson {
    if (extra.paymentIntent) return this.b.db.paymentIntents.find(extra.paymentIntent)!;
    return this.b.payments.addPaymentIntent(amount, s.currency, customer, extra.paymentIntentDescription, extra.paymentIntentMetadata);
  }

  private markExpired(s: CheckoutSessionJson): void {
    s.status = 'expired';
    s.url = null;
    this.b.events.emit('checkout.session.expired', s);
  }

  private complete(s: CheckoutSessionJson, customer: CustomerJson | null, email: string): void {
    s.status = 'complete';
    s.url = null;
    s.customer = customer?.id ?? null;
    s.customer_details = { address: null, business_name: null, email, individual_name: null, name: customer?.name ?? null, phone: null, tax_exempt: 'none', tax_ids: [] };
    this.b.events.emit('checkout.session.completed', s);
  }
}
