/** Lines on their way onto an invoice: a subscription's period charges and the prorations of a change. */
import { formatAmount, type PriceJson, type SubscriptionJson } from '../model.js';
import type { Billing } from '../core/context.js';

export interface DraftLine {
  amount: number;
  description: string;
  price: PriceJson;
  quantity: number;
  period: { start: number; end: number };
  proration: boolean;
  discountable: boolean;
  subscriptionItem: string | null;
  invoiceItem: string | null;
}

/** A plain charge for `price` (one-time purchases, checkout's amount due today). */
export function chargeLine(price: PriceJson, quantity: number, amount: number, description: string, at: number): DraftLine {
  return { amount, description, price, quantity, period: { start: at, end: at }, proration: false, discountable: true, subscriptionItem: null, invoiceItem: null };
}

/** Each item of the subscription for the period (free, described as a trial, when `trial`). */
export function periodLines(b: Billing, sub: SubscriptionJson, start: number, end: number, trial: boolean): DraftLine[] {
  return sub.items.data.map((item) => {
    const price = b.prices.current(item.price);
    const name = b.products.nameOf(price.product);
    const rec = price.recurring!;
    const every = rec.interval_count === 1 ? rec.interval : `${rec.interval_count} ${rec.interval}s`;
    return {
      amount: trial ? 0 : price.unit_amount * item.quantity,
      description: trial ? `Trial period for ${name}` : `${item.quantity} × ${name} (at ${formatAmount(price.unit_amount, price.currency)} / ${every})`,
      price,
      quantity: item.quantity,
      period: { start, end },
      proration: false,
      discountable: true,
      subscriptionItem: item.id,
      invoiceItem: null,
    };
  });
}

/** Credit (sign -1) for unused time or charge (+1) for remaining time, from `at` to the period end. */
export function prorationLine(b: Billing, sub: SubscriptionJson, price: PriceJson, quantity: number, sign: 1 | -1, at: number, itemId: string): DraftLine {
  const start = sub.current_period_start;
  const end = sub.current_period_end;
  const fraction = end > start ? Math.max(0, Math.min(1, (end - at) / (end - start))) : 0;
  const name = b.products.nameOf(price.product);
  const date = new Date(at * 1000).toUTCString().slice(5, 16);
  return {
    amount: sign * Math.round(price.unit_amount * quantity * fraction),
    description: sign < 0 ? `Unused time on ${quantity} × ${name} after ${date}` : `Remaining time on ${quantity} × ${name} after ${date}`,
    price,
    quantity,
    period: { start: at, end },
    proration: true,
    discountable: false,
    subscriptionItem: itemId,
    invoiceItem: null,
  };
}
