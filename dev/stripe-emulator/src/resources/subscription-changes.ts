/**
 * subscriptions.update: metadata and details, discounts, scheduled cancellation, trial changes
 * and item changes with prorations (invoiced at once, or left pending for the next renewal, as
 * `proration_behavior` says). Everything is checked before anything changes.
 */
import { invalidRequest, missingParam, noSuch } from '../errors.js';
import type { PriceJson, SubscriptionItemJson, SubscriptionJson } from '../model.js';
import type { ProrationBehavior, SubscriptionUpdateParams } from '../schemas.js';
import type { Billing } from '../core/context.js';
import { addInterval, mergeMetadata, planOf } from '../core/support.js';
import { periodLines, prorationLine, type DraftLine } from './draft-lines.js';

/** One entry of `items[]`, checked. */
interface ItemOp {
  existing: SubscriptionItemJson | undefined;
  price: PriceJson | null;
  quantity: number | null;
  deleted: boolean;
  metadata: Record<string, string> | null | undefined;
}

type DiscountOp = { keep: string } | { coupon: string };

export class SubscriptionChanges {
  constructor(private readonly b: Billing) {}

  update(id: string, p: SubscriptionUpdateParams): SubscriptionJson {
    const { db, subscriptions } = this.b;
    const sub = db.subscriptions.get(id);
    const ended = sub.status === 'canceled' || sub.status === 'incomplete_expired';
    const keys = Object.keys(p).filter((k) => k !== 'expand' && k !== 'metadata' && k !== 'cancellation_details');
    if (ended && keys.length > 0) throw invalidRequest('A canceled subscription can only update its cancellation_details and metadata.', keys[0]);
    const now = this.b.now();
    const before = db.render(sub);
    const behavior = p.proration_behavior ?? 'create_prorations';
    const prorationTime = p.proration_date ?? now;

    const itemOps = this.checkItems(sub, p);
    const discountOps = this.checkDiscounts(sub, p);
    if (p.trial_end != null && p.trial_end !== 'now' && p.trial_end <= now) throw invalidRequest('Invalid timestamp: must be in the future, or "now".', 'trial_end');
    if (p.cancel_at != null && p.cancel_at !== 'now' && p.cancel_at <= now) throw invalidRequest('Invalid timestamp: must be in the future.', 'cancel_at');

    sub.metadata = mergeMetadata(sub.metadata, p.metadata);
    if (p.description !== undefined) sub.description = p.description;
    if (p.default_payment_method !== undefined) sub.default_payment_method = p.default_payment_method;
    if (p.cancellation_details) {
      if (p.cancellation_details.comment !== undefined) sub.cancellation_details.comment = p.cancellation_details.comment;
      if (p.cancellation_details.feedback !== undefined) sub.cancellation_details.feedback = p.cancellation_details.feedback;
    }
    if (p.discounts !== undefined)
      sub.discounts = discountOps.map((d) => ('keep' in d ? d.keep : this.b.coupons.redeem(d.coupon, { customer: sub.customer, subscription: sub.id, checkoutSession: null }).id));

    this.scheduleCancellation(sub, p, now);
    if (p.cancel_at === 'now') {
      subscriptions.end(sub, 'cancellation_requested');
      return db.render(sub);
    }

    const { prorations, resetCycle } = this.changeItems(sub, itemOps, behavior, prorationTime);
    if (sub.items.data.length === 0) throw invalidRequest('A subscription must have at least one active item.', 'items');
    sub.items.total_count = sub.items.data.length;

    const customer = db.customers.get(sub.customer);
    if (p.trial_end === 'now' && sub.status === 'trialing') {
      sub.trial_end = now;
      subscriptions.renew(sub, { anchorNow: true, pending: prorations });
      subscriptions.emitUpdated(sub, before);
      return db.render(sub);
    }
    if (typeof p.trial_end === 'number') {
      sub.trial_end = p.trial_end;
      sub.status = 'trialing';
      subscriptions.setPeriod(sub, sub.current_period_start, p.trial_end);
      sub.billing_cycle_anchor = p.trial_end;
      if (sub.cancel_at_period_end) sub.cancel_at = p.trial_end;
    }
    if (resetCycle) {
      // A new billing interval restarts the cycle now and invoices at once (Stripe's rule).
      sub.billing_cycle_anchor = now;
      const first = sub.items.data[0].price.recurring!;
      subscriptions.setPeriod(sub, now, addInterval(now, first.interval, first.interval_count));
      if (sub.cancel_at_period_end) sub.cancel_at = sub.current_period_end;
      const lines = [...prorations, ...periodLines(this.b, sub, sub.current_period_start, sub.current_period_end, false)];
      const invoice = this.b.invoices.create(customer, sub, 'subscription_update', lines, { start: now, end: now });
      sub.latest_invoice = invoice.id;
      subscriptions.emitUpdated(sub, before);
      this.b.invoices.finalizeAndCollect(invoice, {});
      return db.render(sub);
    }
    if (prorations.length > 0 && behavior === 'always_invoice') {
      const invoice = this.b.invoices.create(customer, sub, 'subscription_update', prorations, { start: prorationTime, end: prorationTime });
      sub.latest_invoice = invoice.id;
      subscriptions.emitUpdated(sub, before);
      this.b.invoices.finalizeAndCollect(invoice, {});
      return db.render(sub);
    }
    // create_prorations: pending invoice items, billed with the next renewal.
    for (const line of prorations) this.b.invoices.addPendingItem(sub, line);
    subscriptions.emitUpdated(sub, before);
    return db.render(sub);
  }

