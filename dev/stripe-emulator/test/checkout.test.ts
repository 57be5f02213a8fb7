/**
 * Checkout as billing drives it: the real SDK creates sessions, a "browser" submits the hosted
 * page, and every webhook is verified by the SDK's own constructEvent.
 */
import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_API_VERSION } from '../src/index.js';
import { DAY, declineOnPage, harness, monthlyPrice, payOnPage, subscribe, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

describe('subscription checkout through the hosted page', () => {
  it('pays, creates an active subscription with a paid first invoice, and sends the signed webhooks in order', async () => {
    const price = await monthlyPrice(h.stripe, 'Premium', 1599, 'premium_monthly');
    const customer = await h.stripe.customers.create({ email: 'ana@flix.test', metadata: { userId: 'user-42' } });
    const session = await h.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      client_reference_id: 'user-42',
      line_items: [{ price: price.id, quantity: 1 }],
      subscription_data: { metadata: { userId: 'user-42', planId: 'premium' } },
      metadata: { userId: 'user-42' },
      success_url: 'https://flix.test/billing/success?session={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://flix.test/billing/cancel',
    });
    expect(session).toMatchObject({ object: 'checkout.session', status: 'open', payment_status: 'unpaid', mode: 'subscription', amount_total: 1599, currency: 'usd', customer: customer.id, client_reference_id: 'user-42', subscription: null });
    expect(session.url).toBe(`${h.emulator.url}/checkout/${session.id}`);

    // The page a browser gets shows what is bought and the two buttons.
    const page = await fetch(session.url!);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('Premium');
    expect(html).toContain('15.99 USD');
    expect(html).toMatch(/<form method="post" action="\/checkout\/cs_test_[^"]+\/pay"/);

    const before = (await h.events()).length;
    const res = await payOnPage(session.url!);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`https://flix.test/billing/success?session=${session.id}`);

    const events = (await h.events()).slice(before);
    expect(events.map((e) => e.type)).toEqual([
      'checkout.session.completed',
      'customer.subscription.created',
      'invoice.created',
      'invoice.finalized',
      'invoice.paid',
      'invoice.payment_succeeded',
      'payment_intent.succeeded',
      'charge.succeeded',
      'invoice_payment.paid',
    ]);
    for (const e of events) expect(e).toMatchObject({ object: 'event', api_version: DEFAULT_API_VERSION, livemode: false, request: { id: null } });
    expect(DEFAULT_API_VERSION).toBe(Stripe.API_VERSION);

    const completed = events[0].data.object as Stripe.Checkout.Session;
    expect(completed).toMatchObject({ id: session.id, status: 'complete', payment_status: 'paid', client_reference_id: 'user-42', metadata: { userId: 'user-42' }, amount_total: 1599 });
    const subId = completed.subscription as string;
    expect(subId).toMatch(/^sub_/);

    const created = events[1].data.object as Stripe.Subscription & { current_period_start: number; current_period_end: number };
    const item = created.items.data[0];
    expect(created).toMatchObject({ id: subId, status: 'active', customer: customer.id, cancel_at_period_end: false, canceled_at: null, ended_at: null, trial_end: null, metadata: { userId: 'user-42', planId: 'premium' } });
    expect(item.price).toMatchObject({ id: price.id, unit_amount: 1599, lookup_key: 'premium_monthly', recurring: { interval: 'month' } });
    expect(item.current_period_end).toBeGreaterThanOrEqual(item.current_period_start + 28 * DAY);
    expect([created.current_period_start, created.current_period_end]).toEqual([item.current_period_start, item.current_period_end]);

    const draft = events[2].data.object as Stripe.Invoice;
    const paid = events[4].data.object as Stripe.Invoice;
    expect(draft).toMatchObject({ status: 'draft', number: null, billing_reason: 'subscription_create' });
    expect(paid).toMatchObject({ id: draft.id, status: 'paid', amount_paid: 1599, amount_due: 1599, customer: customer.id, parent: { subscription_details: { subscription: subId } } });
    expect(paid.lines.data[0]).toMatchObject({ amount: 1599, pricing: { price_details: { price: price.id } } });
    expect(created.latest_invoice).toBe(draft.id);
    const pi = events[6].data.object as Stripe.PaymentIntent;
    const charge = events[7].data.object as Stripe.Charge;
    expect(pi).toMatchObject({ status: 'succeeded', amount: 1599, amount_received: 1599, customer: customer.id, latest_charge: charge.id });
    expect(charge).toMatchObject({ status: 'succeeded', paid: true, amount: 1599, payment_intent: pi.id, refunded: false });
    // Webhook invoices carry no `payments`; invoice_payment.paid links the invoice to its payment intent.
    expect(paid.payments).toBeUndefined();
    expect(events[8].data.object).toMatchObject({ object: 'invoice_payment', invoice: draft.id, status: 'paid', amount_paid: 1599, payment: { type: 'payment_intent', payment_intent: pi.id } });

    // The API agrees with the webhooks; the invoice leads to its payment intent.
    const sub = await h.stripe.subscriptions.retrieve(subId, { expand: ['latest_invoice.payments'] });
    const invoice = sub.latest_invoice as Stripe.Invoice;
    expect(invoice.payments!.data[0]).toMatchObject({ status: 'paid', amount_paid: 1599, payment: { type: 'payment_intent', payment_intent: pi.id } });
    expect((await h.stripe.invoices.list({ customer: customer.id })).data.map((i) => i.id)).toEqual([invoice.id]);
    const lineItems = await h.stripe.checkout.sessions.listLineItems(session.id);
    expect(lineItems.data).toMatchObject([{ object: 'item', quantity: 1, amount_total: 1599, description: 'Premium', price: { id: price.id } }]);
    // Billing can re-read any event it was sent.
    expect(await h.stripe.events.retrieve(events[1].id)).toMatchObject({ id: events[1].id, type: 'customer.subscription.created', data: { object: { id: subId } } });
  });

  it('does not create a second subscription when a completed session is paid again', async () => {
    const price = await monthlyPrice(h.stripe, 'Basic', 899);
    const { session, customer } = await subscribe(h, price);
    const again = await payOnPage(`${h.emulator.url}/checkout/${session.id}`);
    expect(again.status).toBe(303);
    expect(await h.emulator.pay(session.id)).toMatchObject({ id: session.id, status: 'complete', subscription: session.subscription });
    expect((await h.stripe.subscriptions.list({ customer: customer.id })).data).toHaveLength(1);
    expect((await h.events()).filter((e) => e.type === 'customer.subscription.created')).toHaveLength(1);
    // The page of a completed session says so and offers no Pay button.
    const html = await (await fetch(`${h.emulator.url}/checkout/${session.id}`)).text();
    expect(html).toContain('id="complete"');
    expect(html).not.toContain('id="pay"');
  });

  it('keeps a declined session open, reports payment_intent.payment_failed, and can be paid after', async () => {
    const price = await monthlyPrice(h.stripe, 'Basic', 899);
    const session = await h.stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: price.id, quantity: 1 }], customer_email: 'new@flix.test', success_url: 'https://flix.test/ok' });
    const declined = await declineOnPage(session.url!);
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain('Your card was declined.');
    const failed = (await h.events()).filter((e) => e.type === 'payment_intent.payment_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].data.object).toMatchObject({ status: 'requires_payment_method', last_payment_error: { code: 'card_declined', decline_code: 'generic_decline' } });
    expect(await h.stripe.checkout.sessions.retrieve(session.id)).toMatchObject({ status: 'open', payment_status: 'unpaid', subscription: null });

    expect((await payOnPage(session.url!)).status).toBe(303);
    const done = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['customer'] });
    // Without a customer, subscription mode creates one from the email.
    expect(done).toMatchObject({ status: 'complete', customer: { object: 'customer', email: 'new@flix.test' }, customer_details: { email: 'new@flix.test' } });
    expect((await h.events()).some((e) => e.type === 'customer.created' && (e.data.object as Stripe.Customer).email === 'new@flix.test')).toBe(true);
  });

  it('applies a coupon and a trial as billing asks for them', async () => {
    const price = await monthlyPrice(h.stripe, 'Standard', 1200);
    const coupon = await h.stripe.coupons.create({ percent_off: 25, duration: 'repeating', duration_in_months: 3, name: 'Welcome back' });
    expect(coupon).toMatchObject({ object: 'coupon', percent_off: 25, duration: 'repeating', duration_in_months: 3, valid: true, times_redeemed: 0 });
    const discounted = await h.stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: price.id, quantity: 1 }], discounts: [{ coupon: coupon.id }], success_url: 'https://flix.test/ok' });
    expect(discounted).toMatchObject({ amount_subtotal: 1200, amount_total: 900, total_details: { amount_discount: 300 }, discounts: [{ coupon: coupon.id }] });
    await h.emulator.pay(discounted.id);
    const sub = await h.stripe.subscriptions.retrieve((await h.stripe.checkout.sessions.retrieve(discounted.id)).subscription as string, { expand: ['latest_invoice', 'discounts'] });
    expect((sub.latest_invoice as Stripe.Invoice)).toMatchObject({ subtotal: 1200, total: 900, amount_paid: 900, total_discount_amounts: [{ amount: 300 }] });
    expect(sub.discounts[0]).toMatchObject({ object: 'discount', source: { coupon: coupon.id, type: 'coupon' } });
    expect(await h.stripe.coupons.retrieve(coupon.id)).toMatchObject({ times_redeemed: 1 });

    const trial = await h.stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: price.id, quantity: 1 }], subscription_data: { trial_period_days: 14 }, success_url: 'https://flix.test/ok' });
    expect(trial.amount_total).toBe(0);
    const done = await h.emulator.pay(trial.id);
    expect(done.payment_status).toBe('no_payment_required');
    const trialing = await h.stripe.subscriptions.retrieve(done.subscription!, { expand: ['latest_invoice'] });
    expect(trialing).toMatchObject({ status: 'trialing', trial_end: trialing.trial_start! + 14 * DAY });
    expect(trialing.items.data[0].current_period_end).toBe(trialing.trial_end);
    expect(trialing.latest_invoice).toMatchObject({ status: 'paid', amount_due: 0, total: 0 });
  });
});

