import Stripe from 'stripe';
import { DomainError } from '@flix/errors';
import { INTERVAL_DAYS, type OfferRecord, type PlanRecord } from '../domain/model.js';
import type { PaymentProvider } from '../domain/ports.js';
import type { InvoiceSnapshot, StripeEvent, SubscriptionSnapshot } from '../domain/stripe-events.js';

/** A webhook whose signature is missing, wrong or outside the tolerance. */
export class StripeSignatureError extends Error {
  override readonly name = 'StripeSignatureError';
}

export interface StripeGatewayOptions {
  secretKey: string;
  webhookSecret: string;
  /** The local emulator (http://host:port); absent: api.stripe.com. */
  apiBase?: string;
  /** Seconds a signature stays valid (Stripe's default 300). */
  toleranceSeconds?: number;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as Json).id === 'string' ? ((v as Json).id as string) : '');
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const date = (v: unknown): Date | null => (typeof v === 'number' && v > 0 ? new Date(v * 1000) : null);

/** Subscription JSON (any API version: period fields moved onto the items in 2025) → snapshot. */
export function subscriptionSnapshot(raw: unknown): SubscriptionSnapshot {
  const s = obj(raw);
  const items = (obj(s.items).data as unknown[] | undefined) ?? [];
  const item = obj(items[0]);
  const price = obj(item.price);
  const start = date(s.current_period_start) ?? date(item.current_period_start) ?? date(s.start_date) ?? new Date(0);
  const end = date(s.current_period_end) ?? date(item.current_period_end) ?? start;
  return {
    id: str(s.id),
    customerId: str(s.customer),
    status: typeof s.status === 'string' ? s.status : 'incomplete',
    priceId: str(price.id) || str(item.price) || str(obj(s.plan).id),
    itemId: str(item.id),
    currentPeriodStart: start,
    currentPeriodEnd: end,
    cancelAtPeriodEnd: s.cancel_at_period_end === true || (typeof s.cancel_at === 'number' && s.status !== 'canceled' && num(s.cancel_at) <= end.getTime() / 1000 && num(s.cancel_at) > 0),
    canceledAt: date(s.canceled_at),
    endedAt: date(s.ended_at),
    trialEnd: date(s.trial_end),
    created: date(s.created) ?? new Date(0),
    userId: typeof obj(s.metadata).flixUserId === 'string' ? (obj(s.metadata).flixUserId as string) : '',
  };
}

function invoiceSnapshot(raw: unknown): InvoiceSnapshot {
  const i = obj(raw);
  const parent = obj(i.parent);
  const subDetails = obj(parent.subscription_details);
  const firstLine = obj(((obj(i.lines).data as unknown[] | undefined) ?? [])[0]);
  const lineParent = obj(obj(firstLine.parent).subscription_item_details);
  const payment = obj(obj(((obj(i.payments).data as unknown[] | undefined) ?? [])[0]).payment);
  return {
    id: str(i.id),
    customerId: str(i.customer),
    subscriptionId: str(subDetails.subscription) || str(i.subscription) || str(lineParent.subscription) || str(firstLine.subscription),
    amountPaid: num(i.amount_paid),
    amountDue: num(i.amount_due),
    currency: typeof i.currency === 'string' ? i.currency : 'usd',
    attemptCount: num(i.attempt_count),
    paymentIntentId: str(payment.payment_intent) || str(i.payment_intent),
    chargeId: str(payment.charge) || str(i.charge),
    receiptUrl: typeof i.hosted_invoice_url === 'string' ? i.hosted_invoice_url : '',
    periodStart: date(i.period_start),
    periodEnd: date(i.period_end),
    created: date(i.created) ?? new Date(0),
  };
}

