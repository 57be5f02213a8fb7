/**
 * The subscription lifecycle under the emulator clock, as Stripe test clocks run it: renewals,
 * failed renewals and dunning, cancel at period end, plan changes with prorations, trials, and
 * the billing portal. Webhooks are verified by the SDK.
 */
import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY, harness, monthlyPrice, subscribe, type Harness } from './harness.js';

/** The emulator also keeps the period on the subscription itself (older API versions' place). */
type SubWithPeriod = Stripe.Subscription & { current_period_start: number; current_period_end: number };
const withPeriod = (s: Stripe.Subscription): SubWithPeriod => s as SubWithPeriod;

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const types = (events: Stripe.Event[]): string[] => events.map((e) => e.type);

/** Events after the first `since` ones that concern this subscription, its invoices or their payments. */
async function eventsSince(since: number): Promise<Stripe.Event[]> {
  return (await h.events()).slice(since);
}

async function toPeriodEnd(subId: string): Promise<void> {
  const sub = withPeriod(await h.stripe.subscriptions.retrieve(subId));
  await h.emulator.advanceClock(sub.items.data[0].current_period_end - h.emulator.now() + 1);
}

describe('renewal', () => {
  it('renews at the period end: a new paid invoice and the subscription moved to the next period', async () => {
    const price = await monthlyPrice(h.stripe, 'Premium', 1599);
    const { subscription } = await subscribe(h, price);
    const firstEnd = subscription.items.data[0].current_period_end;
    const since = (await h.events()).length;
    await toPeriodEnd(subscription.id);

    const events = await eventsSince(since);
    expect(types(events)).toEqual(['customer.subscription.updated', 'invoice.created', 'invoice.finalized', 'invoice.paid', 'invoice.payment_succeeded', 'payment_intent.succeeded', 'charge.succeeded', 'invoice_payment.paid']);
    const updated = events[0];
    expect(updated.data.object).toMatchObject({ id: subscription.id, status: 'active', current_period_start: firstEnd });
    expect((updated.data.object as Stripe.Subscription).items.data[0].current_period_start).toBe(firstEnd);
    expect(updated.data.previous_attributes).toMatchObject({ current_period_start: subscription.items.data[0].current_period_start, current_period_end: firstEnd });
    // Events carry the emulator time they happened at.
    expect(updated.created).toBe(firstEnd);
    const invoice = events[3].data.object as Stripe.Invoice;
    expect(invoice).toMatchObject({ status: 'paid', billing_reason: 'subscription_cycle', amount_paid: 1599, parent: { subscription_details: { subscription: subscription.id } } });
    expect(invoice.lines.data[0].period).toEqual({ start: firstEnd, end: (updated.data.object as SubWithPeriod).current_period_end });

    const sub = withPeriod(await h.stripe.subscriptions.retrieve(subscription.id));
    expect(sub).toMatchObject({ status: 'active', latest_invoice: invoice.id, current_period_start: firstEnd });
    expect((await h.stripe.invoices.list({ subscription: subscription.id })).data).toHaveLength(2);
  });

  it('fails a renewal → past_due with retries scheduled, then recovers → active on the next retry', async () => {
    const price = await monthlyPrice(h.stripe, 'Basic', 899);
    const { subscription, customer } = await subscribe(h, price);
    h.emulator.failNextPayments(customer.id, 1);
    const since = (await h.events()).length;
    await toPeriodEnd(subscription.id);

    let events = await eventsSince(since);
    expect(types(events)).toEqual([
      'customer.subscription.updated',
      'invoice.created',
      'invoice.finalized',
      'invoice.payment_failed',
      'payment_intent.payment_failed',
      'charge.failed',
      'customer.subscription.updated',
    ]);
    const failed = events[3].data.object as Stripe.Invoice;
    expect(failed).toMatchObject({ status: 'open', attempt_count: 1, attempted: true, amount_paid: 0 });
    expect(failed.next_payment_attempt).toBe(events[3].created + 3 * DAY);
    expect(events[6].data.object).toMatchObject({ status: 'past_due' });
    expect(events[6].data.previous_attributes).toEqual({ status: 'active' });
    expect(events[5].data.object).toMatchObject({ status: 'failed', failure_code: 'card_declined' });
    expect(await h.stripe.customers.retrieve(customer.id)).toMatchObject({ delinquent: true });

    await h.emulator.recoverPayments(customer.id);
    const mark = (await h.events()).length;
    await h.emulator.advanceClock(3 * DAY);
    events = await eventsSince(mark);
    expect(types(events)).toEqual(['invoice.paid', 'invoice.payment_succeeded', 'payment_intent.succeeded', 'charge.succeeded', 'invoice_payment.paid', 'customer.subscription.updated']);
    expect(events[0].data.object).toMatchObject({ id: failed.id, status: 'paid', attempt_count: 2, next_payment_attempt: null });
    expect(events[5].data.object).toMatchObject({ status: 'active' });
    expect(events[5].data.previous_attributes).toEqual({ status: 'past_due' });
    // The same payment intent carries every attempt, as for Stripe invoices.
    expect((events[2].data.object as Stripe.PaymentIntent).id).toBe(((await eventsSince(since))[4].data.object as Stripe.PaymentIntent).id);
  });

  it('recovers at once with retryNow', async () => {
    const price = await monthlyPrice(h.stripe, 'Basic', 899);
    const { subscription } = await subscribe(h, price);
    h.emulator.failNextPayments(subscription.id, 5);
    await toPeriodEnd(subscription.id);
    expect((await h.stripe.subscriptions.retrieve(subscription.id)).status).toBe('past_due');
    const paid = await h.emulator.recoverPayments(subscription.id, { retryNow: true });
    expect(paid).toHaveLength(1);
    expect((await h.stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
  });

  it('cancels the subscription after the last retry fails', async () => {
    const price = await monthlyPrice(h.stripe, 'Basic', 899);
    const { subscription, customer } = await subscribe(h, price);
    h.emulator.failNextPayments(customer.id, 10);
    const since = (await h.events()).length;
    await toPeriodEnd(subscription.id);
    // Default schedule: retries 3, 5 and 7 days after each failure.
    await h.emulator.advanceClock(15 * DAY);
    const events = (await eventsSince(since)).filter((e) => e.type === 'invoice.payment_failed' || e.type.startsWith('customer.subscription.'));
    expect(types(events)).toEqual([
      'customer.subscription.updated',
      'invoice.payment_failed',
      'customer.subscription.updated',
      'invoice.payment_failed',
      'invoice.payment_failed',
      'invoice.payment_failed',
      'customer.subscription.deleted',
    ]);
    const attempts = events.filter((e) => e.type === 'invoice.payment_failed').map((e) => e.data.object as Stripe.Invoice);
    expect(attempts.map((i) => i.attempt_count)).toEqual([1, 2, 3, 4]);
    expect(attempts.at(-1)!.next_payment_attempt).toBeNull();
    const deleted = events.at(-1)!.data.object as Stripe.Subscription;
    expect(deleted).toMatchObject({ status: 'canceled', cancellation_details: { reason: 'payment_failed' } });
    expect(deleted.ended_at).toBe(events.at(-1)!.created);
    expect((await h.stripe.subscriptions.list({ customer: customer.id })).data).toHaveLength(0);
    expect((await h.stripe.subscriptions.list({ customer: customer.id, status: 'canceled' })).data.map((s) => s.id)).toEqual([subscription.id]);
  });
});

describe('cancellation', () => {
  it('cancel_at_period_end keeps it active until the period ends, then deletes it; resuming undoes it', async () => {
    const price = await monthlyPrice(h.stripe, 'Premium', 1599);
    const { subscription } = await subscribe(h, price);
    const end = subscription.items.data[0].current_period_end;

    const t0 = h.emulator.now();
    const scheduled = await h.stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
    expect(scheduled).toMatchObject({ status: 'active', cancel_at_period_end: true, cancel_at: end, cancellation_details: { reason: 'cancellation_requested' } });
    expect(scheduled.canceled_at).toBeGreaterThanOrEqual(t0);
    expect(scheduled.canceled_at).toBeLessThanOrEqual(h.emulator.now());
    const resumed = await h.stripe.subscriptions.update(subscription.id, { cancel_at_period_end: false });
    expect(resumed).toMatchObject({ cancel_at_period_end: false, cancel_at: null, canceled_at: null });
    await h.stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });

    const updates = (await h.eventsFor(subscription.id)).filter((e) => e.type === 'customer.subscription.updated');
    expect(updates.map((e) => (e.data.object as Stripe.Subscription).cancel_at_period_end)).toEqual([true, false, true]);
    expect(updates[0].data.previous_attributes).toMatchObject({ cancel_at_period_end: false, cancel_at: null, canceled_at: null });
    expect(updates[0].request?.id).toMatch(/^req_/);

    const since = (await h.events()).length;
    await h.emulator.advanceClock(end - h.emulator.now() - 60);
    expect((await h.stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
    await h.emulator.advanceClock(120);
    const events = await eventsSince(since);
    expect(types(events)).toEqual(['customer.subscription.deleted']);
    expect(events[0].data.object).toMatchObject({ status: 'canceled', ended_at: end, cancel_at_period_end: true });
    expect((await h.stripe.invoices.list({ subscription: subscription.id })).data).toHaveLength(1);
  });

  it('cancels immediately with subscriptions.cancel', async () => {
    const price = await monthlyPrice(h.stripe, 'Basic', 899);
    const { subscription } = await subscribe(h, price);
    const t0 = h.emulator.now();
    const canceled = await h.stripe.subscriptions.cancel(subscription.id, { cancellation_details: { comment: 'too expensive' } });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_details: { comment: 'too expensive', reason: 'cancellation_requested' } });
    expect(canceled.ended_at).toBeGreaterThanOrEqual(t0);
    expect(canceled.ended_at).toBeLessThanOrEqual(h.emulator.now());
    expect((await h.eventsFor(subscription.id)).at(-1)!.type).toBe('customer.subscription.deleted');
    const again = await h.stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });
});

