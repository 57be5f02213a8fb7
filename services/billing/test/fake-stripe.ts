import Stripe from 'stripe';
import type { PaymentProvider } from '../src/domain/ports.js';
import { createStripeGateway, StripeSignatureError, subscriptionSnapshot } from '../src/stripe/index.js';

export const WEBHOOK_SECRET = 'whsec_billing_integration_test';
const signer = new Stripe('sk_test_signer');

type Json = Record<string, unknown>;
const sec = (ms: number) => Math.floor(ms / 1000);

/**
 * An in-memory Stripe for billing's integration tests: the API side of the PaymentProvider port
 * keeps Stripe-shaped JSON objects, and the webhook side is the real adapter (real signature
 * verification and parsing). Events are produced as Stripe would send them, signed with the
 * real scheme, and the test decides when (and in which order) to deliver them.
 */
export class FakeStripe {
  nowMs = Date.parse('2026-03-01T00:00:00Z');
  private seq = 0;
  readonly customers = new Map<string, Json>();
  readonly prices = new Map<string, Json>();
  readonly sessions = new Map<string, Json>();
  readonly subscriptions = new Map<string, Json>();
  readonly coupons = new Map<string, Json>();
  readonly calls: { method: string; key?: string }[] = [];
  private readonly idem = new Map<string, unknown>();
  private readonly real = createStripeGateway({ secretKey: 'sk_test_fake', webhookSecret: WEBHOOK_SECRET });

  private id(prefix: string) {
    return `${prefix}_${(++this.seq).toString().padStart(6, '0')}`;
  }

  private once<T>(key: string | undefined, make: () => T): T {
    if (!key) return make();
    if (!this.idem.has(key)) this.idem.set(key, make());
    return this.idem.get(key) as T;
  }

  advance(seconds: number) {
    this.nowMs += seconds * 1000;
  }

  readonly provider: PaymentProvider = {
    createCustomer: async ({ userId, email }, key) => {
      this.calls.push({ method: 'customers.create', key });
      return this.once(key, () => {
        const id = this.id('cus');
        this.customers.set(id, { id, email, metadata: { flixUserId: userId } });
        return id;
      });
    },
    updateCustomerEmail: async (id, email) => {
      this.customers.set(id, { ...this.customers.get(id), email });
    },
    deleteCustomer: async (id) => {
      this.customers.delete(id);
    },
    createPlanPrice: async (plan, key, existing) =>
      this.once(key, () => {
        const productId = existing || this.id('prod');
        const priceId = this.id('price');
        this.prices.set(priceId, { id: priceId, product: productId, unit_amount: plan.price.amountMinor, currency: plan.price.currency.toLowerCase(), flixPlanId: plan.id, days: plan.interval === 'monthly' ? 30 : 365 });
        return { productId, priceId };
      }),
    createCoupon: async (offer) => {
      const id = this.id('coupon');
      this.coupons.set(id, { id, percent_off: offer.percentOff });
      return id;
    },
    createSubscriptionCheckout: async (input, key) => {
      this.calls.push({ method: 'checkout.sessions.create', key });
      return this.once(key, () => {
        const id = this.id('cs');
        const s = { id, mode: 'subscription', customer: input.customerId, client_reference_id: input.userId, price: input.plan.stripePriceId, coupon: input.couponId, status: 'open', metadata: { flixUserId: input.userId, flixPlanId: input.plan.id }, expires_at: sec(this.nowMs) + 86400, url: `https://checkout.test/${id}` };
        this.sessions.set(id, s);
        return { sessionId: id, url: s.url, expiresAt: new Date(s.expires_at * 1000) };
      });
    },
    createPaymentCheckout: async (input, key) => {
      this.calls.push({ method: 'checkout.sessions.create', key });
      return this.once(key, () => {
        const id = this.id('cs');
        const s = { id, mode: 'payment', customer: input.customerId, client_reference_id: input.userId, amount_total: input.price.amountMinor, currency: input.price.currency.toLowerCase(), status: 'open', metadata: { flixRentalId: input.rentalId, flixUserId: input.userId }, expires_at: sec(this.nowMs) + 86400, url: `https://checkout.test/${id}` };
        this.sessions.set(id, s);
        return { sessionId: id, url: s.url, expiresAt: new Date(s.expires_at * 1000) };
      });
    },
    expireCheckout: async (id) => {
      this.calls.push({ method: 'checkout.sessions.expire' });
      const s = this.sessions.get(id);
      if (s && s.status === 'open') s.status = 'expired';
    },
    retrieveSubscription: async (id) => subscriptionSnapshot(this.sub(id)),
    // The fake's invoices are paid by `pi_for_<invoice id>` (see invoice()).
    retrieveInvoicePayment: async (invoiceId) => ({ paymentIntentId: `pi_for_${invoiceId}`, chargeId: '' }),
    findInvoiceForPaymentIntent: async (pi) => (pi.startsWith('pi_for_') ? pi.slice('pi_for_'.length) : ''),
    setCancelAtPeriodEnd: async (id, cancel) => {
      const s = this.sub(id);
      s.cancel_at_period_end = cancel;
      s.canceled_at = cancel ? sec(this.nowMs) : null;
      return subscriptionSnapshot(s);
    },
    changePrice: async (id, _itemId, priceId) => {
      this.calls.push({ method: 'subscriptions.update.price' });
      const s = this.sub(id);
      const item = (s.items as { data: Json[] }).data[0]!;
      item.price = { id: priceId };
      return subscriptionSnapshot(s);
    },
    createPortalSession: async (customerId) => `https://billing.test/portal/${customerId}`,
    verifyWebhook: (raw, header) => this.real.verifyWebhook(raw, header),
    parseEvent: (raw) => this.real.parseEvent(raw),
  };