/** Stripe event JSON → the domain's event (unknown types are 'ignored', not errors: Stripe adds types). */
export function parseStripeEvent(raw: unknown): StripeEvent {
  const e = obj(raw);
  const id = str(e.id);
  const type = typeof e.type === 'string' ? e.type : '';
  if (!id) throw new DomainError('invalid_argument', 'NOT_A_STRIPE_EVENT', 'body: not a Stripe event (no id)');
  const created = date(e.created) ?? new Date(0);
  const o = obj(obj(e.data).object);
  const base = { id, type, created };
  switch (type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      const md = obj(o.metadata);
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(md)) if (typeof v === 'string') metadata[k] = v;
      return {
        ...base,
        kind: 'checkout_completed',
        sessionId: str(o.id),
        mode: o.mode === 'payment' ? 'payment' : 'subscription',
        userId: typeof o.client_reference_id === 'string' ? o.client_reference_id : metadata.flixUserId ?? '',
        customerId: str(o.customer),
        subscriptionId: str(o.subscription),
        paymentIntentId: str(o.payment_intent),
        paid: o.payment_status === 'paid' || o.payment_status === 'no_payment_required',
        amountTotal: num(o.amount_total),
        currency: typeof o.currency === 'string' ? o.currency : '',
        metadata,
      };
    }
    case 'checkout.session.expired':
      return { ...base, kind: 'checkout_expired', sessionId: str(o.id) };
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted':
    case 'customer.subscription.paused':
    case 'customer.subscription.resumed':
      return { ...base, kind: 'subscription', subscription: subscriptionSnapshot(o), deleted: type === 'customer.subscription.deleted' };
    case 'customer.subscription.trial_will_end':
      return { ...base, kind: 'trial_will_end', subscription: subscriptionSnapshot(o) };
    case 'invoice.paid':
    case 'invoice.payment_succeeded':
      return { ...base, kind: 'invoice', paid: true, invoice: invoiceSnapshot(o) };
    case 'invoice.payment_failed':
      return { ...base, kind: 'invoice', paid: false, invoice: invoiceSnapshot(o) };
    case 'invoice_payment.paid': {
      const payment = obj(o.payment);
      return { ...base, kind: 'invoice_payment', invoiceId: str(o.invoice), paymentIntentId: str(payment.payment_intent), chargeId: str(payment.charge) };
    }
    case 'charge.refunded':
      return {
        ...base,
        kind: 'charge_refunded',
        chargeId: str(o.id),
        paymentIntentId: str(o.payment_intent),
        invoiceId: str(o.invoice),
        customerId: str(o.customer),
        amount: num(o.amount),
        amountRefunded: num(o.amount_refunded),
        currency: typeof o.currency === 'string' ? o.currency : '',
      };
    default:
      return { ...base, kind: 'ignored' };
  }
}

/** Stripe API failures as domain errors: the caller's mistake stays 4xx, Stripe's trouble is UNAVAILABLE. */
function stripeError(e: unknown, what: string): never {
  if (e instanceof DomainError) throw e;
  if (e instanceof Stripe.errors.StripeError) {
    if (e.type === 'StripeInvalidRequestError' && e.statusCode === 404) throw new DomainError('not_found', 'STRIPE_NOT_FOUND', `${what}: ${e.message}`);
    if (e.type === 'StripeCardError') throw new DomainError('failed_precondition', 'PAYMENT_DECLINED', `${what}: ${e.message}`);
    if (e.type === 'StripeIdempotencyError') throw new DomainError('aborted', 'STRIPE_IDEMPOTENCY_CONFLICT', `${what}: a concurrent request is in progress; retry`);
    if (e.type === 'StripeInvalidRequestError') throw new DomainError('failed_precondition', 'STRIPE_REJECTED', `${what}: Stripe refused the request (${e.message})`);
  }
  throw new DomainError('unavailable', 'STRIPE_UNAVAILABLE', `${what}: Stripe is not reachable right now; retry shortly`);
}

