/**
 * Subscriptions through their life:
 *   trialing/active --period end--> renewal invoice --paid--> active (new period)
 *                                                  \--failed--> past_due --retries--> active | canceled
 *   cancel_at / cancel_at_period_end --that time--> canceled
 * Changes to a running subscription (items, trials, scheduled cancellation) are in subscription-changes.ts.
 */
import { invalidRequest, missingParam } from '../errors.js';
import { stripeId, type CheckoutSessionJson, type CustomerJson, type ListJson, type Metadata, type PriceJson, type SubscriptionItemJson, type SubscriptionJson } from '../model.js';
import type { SubscriptionCancelParams, SubscriptionItemListParams, SubscriptionListParams } from '../schemas.js';
import { DUE_RANK, type DueSource, type OfferDue } from '../core/clock.js';
import type { Billing } from '../core/context.js';
import type { SessionExtra } from '../core/db.js';
import { paginate } from '../core/store.js';
import { addInterval, DAY, planOf, previousAttributes } from '../core/support.js';
import { chargeLine, periodLines, prorationLine, type DraftLine } from './draft-lines.js';
import { subscriptionJson } from './subscription-json.js';

export type EndReason = 'cancellation_requested' | 'payment_failed';

const isEnded = (s: SubscriptionJson): boolean => s.status === 'canceled' || s.status === 'incomplete_expired';

export class Subscriptions implements DueSource {
  constructor(private readonly b: Billing) {}

  addItem(subId: string, price: PriceJson, quantity: number, start: number, end: number, metadata: Metadata): SubscriptionItemJson {
    return {
      id: stripeId('si', 14),
      object: 'subscription_item',
      billing_thresholds: null,
      created: this.b.now(),
      current_period_end: end,
      current_period_start: start,
      discounts: [],
      metadata,
      plan: planOf(price),
      price: structuredClone(price),
      quantity,
      subscription: subId,
      tax_rates: [],
    };
  }

  /** The subscription a paid checkout session starts, with its first invoice collected. */
  startFromCheckout(s: CheckoutSessionJson, extra: SessionExtra, customer: CustomerJson, pm: string): SubscriptionJson {
    const { db } = this.b;
    const now = this.b.now();
    const id = stripeId('sub', 24);
    const trialEnd = extra.trialEnd ?? (extra.trialDays ? now + extra.trialDays * DAY : null);
    const recurringLines = extra.lines.filter((l) => l.price.recurring);
    const rec = recurringLines[0].price.recurring!;
    const periodEnd = trialEnd ?? addInterval(now, rec.interval, rec.interval_count);
    const sub = subscriptionJson({ id, now, currency: s.currency, customer: customer.id, paymentMethod: pm, trialEnd, periodEnd, extra });
    sub.items.data = recurringLines.map((l) => this.addItem(id, this.b.prices.current(l.price), l.quantity, now, periodEnd, { ...l.metadata }));
    sub.items.total_count = sub.items.data.length;
    db.subscriptions.add(sub);
    db.subscriptionExtras.set(id, { trialWillEndSent: false });
    sub.discounts = extra.coupons.map((c) => this.b.coupons.redeem(c, { customer: customer.id, subscription: id, checkoutSession: s.id }).id);

    const lines = periodLines(this.b, sub, now, periodEnd, trialEnd !== null);
    // One-time prices bought with a subscription go on its first invoice.
    for (const l of extra.lines.filter((x) => !x.price.recurring)) lines.push(chargeLine(l.price, l.quantity, l.amount_subtotal, l.description, now));
    const invoice = this.b.invoices.create(customer, sub, 'subscription_create', lines, { start: now, end: now });
    sub.latest_invoice = invoice.id;
    this.b.invoices.finalizeAndCollect(invoice, { paymentMethod: pm, checkout: true });
    return sub;
  }

  list(p: SubscriptionListParams): ListJson<SubscriptionJson> {
    const status = p.status ?? null;
    return this.b.db.subscriptions.list(p, '/v1/subscriptions', {
      where: (s) => {
        if (p.customer && s.customer !== p.customer) return false;
        const priceId = p.price ?? p.plan;
        if (priceId && !s.items.data.some((i) => i.price.id === priceId)) return false;
        if (status === 'all') return true;
        if (status === 'ended') return isEnded(s);
        if (status) return s.status === status;
        // Without a status filter Stripe leaves canceled subscriptions out.
        return !isEnded(s);
      },
    });
  }

  listItems(p: SubscriptionItemListParams): ListJson<SubscriptionItemJson> {
    if (!p.subscription) throw missingParam('subscription');
    const { db } = this.b;
    const sub = db.render(db.subscriptions.get(p.subscription, 'subscription'));
    return paginate([...sub.items.data], p, `/v1/subscription_items`, (x) => db.render(x));
  }

