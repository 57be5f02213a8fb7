/** A new (draft) invoice's wire shape: its lines, with the discounts taken off them, and its totals. */
import { stripeId, type CustomerJson, type InvoiceBillingReason, type InvoiceJson, type InvoiceLineItemJson, type SubscriptionJson } from '../model.js';
import type { AmountOff } from './coupons.js';
import type { DraftLine } from './draft-lines.js';

const ACCOUNT_NAME = 'Flix (stripe-emulator)';

export interface NewInvoice {
  id: string;
  now: number;
  customer: CustomerJson;
  sub: SubscriptionJson | null;
  reason: InvoiceBillingReason;
  drafts: DraftLine[];
  period: { start: number; end: number };
  /** What each discount takes off each line, and in all. */
  discounts: { perLine: AmountOff[][]; totals: AmountOff[] };
}

function lineJson(n: NewInvoice, d: DraftLine, off: AmountOff[]): InvoiceLineItemJson {
  const { sub } = n;
  return {
    id: stripeId('il', 24),
    object: 'line_item',
    amount: d.amount,
    currency: sub?.currency ?? d.price.currency,
    description: d.description,
    discount_amounts: off,
    discountable: d.discountable,
    discounts: off.map((x) => x.discount),
    invoice: n.id,
    livemode: false,
    metadata: {},
    parent: d.invoiceItem
      ? { type: 'invoice_item_details', invoice_item_details: { invoice_item: d.invoiceItem, proration: d.proration, proration_details: { credited_items: null }, subscription: sub?.id ?? null }, subscription_item_details: null }
      : {
          type: 'subscription_item_details',
          invoice_item_details: null,
          subscription_item_details: { invoice_item: null, proration: d.proration, proration_details: { credited_items: null }, subscription: sub?.id ?? '', subscription_item: d.subscriptionItem ?? '' },
        },
    period: { ...d.period },
    pretax_credit_amounts: [],
    pricing: { type: 'price_details', price_details: { price: d.price.id, product: d.price.product }, unit_amount_decimal: String(d.price.unit_amount) },
    quantity: d.quantity,
    subscription: sub?.id ?? null,
    subtotal: d.amount,
    taxes: [],
  };
}

export function invoiceJson(n: NewInvoice): InvoiceJson {
  const { id, now, customer, sub, drafts } = n;
  const { perLine, totals } = n.discounts;
  const subtotal = drafts.reduce((a, d) => a + d.amount, 0);
  const discount = totals.reduce((a, t) => a + t.amount, 0);
  const total = subtotal - discount;
  const lines = drafts.map((d, i) => lineJson(n, d, perLine[i]));
  return {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: ACCOUNT_NAME,
    account_tax_ids: null,
    amount_due: Math.max(0, total),
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: Math.max(0, total),
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: n.reason,
    collection_method: 'charge_automatically',
    created: now,
    currency: sub?.currency ?? drafts[0]?.price.currency ?? 'usd',
    custom_fields: null,
    customer: customer.id,
    customer_account: null,
    customer_address: null,
    customer_email: customer.email,
    customer_name: customer.name,
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: totals.map((t) => t.discount),
    due_date: null,
    effective_at: null,
    ending_balance: null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: 'list', data: lines, has_more: false, total_count: lines.length, url: `/v1/invoices/${id}/lines` },
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent: sub ? { type: 'subscription_details', quote_details: null, subscription_details: { metadata: { ...sub.metadata }, subscription: sub.id } } : null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: n.period.end,
    period_start: n.period.start,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal,
    subtotal_excluding_tax: subtotal,
    test_clock: null,
    total,
    total_discount_amounts: totals,
    total_excluding_tax: total,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: null,
  };
}