/** The real Stripe SDK behind billing's PaymentProvider port (the emulator when apiBase is set). */
export function createStripeGateway(opts: StripeGatewayOptions): PaymentProvider & { sdk: Stripe } {
  let config: ConstructorParameters<typeof Stripe>[1] = { maxNetworkRetries: 2, timeout: 10_000 };
  if (opts.apiBase) {
    const u = new URL(opts.apiBase);
    config = { ...config, host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)), protocol: u.protocol === 'https:' ? 'https' : 'http' };
  }
  const stripe = new Stripe(opts.secretKey, config);
  const tolerance = opts.toleranceSeconds ?? 300;
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      return stripeError(e, what);
    }
  };
  const dayCount = (p: PlanRecord) => INTERVAL_DAYS[p.interval];

  return {
    sdk: stripe,
    createCustomer: ({ userId, email }, idempotencyKey) =>
      call('create customer', async () => (await stripe.customers.create({ ...(email ? { email } : {}), metadata: { flixUserId: userId } }, { idempotencyKey })).id),
    updateCustomerEmail: (customerId, email) => call('update customer', async () => void (await stripe.customers.update(customerId, { email }))),
    deleteCustomer: (customerId) =>
      call('delete customer', async () => {
        try {
          await stripe.customers.del(customerId);
        } catch (e) {
          // Deleted already (a repeated erasure): the outcome we want.
          if (e instanceof Stripe.errors.StripeError && e.statusCode === 404) return;
          throw e;
        }
      }),
    createPlanPrice: (plan, idempotencyKey, existingProductId) =>
      call('create plan price', async () => {
        const productId =
          existingProductId ||
          (await stripe.products.create({ name: `Flix ${plan.displayName}`, metadata: { flixPlanId: plan.id, tier: plan.tier } }, { idempotencyKey: `${idempotencyKey}-product` })).id;
        const price = await stripe.prices.create(
          {
            product: productId,
            currency: plan.price.currency.toLowerCase(),
            unit_amount: plan.price.amountMinor,
            // Periods are fixed day counts (30 / 365), not calendar months.
            recurring: { interval: 'day', interval_count: dayCount(plan) },
            metadata: { flixPlanId: plan.id },
          },
          { idempotencyKey: `${idempotencyKey}-price` },
        );
        return { productId, priceId: price.id };
      }),
    createCoupon: (offer: OfferRecord) =>
      call('create coupon', async () => {
        const c = await stripe.coupons.create(
          { percent_off: offer.percentOff, duration: 'once', name: offer.kind === 'WIN_BACK' ? 'Welcome back' : 'Yearly switch', metadata: { flixOfferId: offer.id, flixUserId: offer.userId } },
          { idempotencyKey: `flix-coupon-${offer.id}` },
        );
        return c.id;
      }),
    createSubscriptionCheckout: (input, idempotencyKey) =>
      call('create checkout session', async () => {
        const s = await stripe.checkout.sessions.create(
          {
            mode: 'subscription',
            customer: input.customerId,
            client_reference_id: input.userId,
            line_items: [{ price: input.plan.stripePriceId, quantity: 1 }],
            success_url: input.successUrl,
            cancel_url: input.cancelUrl,
            ...(input.couponId ? { discounts: [{ coupon: input.couponId }] } : {}),
            subscription_data: {
              metadata: { flixUserId: input.userId, flixPlanId: input.plan.id },
              ...(input.plan.trialDays > 0 ? { trial_period_days: input.plan.trialDays } : {}),
            },
            metadata: { flixKind: 'subscription', flixUserId: input.userId, flixPlanId: input.plan.id, flixOfferId: input.offerId },
          },
          { idempotencyKey },
        );
        return { sessionId: s.id, url: s.url ?? '', expiresAt: date(s.expires_at) ?? new Date(Date.now() + 24 * 3600 * 1000) };
      }),
    createPaymentCheckout: (input, idempotencyKey) =>
      call('create checkout session', async () => {
        const metadata = { flixKind: 'rental', flixUserId: input.userId, flixRentalId: input.rentalId, flixMovieId: input.movieId };
        const s = await stripe.checkout.sessions.create(
          {
            mode: 'payment',
            customer: input.customerId,
            client_reference_id: input.userId,
            line_items: [{ quantity: 1, price_data: { currency: input.price.currency.toLowerCase(), unit_amount: input.price.amountMinor, product_data: { name: `Rental: ${input.title}` } } }],
            success_url: input.successUrl,
            cancel_url: input.cancelUrl,
            metadata,
            payment_intent_data: { metadata },
          },
          { idempotencyKey },
        );
        return { sessionId: s.id, url: s.url ?? '', expiresAt: date(s.expires_at) ?? new Date(Date.now() + 24 * 3600 * 1000) };
      }),
    expireCheckout: (sessionId) =>
      call('expire checkout session', async () => {
        try {
          await stripe.checkout.sessions.expire(sessionId);
        } catch (e) {
          // Already complete or expired: nothing left to close.
          if (e instanceof Stripe.errors.StripeInvalidRequestError) return;
          throw e;
        }
      }),
    retrieveSubscription: (id) => call('read subscription', async () => subscriptionSnapshot(await stripe.subscriptions.retrieve(id))),
    retrieveInvoicePayment: (invoiceId) =>
      call('read invoice payment', async () => {
        const inv = (await stripe.invoices.retrieve(invoiceId, { expand: ['payments'] })) as unknown as Json;
        const rows = ((obj(inv.payments).data as unknown[] | undefined) ?? []).map(obj);
        const row = rows.find((r) => r.status === 'paid') ?? rows[0] ?? {};
        const payment = obj(row.payment);
        return { paymentIntentId: str(payment.payment_intent) || str(inv.payment_intent), chargeId: str(payment.charge) || str(inv.charge) };
      }),
    findInvoiceForPaymentIntent: (paymentIntentId) =>
      call('find invoice payment', async () => {
        const page = await stripe.invoicePayments.list({ payment: { type: 'payment_intent', payment_intent: paymentIntentId }, limit: 100 });
        // Match on our side too, in case the filter is not applied.
        const hit = page.data.find((p) => str(obj(p.payment as unknown).payment_intent) === paymentIntentId);
        return hit ? str(hit.invoice) : '';
      }),
    setCancelAtPeriodEnd: (id, cancel) => call('update subscription', async () => subscriptionSnapshot(await stripe.subscriptions.update(id, { cancel_at_period_end: cancel }))),
    changePrice: (id, itemId, priceId) =>
      call('change plan', async () =>
        subscriptionSnapshot(await stripe.subscriptions.update(id, { items: [{ id: itemId, price: priceId }], proration_behavior: 'always_invoice' })),
      ),
    createPortalSession: (customerId, returnUrl) =>
      call('create portal session', async () => (await stripe.billingPortal.sessions.create({ customer: customerId, return_url: returnUrl })).url),
    verifyWebhook(rawBody, header) {
      if (!header) throw new StripeSignatureError('missing Stripe-Signature header');
      let event: Stripe.Event;
      try {
        event = stripe.webhooks.constructEvent(rawBody, header, opts.webhookSecret, tolerance);
      } catch (e) {
        throw new StripeSignatureError(e instanceof Error ? e.message : String(e));
      }
      return parseStripeEvent(event);
    },
    parseEvent: (rawBody) => parseStripeEvent(JSON.parse(rawBody)),
  };
}