  cancel(id: string, p: SubscriptionCancelParams): SubscriptionJson {
    const sub = this.b.db.subscriptions.get(id);
    if (isEnded(sub)) throw invalidRequest(`This subscription (${id}) has already been canceled.`, 'subscription', 'resource_missing');
    if (p.cancellation_details) {
      sub.cancellation_details.comment = p.cancellation_details.comment ?? sub.cancellation_details.comment;
      sub.cancellation_details.feedback = p.cancellation_details.feedback ?? sub.cancellation_details.feedback;
    }
    if (p.invoice_now && p.prorate) {
      // Credit for the unused rest of the period goes to the customer's balance, via a final invoice.
      const credits = sub.items.data.map((i) => prorationLine(this.b, sub, i.price, i.quantity, -1, this.b.now(), i.id));
      this.end(sub, 'cancellation_requested');
      const invoice = this.b.invoices.create(this.b.db.customers.get(sub.customer), sub, 'subscription_update', credits, { start: this.b.now(), end: this.b.now() });
      sub.latest_invoice = invoice.id;
      this.b.invoices.finalizeAndCollect(invoice, {});
      return this.b.db.render(sub);
    }
    this.end(sub, 'cancellation_requested');
    return this.b.db.render(sub);
  }

  end(sub: SubscriptionJson, reason: EndReason, at = this.b.now()): void {
    sub.status = 'canceled';
    sub.ended_at = at;
    sub.canceled_at = sub.canceled_at ?? at;
    sub.cancellation_details.reason = sub.cancellation_details.reason ?? reason;
    // Open invoices of an ended subscription are not retried any more.
    for (const inv of this.b.db.invoices.all()) if (inv.parent?.subscription_details.subscription === sub.id && inv.status === 'open') inv.next_payment_attempt = null;
    this.b.events.emit('customer.subscription.deleted', sub);
  }

  setPeriod(sub: SubscriptionJson, start: number, end: number): void {
    sub.current_period_start = start;
    sub.current_period_end = end;
    for (const item of sub.items.data) {
      item.current_period_start = start;
      item.current_period_end = end;
    }
  }

  /** Announces the change since `before` (as rendered then), when there is one. */
  emitUpdated(sub: SubscriptionJson, before: SubscriptionJson): void {
    const prev = previousAttributes(before, this.b.db.render(sub));
    if (Object.keys(prev).length > 0) this.b.events.emit('customer.subscription.updated', sub, prev);
  }

  /**
   * Starts the next period: the subscription moves on (trial over → active), then the period's
   * invoice is created, finalized and collected. `anchorNow` restarts the cycle now (a trial
   * ended early), billing `pending` lines with it.
   */
  renew(sub: SubscriptionJson, opts: { anchorNow?: boolean; pending?: DraftLine[] } = {}): void {
    const { db, events } = this.b;
    const before = db.render(sub);
    const rec = sub.items.data[0].price.recurring!;
    const start = opts.anchorNow ? this.b.now() : sub.current_period_end;
    if (opts.anchorNow) sub.billing_cycle_anchor = start;
    let k = 1;
    while (addInterval(sub.billing_cycle_anchor, rec.interval, rec.interval_count * k) <= start) k++;
    const end = addInterval(sub.billing_cycle_anchor, rec.interval, rec.interval_count * k);
    this.setPeriod(sub, start, end);
    if (sub.status === 'trialing') sub.status = 'active';
    const lines = [...(opts.pending ?? []), ...periodLines(this.b, sub, start, end, false)];
    // Pending invoice items (prorations) are billed with this invoice, ahead of the period's lines.
    for (const line of this.b.invoices.pendingItemLines(sub.id)) lines.unshift(line);
    const mark = events.mark();
    const invoice = this.b.invoices.create(db.customers.get(sub.customer), sub, opts.anchorNow ? 'subscription_update' : 'subscription_cycle', lines, { start: before.current_period_start, end: start });
    sub.latest_invoice = invoice.id;
    // Announced before the invoice (the period moves first), showing the invoice as latest.
    if (!opts.anchorNow) events.insertAt(mark, 'customer.subscription.updated', sub, previousAttributes(before, db.render(sub)));
    this.b.invoices.finalizeAndCollect(invoice, {});
  }

  offerDue(offer: OfferDue): void {
    const { db } = this.b;
    for (const sub of db.subscriptions.all()) {
      const extra = db.subscriptionExtras.get(sub.id) ?? { trialWillEndSent: false };
      if (sub.status === 'trialing' && sub.trial_end !== null && !extra.trialWillEndSent)
        offer(Math.max(sub.trial_end - 3 * DAY, sub.created), DUE_RANK.trialWillEnd, () => {
          extra.trialWillEndSent = true;
          db.subscriptionExtras.set(sub.id, extra);
          this.b.events.emit('customer.subscription.trial_will_end', sub);
        });
      if (sub.status !== 'active' && sub.status !== 'trialing' && sub.status !== 'past_due') continue;
      if (sub.cancel_at !== null && sub.cancel_at <= sub.current_period_end) offer(sub.cancel_at, DUE_RANK.cancellation, () => this.end(sub, 'cancellation_requested', sub.cancel_at!));
      else offer(sub.current_period_end, DUE_RANK.renewal, () => this.renew(sub));
    }
  }
}