describe('payment-mode checkout (rentals)', () => {
  it('charges once with price_data and reports the payment intent and charge', async () => {
    const customer = await h.stripe.customers.create({ email: 'renter@flix.test' });
    const session = await h.stripe.checkout.sessions.create({
      mode: 'payment',
      customer: customer.id,
      client_reference_id: 'user-7',
      line_items: [{ quantity: 1, price_data: { currency: 'eur', unit_amount: 399, product_data: { name: 'Rental: Metropolis (48h)', metadata: { movieId: 'm-1' } } } }],
      payment_intent_data: { metadata: { rentalId: 'r-1' } },
      metadata: { rentalId: 'r-1', kind: 'rental' },
      success_url: 'https://flix.test/rentals/ok',
      cancel_url: 'https://flix.test/rentals/cancel',
    });
    expect(session).toMatchObject({ mode: 'payment', amount_total: 399, currency: 'eur', payment_intent: null, subscription: null });
    const before = (await h.events()).length;
    expect((await payOnPage(session.url!)).headers.get('location')).toBe('https://flix.test/rentals/ok');
    const events = (await h.events()).slice(before);
    expect(events.map((e) => e.type)).toEqual(['checkout.session.completed', 'payment_intent.succeeded', 'charge.succeeded']);
    const completed = events[0].data.object as Stripe.Checkout.Session;
    expect(completed).toMatchObject({ status: 'complete', payment_status: 'paid', metadata: { rentalId: 'r-1', kind: 'rental' }, client_reference_id: 'user-7', amount_total: 399, subscription: null });
    const pi = await h.stripe.paymentIntents.retrieve(completed.payment_intent as string, { expand: ['latest_charge'] });
    expect(pi).toMatchObject({ status: 'succeeded', amount: 399, currency: 'eur', customer: customer.id, metadata: { rentalId: 'r-1' }, latest_charge: { object: 'charge', paid: true } });
  });

  it('refunds in part and in full, sending charge.refunded each time', async () => {
    const session = await h.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ quantity: 2, price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'Rental' } } }],
      success_url: 'https://flix.test/ok',
    });
    const done = await h.emulator.pay(session.id);
    const pi = done.payment_intent!;
    const partial = await h.stripe.refunds.create({ payment_intent: pi, amount: 300, reason: 'requested_by_customer' }, { idempotencyKey: 'refund-r1-part' });
    expect(partial).toMatchObject({ object: 'refund', status: 'succeeded', amount: 300, payment_intent: pi, reason: 'requested_by_customer' });
    const chargeId = partial.charge as string;
    expect(await h.stripe.charges.retrieve(chargeId)).toMatchObject({ amount_refunded: 300, refunded: false });
    const rest = await h.stripe.refunds.create({ charge: chargeId });
    expect(rest.amount).toBe(700);
    const refundedEvents = (await h.events()).filter((e) => e.type === 'charge.refunded');
    expect(refundedEvents.map((e) => (e.data.object as Stripe.Charge).amount_refunded)).toEqual([300, 1000]);
    expect(refundedEvents[1].data.object).toMatchObject({ id: chargeId, refunded: true });
    expect(refundedEvents[0].data.previous_attributes).toMatchObject({ amount_refunded: 0 });
    const err = await h.stripe.refunds.create({ charge: chargeId }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ code: 'charge_already_refunded' });
    expect((await h.stripe.charges.retrieve(chargeId, { expand: ['refunds'] })).refunds!.data.map((r) => r.amount).sort()).toEqual([300, 700]);
  });
});