  readonly isSignatureError = (e: unknown) => e instanceof StripeSignatureError;

  sub(id: string): Json {
    const s = this.subscriptions.get(id);
    if (!s) throw new Error(`no subscription ${id}`);
    return s;
  }

  /** A signed webhook delivery of `type` carrying `object` (a snapshot copy, as Stripe sends). */
  event(type: string, object: Json, createdMs = this.nowMs): { id: string; raw: string; header: string } {
    const id = this.id('evt');
    const raw = JSON.stringify({ id, object: 'event', type, created: sec(createdMs), api_version: '2026-10-28.endive', data: { object: structuredClone(object) } });
    return { id, raw, header: signer.webhooks.generateTestHeaderString({ payload: raw, secret: WEBHOOK_SECRET }) };
  }

  /** The customer pays the session: the events Stripe sends, in Stripe's usual order. */
  pay(sessionId: string) {
    const s = this.sessions.get(sessionId)!;
    s.status = 'complete';
    s.payment_status = 'paid';
    if (s.mode === 'payment') {
      s.payment_intent = this.id('pi');
      return [this.event('checkout.session.completed', s)];
    }
    const price = this.prices.get(String(s.price))!;
    const id = this.id('sub');
    const start = sec(this.nowMs);
    const end = start + Number(price.days) * 86400;
    const sub: Json = {
      id, object: 'subscription', customer: s.customer, status: 'active', cancel_at_period_end: false, canceled_at: null, ended_at: null, trial_end: null,
      created: start, start_date: start, metadata: s.metadata,
      items: { data: [{ id: this.id('si'), price: { id: price.id }, current_period_start: start, current_period_end: end }] },
    };
    this.subscriptions.set(id, sub);
    s.subscription = id;
    const inv = this.invoice(sub, Number(price.unit_amount), true, 1);
    return [this.event('customer.subscription.created', sub), this.event('checkout.session.completed', s), this.event('invoice.paid', inv)];
  }

  private invoice(sub: Json, amount: number, paid: boolean, attempt: number, id = this.id('in')): Json {
    return {
      id, object: 'invoice', customer: sub.customer, amount_paid: paid ? amount : 0, amount_due: amount, currency: 'usd', attempt_count: attempt, created: sec(this.nowMs),
      hosted_invoice_url: `https://invoice.test/${id}`, parent: { type: 'subscription_details', subscription_details: { subscription: sub.id } },
      // No `payments`: as from Stripe, webhook invoices include it only when expanded (retrieveInvoicePayment).
    };
  }

  private priceOf(sub: Json): Json {
    const item = (sub.items as { data: Json[] }).data[0]!;
    return this.prices.get(String((item.price as Json).id))!;
  }

  /** The period ends: Stripe charges the renewal (succeeds or fails). Returns the events and the invoice id. */
  renew(subId: string, ok: boolean) {
    const sub = this.sub(subId);
    const item = (sub.items as { data: Json[] }).data[0]!;
    const price = this.priceOf(sub);
    if (sub.cancel_at_period_end) {
      sub.status = 'canceled';
      sub.ended_at = item.current_period_end;
      return { events: [this.event('customer.subscription.deleted', sub)], invoiceId: '' };
    }
    const inv = this.invoice(sub, Number(price.unit_amount), ok, 1);
    if (ok) {
      item.current_period_start = item.current_period_end;
      item.current_period_end = Number(item.current_period_end) + Number(price.days) * 86400;
      sub.status = 'active';
      return { events: [this.event('invoice.paid', inv), this.event('customer.subscription.updated', sub)], invoiceId: String(inv.id) };
    }
    sub.status = 'past_due';
    return { events: [this.event('invoice.payment_failed', inv), this.event('customer.subscription.updated', sub)], invoiceId: String(inv.id) };
  }

  /** A retry of a failed invoice succeeds. */
  recover(subId: string, invoiceId: string) {
    const sub = this.sub(subId);
    const item = (sub.items as { data: Json[] }).data[0]!;
    const price = this.priceOf(sub);
    item.current_period_start = item.current_period_end;
    item.current_period_end = Number(item.current_period_end) + Number(price.days) * 86400;
    sub.status = 'active';
    const inv = this.invoice(sub, Number(price.unit_amount), true, 2, invoiceId);
    return [this.event('invoice.paid', inv), this.event('customer.subscription.updated', sub)];
  }

  /** Dunning gave up: Stripe cancels the subscription. */
  lapse(subId: string) {
    const sub = this.sub(subId);
    sub.status = 'canceled';
    sub.ended_at = sec(this.nowMs);
    return [this.event('customer.subscription.deleted', sub)];
  }

  refund(paymentIntentId: string, amount: number, refunded: number) {
    return [this.event('charge.refunded', { id: this.id('ch'), object: 'charge', payment_intent: paymentIntentId, amount, amount_refunded: refunded, refunded: amount === refunded, currency: 'usd' })];
  }
}
