/** A new subscription's wire shape, as a completed checkout creates it (items are added after). */
import type { SubscriptionJson } from '../model.js';
import type { SessionExtra } from '../core/db.js';

export interface NewSubscription {
  id: string;
  now: number;
  currency: string;
  customer: string;
  paymentMethod: string;
  /** Set when it starts with a trial. */
  trialEnd: number | null;
  periodEnd: number;
  /** The session's subscription_data. */
  extra: Pick<SessionExtra, 'subscriptionDescription' | 'subscriptionMetadata'>;
}

export function subscriptionJson(n: NewSubscription): SubscriptionJson {
  const { id, now, trialEnd } = n;
  return {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: trialEnd ?? now,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'classic' },
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, reason: null },
    collection_method: 'charge_automatically',
    created: now,
    currency: n.currency,
    current_period_end: n.periodEnd,
    current_period_start: now,
    customer: n.customer,
    customer_account: null,
    days_until_due: null,
    default_payment_method: n.paymentMethod,
    default_source: null,
    default_tax_rates: [],
    description: n.extra.subscriptionDescription,
    discounts: [],
    ended_at: null,
    invoice_settings: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: { type: 'self' } },
    items: { object: 'list', data: [], has_more: false, total_count: 0, url: `/v1/subscription_items?subscription=${id}` },
    latest_invoice: null,
    livemode: false,
    metadata: { ...n.extra.subscriptionMetadata },
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: now,
    status: trialEnd ? 'trialing' : 'active',
    test_clock: null,
    transfer_data: null,
    trial_end: trialEnd,
    trial_settings: { end_behavior: { missing_payment_method: 'create_invoice' } },
    trial_start: trialEnd ? now : null,
  };
}