describe('expiry', () => {
  it('expires open sessions when the clock passes expires_at, and refuses to pay them', async () => {
    const price = await monthlyPrice(h.stripe, 'Basic', 899);
    const session = await h.stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: price.id, quantity: 1 }], success_url: 'https://flix.test/ok', expires_at: h.emulator.now() + 3600 });
    await h.emulator.advanceClock(3601);
    const expired = (await h.eventsFor(session.id)).filter((e) => e.type === 'checkout.session.expired');
    expect(expired).toHaveLength(1);
    expect(expired[0].data.object).toMatchObject({ status: 'expired', url: null });
    const res = await payOnPage(`${h.emulator.url}/checkout/${session.id}`);
    expect(res.status).toBe(410);
    expect(await res.text()).toContain('id="expired"');
    expect((await h.stripe.subscriptions.list({ status: 'all' })).data).toHaveLength(0);
  });

  it('expires on request (checkout.sessions.expire)', async () => {
    const session = await h.stripe.checkout.sessions.create({ mode: 'payment', line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 100, product_data: { name: 'X' } } }], success_url: 'https://flix.test/ok' });
    expect(await h.stripe.checkout.sessions.expire(session.id)).toMatchObject({ status: 'expired' });
    await expect(h.stripe.checkout.sessions.expire(session.id)).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });
});