describe('plan changes', () => {
  it('swaps the price with create_prorations: credit and charge invoice items, billed at renewal', async () => {
    const basic = await monthlyPrice(h.stripe, 'Basic', 1000);
    const premium = await monthlyPrice(h.stripe, 'Premium', 2000);
    const { subscription } = await subscribe(h, basic);
    const item = subscription.items.data[0];
    const length = item.current_period_end - item.current_period_start;
    await h.emulator.advanceClock(Math.floor(length / 2));

    const changed = await h.stripe.subscriptions.update(subscription.id, { items: [{ id: item.id, price: premium.id }], proration_behavior: 'create_prorations' });
    expect(changed.items.data).toHaveLength(1);
    expect(changed.items.data[0]).toMatchObject({ id: item.id, price: { id: premium.id }, current_period_end: item.current_period_end });
    const update = (await h.eventsFor(subscription.id)).filter((e) => e.type === 'customer.subscription.updated').at(-1)!;
    expect((update.data.previous_attributes as { items: Stripe.ApiList<Stripe.SubscriptionItem> }).items.data[0].price.id).toBe(basic.id);

    const pending = await h.stripe.invoiceItems.list({ customer: subscription.customer as string, pending: true });
    const amounts = pending.data.map((ii) => ii.amount).sort((a, b) => a - b);
    expect(pending.data.every((ii) => ii.proration)).toBe(true);
    expect(amounts[0]).toBeLessThan(0);
    expect(amounts[1]).toBeGreaterThan(0);
    // Half the period is left: about half of each price, within a second's rounding.
    expect(Math.abs(amounts[0] + 500)).toBeLessThanOrEqual(2);
    expect(Math.abs(amounts[1] - 1000)).toBeLessThanOrEqual(2);
    expect((await h.events()).filter((e) => e.type === 'invoiceitem.created')).toHaveLength(2);

    await toPeriodEnd(subscription.id);
    const renewal = (await h.stripe.subscriptions.retrieve(subscription.id, { expand: ['latest_invoice'] })).latest_invoice as Stripe.Invoice;
    expect(renewal.billing_reason).toBe('subscription_cycle');
    expect(renewal.lines.data.map((l) => l.amount).sort((a, b) => a - b)).toEqual([amounts[0], amounts[1], 2000].sort((a, b) => a - b));
    expect(renewal.amount_paid).toBe(2000 + amounts[0] + amounts[1]);
    expect((await h.stripe.invoiceItems.list({ customer: subscription.customer as string, pending: true })).data).toHaveLength(0);
  });

  it('invoices at once with always_invoice, and resets the cycle when the interval changes', async () => {
    const monthly = await monthlyPrice(h.stripe, 'Basic', 1000);
    const yearly = await monthlyPrice(h.stripe, 'Basic yearly', 10000, undefined, 'year');
    const { subscription } = await subscribe(h, monthly);
    await h.emulator.advanceClock(10 * DAY);
    const t0 = h.emulator.now();
    const changed = withPeriod(await h.stripe.subscriptions.update(subscription.id, { items: [{ id: subscription.items.data[0].id, price: yearly.id }], proration_behavior: 'always_invoice', expand: ['latest_invoice'] }));
    // The cycle restarts at the change: a year from then.
    expect(changed.current_period_start).toBeGreaterThanOrEqual(t0);
    expect(changed.current_period_start).toBeLessThanOrEqual(h.emulator.now());
    expect(changed.items.data[0].current_period_end - changed.current_period_start).toBeGreaterThanOrEqual(365 * DAY);
    const invoice = changed.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({ billing_reason: 'subscription_update', status: 'paid' });
    expect(invoice.lines.data.some((l) => l.amount < 0)).toBe(true);
    expect(invoice.lines.data.some((l) => l.amount === 10000)).toBe(true);
  });
});

