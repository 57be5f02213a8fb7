/** Coupons, and the discounts redeeming them creates: what each takes off an invoice or a checkout. */
import { invalidRequest, missingParam } from '../errors.js';
import { randomText, stripeId, type CouponJson, type DeletedJson, type DiscountJson, type ListJson, type SubscriptionJson } from '../model.js';
import type { CouponCreateParams, ListParams } from '../schemas.js';
import type { Billing } from '../core/context.js';
import { addInterval, mergeMetadata, validCurrency } from '../core/support.js';
import type { DraftLine } from './draft-lines.js';

export interface AmountOff {
  amount: number;
  discount: string;
}

/**
 * Takes `coupon` off what is left of each line (mutating `remaining`), spread over the lines in
 * proportion; the last line with something left takes the rounding. Returns the total taken and
 * each line's share.
 */
function takeOff(coupon: CouponJson, remaining: number[]): { off: number; shares: [line: number, amount: number][] } {
  const base = remaining.reduce((a, b) => a + b, 0);
  if (base <= 0) return { off: 0, shares: [] };
  const off = coupon.percent_off !== null ? Math.round((base * coupon.percent_off) / 100) : Math.min(coupon.amount_off ?? 0, base);
  let left = off;
  const idx = remaining.map((r, i) => (r > 0 ? i : -1)).filter((i) => i >= 0);
  const shares = idx.map((i, n): [number, number] => {
    const share = n === idx.length - 1 ? left : Math.round((off * remaining[i]) / base);
    left -= share;
    remaining[i] -= share;
    return [i, share];
  });
  return { off, shares };
}

export class Coupons {
  constructor(private readonly b: Billing) {}

  create(p: CouponCreateParams): CouponJson {
    const pct = p.percent_off === undefined || p.percent_off === '' ? null : Number(p.percent_off);
    if (pct !== null && (!Number.isFinite(pct) || pct <= 0 || pct > 100)) throw invalidRequest('Invalid percent_off: must be a number greater than 0 and at most 100', 'percent_off');
    if ((pct === null) === (p.amount_off == null)) throw invalidRequest('You must pass exactly one of percent_off or amount_off.', pct === null ? 'amount_off' : 'percent_off');
    const currency = p.amount_off != null ? validCurrency(p.currency, 'currency') : null;
    if (p.amount_off != null && p.amount_off <= 0) throw invalidRequest('Invalid amount_off: must be greater than 0', 'amount_off');
    const duration = p.duration ?? 'once';
    if (duration === 'repeating' && !p.duration_in_months) throw missingParam('duration_in_months');
    if (duration !== 'repeating' && p.duration_in_months != null)
      throw invalidRequest('You may only specify duration_in_months when duration is repeating.', 'duration_in_months');
    if (p.id && this.b.db.coupons.has(p.id)) throw invalidRequest('Coupon already exists.', 'id', 'resource_already_exists');
    const c: CouponJson = {
      id: p.id ?? randomText(8),
      object: 'coupon',
      amount_off: p.amount_off ?? null,
      created: this.b.now(),
      currency,
      duration,
      duration_in_months: p.duration_in_months ?? null,
      livemode: false,
      max_redemptions: p.max_redemptions ?? null,
      metadata: mergeMetadata({}, p.metadata),
      name: p.name ?? null,
      percent_off: pct,
      redeem_by: p.redeem_by ?? null,
      times_redeemed: 0,
      valid: true,
    };
    this.b.db.coupons.add(c);
    this.b.events.emit('coupon.created', c);
    return this.b.db.render(c);
  }

  /** The coupon, its `valid` brought up to date. */
  get(id: string, param?: string): CouponJson {
    const c = this.b.db.coupons.get(id, param);
    this.refresh(c);
    return c;
  }

  delete(id: string): DeletedJson {
    const c = this.get(id);
    this.b.db.coupons.delete(id);
    this.b.events.emit('coupon.deleted', c);
    return { id, object: 'coupon', deleted: true };
  }

  list(p: ListParams): ListJson<CouponJson> {
    for (const c of this.b.db.coupons.all()) this.refresh(c);
    return this.b.db.coupons.list(p, '/v1/coupons');
  }

  /** A coupon that may be applied now to prices in `currency`, else the error naming `param`. */
  usable(id: string, currency: string, param: string): CouponJson {
    const c = this.get(id, param);
    if (!c.valid) throw invalidRequest(`This coupon is no longer valid: ${id}`, param, 'coupon_expired');
    if (c.currency !== null && c.currency !== currency)
      throw invalidRequest(`The coupon's currency (${c.currency}) must match the currency of the prices (${currency}).`, param);
    return c;
  }

  /** Redeems a coupon: a discount on the customer/subscription/session, ending when the coupon's duration does. */
  redeem(couponId: string, on: { customer: string | null; subscription: string | null; checkoutSession: string | null }): DiscountJson {
    const c = this.b.db.coupons.find(couponId)!;
    const start = this.b.now();
    const d: DiscountJson = {
      id: stripeId('di', 24),
      object: 'discount',
      checkout_session: on.checkoutSession,
      customer: on.customer,
      customer_account: null,
      end: c.duration === 'repeating' ? addInterval(start, 'month', c.duration_in_months ?? 1) : null,
      invoice: null,
      invoice_item: null,
      promotion_code: null,
      source: { coupon: c.id, type: 'coupon' },
      start,
      subscription: on.subscription,
      subscription_item: null,
    };
    this.b.db.discounts.add(d);
    c.times_redeemed += 1;
    this.refresh(c);
    return d;
  }

  /** How much each discount takes off the discountable lines: Stripe applies them in turn. */
  apply(lines: DraftLine[], discountIds: string[]): { perLine: AmountOff[][]; totals: AmountOff[] } {
    const perLine: AmountOff[][] = lines.map(() => []);
    const totals: AmountOff[] = [];
    const remaining = lines.map((l) => (l.discountable && l.amount > 0 ? l.amount : 0));
    for (const id of discountIds) {
      const coupon = this.couponOf(id);
      if (!coupon) continue;
      const { off, shares } = takeOff(coupon, remaining);
      if (off <= 0) continue;
      for (const [i, amount] of shares) perLine[i].push({ amount, discount: id });
      totals.push({ amount: off, discount: id });
    }
    return { perLine, totals };
  }

  /** What coupons not yet redeemed would take off (a checkout session's preview). */
  preview(lines: DraftLine[], couponIds: string[]): { perLine: number[]; total: number } {
    const remaining = lines.map((l) => (l.amount > 0 ? l.amount : 0));
    const perLine = lines.map(() => 0);
    let total = 0;
    for (const id of couponIds) {
      const { off, shares } = takeOff(this.b.db.coupons.find(id)!, remaining);
      for (const [i, amount] of shares) perLine[i] += amount;
      total += off;
    }
    return { perLine, total };
  }

  /** Discounts of a subscription still in force now. */
  activeOn(sub: SubscriptionJson): string[] {
    return sub.discounts.filter((id) => {
      const d = this.b.db.discounts.find(id);
      return d !== undefined && (d.end === null || this.b.now() < d.end);
    });
  }

  /** The coupon a discount redeemed. */
  couponOf(discountId: string): CouponJson | undefined {
    const d = this.b.db.discounts.find(discountId);
    return d ? this.b.db.coupons.find(d.source.coupon) : undefined;
  }

  private refresh(c: CouponJson): void {
    c.valid = (c.redeem_by === null || this.b.now() < c.redeem_by) && (c.max_redemptions === null || c.times_redeemed < c.max_redemptions);
  }
}