  private checkItems(sub: SubscriptionJson, p: SubscriptionUpdateParams): ItemOp[] {
    return (p.items ?? []).map((it, i) => {
      const at = (k: string): string => `items[${i}][${k}]`;
      const existing = it.id ? sub.items.data.find((x) => x.id === it.id) : undefined;
      if (it.id && !existing) throw noSuch('subscription item', it.id, at('id'));
      const priceId = it.price ?? it.plan;
      const price = priceId ? this.b.db.prices.get(priceId, at('price')) : null;
      if (price && !price.recurring) throw invalidRequest('The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.', at('price'));
      if (price && price.currency !== sub.currency) throw invalidRequest(`The price's currency (${price.currency}) must match the subscription's currency (${sub.currency}).`, at('price'));
      if (price && !price.active) throw invalidRequest('The price specified is inactive. This field only accepts active prices.', at('price'));
      if (!existing && !price) throw missingParam(at('price'));
      if (it.quantity != null && it.quantity < 0) throw invalidRequest('This value must be greater than or equal to 0.', at('quantity'));
      return { existing, price, quantity: it.quantity ?? null, deleted: it.deleted === true, metadata: it.metadata };
    });
  }

  private checkDiscounts(sub: SubscriptionJson, p: SubscriptionUpdateParams): DiscountOp[] {
    return (p.discounts ?? []).map((d, i) => {
      if (d.promotion_code) throw invalidRequest('The emulator does not support promotion codes; pass a coupon.', `discounts[${i}][promotion_code]`);
      if (d.discount) {
        if (!sub.discounts.includes(d.discount)) throw noSuch('discount', d.discount, `discounts[${i}][discount]`);
        return { keep: d.discount };
      }
      if (!d.coupon) throw missingParam(`discounts[${i}][coupon]`);
      return { coupon: this.b.coupons.usable(d.coupon, sub.currency, `discounts[${i}][coupon]`).id };
    });
  }

  /** cancel_at_period_end sets cancel_at to the period end, as Stripe does; unsetting either clears both. */
  private scheduleCancellation(sub: SubscriptionJson, p: SubscriptionUpdateParams, now: number): void {
    if (p.cancel_at_period_end === true) {
      sub.cancel_at_period_end = true;
      sub.cancel_at = sub.current_period_end;
      sub.canceled_at = now;
      sub.cancellation_details.reason = 'cancellation_requested';
    } else if (p.cancel_at_period_end === false || (p.cancel_at === null && 'cancel_at' in p)) {
      sub.cancel_at_period_end = false;
      sub.cancel_at = null;
      sub.canceled_at = null;
      sub.cancellation_details = { comment: null, feedback: null, reason: null };
    }
    if (typeof p.cancel_at === 'number') {
      sub.cancel_at = p.cancel_at;
      sub.cancel_at_period_end = p.cancel_at === sub.current_period_end;
      sub.canceled_at = now;
      sub.cancellation_details.reason = 'cancellation_requested';
    }
  }

  /** Applies the item changes; prorations cover the rest of the current period (none in a trial). */
  private changeItems(sub: SubscriptionJson, ops: ItemOp[], behavior: ProrationBehavior, at: number): { prorations: DraftLine[]; resetCycle: boolean } {
    let resetCycle = false;
    const prorations: DraftLine[] = [];
    const prorate = sub.status !== 'trialing' && behavior !== 'none';
    const line = (price: PriceJson, quantity: number, sign: 1 | -1, itemId: string): DraftLine => prorationLine(this.b, sub, price, quantity, sign, at, itemId);
    for (const op of ops) {
      if (op.existing && op.deleted) {
        if (prorate) prorations.push(line(op.existing.price, op.existing.quantity, -1, op.existing.id));
        sub.items.data = sub.items.data.filter((x) => x.id !== op.existing!.id);
        continue;
      }
      if (op.existing) {
        const oldPrice = op.existing.price;
        const oldQty = op.existing.quantity;
        const price = op.price ?? oldPrice;
        const qty = op.quantity ?? oldQty;
        if (price.id === oldPrice.id && qty === oldQty) {
          if (op.metadata !== undefined) op.existing.metadata = mergeMetadata(op.existing.metadata, op.metadata);
          continue;
        }
        if (price.recurring!.interval !== oldPrice.recurring!.interval || price.recurring!.interval_count !== oldPrice.recurring!.interval_count) resetCycle = true;
        if (prorate) {
          prorations.push(line(oldPrice, oldQty, -1, op.existing.id));
          if (!resetCycle) prorations.push(line(price, qty, 1, op.existing.id));
        }
        op.existing.price = structuredClone(price);
        op.existing.plan = planOf(price);
        op.existing.quantity = qty;
        if (op.metadata !== undefined) op.existing.metadata = mergeMetadata(op.existing.metadata, op.metadata);
      } else if (op.price) {
        const item = this.b.subscriptions.addItem(sub.id, op.price, op.quantity ?? 1, sub.current_period_start, sub.current_period_end, mergeMetadata({}, op.metadata));
        sub.items.data.push(item);
        if (prorate) prorations.push(line(op.price, item.quantity, 1, item.id));
      }
    }
    return { prorations, resetCycle };
  }
}