describe('trials', () => {
  it('sends trial_will_end three days before the end, then bills and turns active', async () => {
    const price = await monthlyPrice(h.stripe, 'Premium', 1599);
    const { subscription } = await subscribe(h, price, { subscription_data: { trial_period_days: 7 } });
    expect(subscription.status).toBe('trialing');
    const trialEnd = subscription.trial_end!;
    const since = (await h.events()).length;
    await h.emulator.advanceClock(4 * DAY + 10);
    let events = await eventsSince(since);
    expect(types(events)).toEqual(['customer.subscription.trial_will_end']);
    expect(events[0].created).toBe(trialEnd - 3 * DAY);
    expect(events[0].data.object).toMatchObject({ id: subscription.id, status: 'trialing', trial_end: trialEnd });

    const mark = (await h.events()).length;
    await h.emulator.advanceClock(3 * DAY);
    events = await eventsSince(mark);
    expect(types(events)).toEqual(['customer.subscription.updated', 'invoice.created', 'invoice.finalized', 'invoice.paid', 'invoice.payment_succeeded', 'payment_intent.succeeded', 'charge.succeeded', 'invoice_payment.paid']);
    expect(events[0].data.object).toMatchObject({ status: 'active', current_period_start: trialEnd });
    expect(events[0].data.previous_attributes).toMatchObject({ status: 'trialing' });
    expect(events[3].data.object).toMatchObject({ amount_paid: 1599 });
  });
});

describe('billing portal', () => {
  it('hands out a portal URL whose page cancels at period end', async () => {
    const price = await monthlyPrice(h.stripe, 'Premium', 1599);
    const { subscription, customer } = await subscribe(h, price);
    const portal = await h.stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://flix.test/account' });
    expect(portal).toMatchObject({ object: 'billing_portal.session', customer: customer.id, return_url: 'https://flix.test/account' });
    expect(portal.url.startsWith(`${h.emulator.url}/p/session/`)).toBe(true);
    const html = await (await fetch(portal.url)).text();
    expect(html).toContain('Premium');
    const res = await fetch(`${portal.url}/subscriptions/${subscription.id}/cancel`, { method: 'POST', redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(await h.stripe.subscriptions.retrieve(subscription.id)).toMatchObject({ cancel_at_period_end: true, status: 'active' });
  });
});
