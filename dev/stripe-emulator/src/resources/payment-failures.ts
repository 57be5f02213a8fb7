/**
 * Test controls for payments: the next N payment attempts of a customer or subscription fail
 * (failNextPayments), and recover() lets them work again, optionally retrying open invoices now.
 */
import { invalidRequest } from '../errors.js';
import type { InvoiceJson } from '../model.js';
import type { Billing } from '../core/context.js';

export class PaymentFailures {
  /** How many more payment attempts fail, per customer or subscription id. */
  private readonly pending = new Map<string, number>();

  constructor(
    private readonly b: Billing,
    private readonly changed: () => void,
  ) {}

  failNext(target: string, count: number): void {
    if (!Number.isInteger(count) || count < 0) throw invalidRequest('count must be a non-negative integer', 'count');
    if (target.startsWith('sub_')) this.b.db.subscriptions.get(target, 'target');
    else this.b.db.customers.get(target, 'target');
    if (count === 0) this.pending.delete(target);
    else this.pending.set(target, count);
    this.changed();
  }

  /**
   * Payments for the customer/subscription work again: pending failures are cleared, so the next
   * scheduled retry succeeds. With `retryNow`, open invoices are retried at once.
   */
  recover(target: string, retryNow = false): InvoiceJson[] {
    const { db } = this.b;
    const subs = target.startsWith('sub_') ? [db.subscriptions.get(target, 'target')] : db.subscriptions.all().filter((s) => s.customer === db.customers.get(target, 'target').id);
    const customerId = target.startsWith('sub_') ? subs[0].customer : target;
    this.pending.delete(customerId);
    for (const s of subs) this.pending.delete(s.id);
    const paid: InvoiceJson[] = [];
    if (retryNow) {
      const subIds = new Set(subs.map((s) => s.id));
      for (const inv of db.invoices.all()) {
        const sid = inv.parent?.subscription_details.subscription;
        if (inv.status === 'open' && inv.customer === customerId && (!sid || subIds.has(sid)) && this.b.collection.attempt(inv, {})) paid.push(db.render(inv));
      }
    }
    return paid;
  }

  /** Whether the next payment for this subscription/customer is set to fail (and counts it). */
  consume(subId: string | null, customerId: string): boolean {
    for (const key of [subId, customerId]) {
      if (!key) continue;
      const n = this.pending.get(key) ?? 0;
      if (n > 0) {
        if (n === 1) this.pending.delete(key);
        else this.pending.set(key, n - 1);
        return true;
      }
    }
    return false;
  }

  snapshot(): [string, number][] {
    return [...this.pending];
  }

  restore(saved: [string, number][]): void {
    for (const [k, v] of saved) this.pending.set(k, v);
  }
}
