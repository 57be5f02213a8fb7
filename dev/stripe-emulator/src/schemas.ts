/**
 * What each endpoint accepts: a runtime schema (names from the stripe@23 `*Params` types, so
 * real params pass and typos fail) and the typed shape the engine receives once it validated.
 * Params marked `any` are known to Stripe but not acted on by the emulator.
 */
import { LIST, type RangeFilter, type Schema } from './params.js';
import type { CouponDuration, Interval } from './model.js';

type Nullable<T> = T | null;
const METADATA = 'metadata' as const;
const INTERVALS = ['day', 'week', 'month', 'year'] as const;

export interface ListParams {
  limit?: Nullable<number>;
  starting_after?: Nullable<string>;
  ending_before?: Nullable<string>;
  expand?: string[];
  created?: number | RangeFilter | null;
}

// ---- customers ----
export const CUSTOMER_CREATE: Schema = {
  address: 'any', balance: 'integer', business_name: 'any', cash_balance: 'any', description: 'string', email: 'string', expand: 'expand',
  individual_name: 'any', invoice_prefix: 'string', invoice_settings: 'any', metadata: METADATA, name: 'string', next_invoice_sequence: 'integer',
  payment_method: 'string', phone: 'string', preferred_locales: { array: 'string' }, shipping: 'any', source: 'any', tax: 'any', tax_exempt: 'any',
  tax_id_data: 'any', test_clock: 'any', validate: 'any',
};
export const CUSTOMER_UPDATE: Schema = { ...CUSTOMER_CREATE, default_source: 'any' };
export interface CustomerParams {
  balance?: Nullable<number>;
  description?: Nullable<string>;
  email?: Nullable<string>;
  invoice_prefix?: Nullable<string>;
  metadata?: Nullable<Record<string, string>>;
  name?: Nullable<string>;
  next_invoice_sequence?: Nullable<number>;
  phone?: Nullable<string>;
  preferred_locales?: string[];
  expand?: string[];
}
export const CUSTOMER_LIST: Schema = { ...LIST, email: 'string', test_clock: 'any' };
export interface CustomerListParams extends ListParams {
  email?: Nullable<string>;
}
export const SEARCH: Schema = { query: 'string', limit: 'integer', page: 'string', expand: 'expand' };
export interface SearchParams {
  query?: Nullable<string>;
  limit?: Nullable<number>;
  page?: Nullable<string>;
  expand?: string[];
}

// ---- products and prices ----
const RECURRING: Schema = { interval: { enum: INTERVALS }, interval_count: 'integer', meter: 'any', usage_type: { enum: ['licensed', 'metered'] }, trial_period_days: 'any' };
export interface RecurringParams {
  interval?: Nullable<Interval>;
  interval_count?: Nullable<number>;
  usage_type?: Nullable<'licensed' | 'metered'>;
}
const PRODUCT_DATA: Schema = {
  name: 'string', active: 'boolean', description: 'string', id: 'string', images: { array: 'string' }, metadata: METADATA, statement_descriptor: 'any',
  tax_code: 'any', tax_details: 'any', unit_label: 'any',
};
export interface ProductDataParams {
  name?: Nullable<string>;
  active?: Nullable<boolean>;
  description?: Nullable<string>;
  id?: Nullable<string>;
  images?: string[];
  metadata?: Nullable<Record<string, string>>;
}
export const PRODUCT_CREATE: Schema = {
  ...PRODUCT_DATA, default_price_data: { object: { currency: 'string', unit_amount: 'integer', unit_amount_decimal: 'string', recurring: { object: RECURRING }, currency_options: 'any', custom_unit_amount: 'any', metadata: METADATA, tax_behavior: 'any' } },
  expand: 'expand', marketing_features: { array: { object: { name: 'string' } } }, package_dimensions: 'any', shippable: 'any', type: 'any', url: 'string',
};
export interface ProductCreateParams extends ProductDataParams {
  default_price_data?: Nullable<{ currency?: Nullable<string>; unit_amount?: Nullable<number>; unit_amount_decimal?: Nullable<string>; recurring?: Nullable<RecurringParams>; metadata?: Nullable<Record<string, string>> }>;
  marketing_features?: { name?: Nullable<string> }[];
  url?: Nullable<string>;
  expand?: string[];
}
export const PRODUCT_UPDATE: Schema = {
  active: 'boolean', default_price: 'string', description: 'string', expand: 'expand', images: { array: 'string' }, marketing_features: { array: { object: { name: 'string' } } },
  metadata: METADATA, name: 'string', package_dimensions: 'any', shippable: 'any', statement_descriptor: 'any', tax_code: 'any', tax_details: 'any', unit_label: 'any', url: 'string',
};
export interface ProductUpdateParams {
  active?: Nullable<boolean>;
  default_price?: Nullable<string>;
  description?: Nullable<string>;
  images?: string[];
  marketing_features?: { name?: Nullable<string> }[];
  metadata?: Nullable<Record<string, string>>;
  name?: Nullable<string>;
  url?: Nullable<string>;
  expand?: string[];
}
export const PRODUCT_LIST: Schema = { ...LIST, active: 'boolean', ids: { array: 'string' }, shippable: 'any', type: 'any', url: 'any' };
export interface ProductListParams extends ListParams {
  active?: Nullable<boolean>;
  ids?: string[];
}

export const PRICE_CREATE: Schema = {
  currency: 'string', active: 'boolean', billing_scheme: { enum: ['per_unit', 'tiered'] }, currency_options: 'any', custom_unit_amount: 'any', expand: 'expand',
  lookup_key: 'string', metadata: METADATA, nickname: 'string', product: 'string', product_data: { object: PRODUCT_DATA }, recurring: { object: RECURRING },
  tax_behavior: 'any', tiers: 'any', tiers_mode: 'any', transfer_lookup_key: 'boolean', transform_quantity: 'any', unit_amount: 'integer', unit_amount_decimal: 'string',
};
export interface PriceCreateParams {
  currency?: Nullable<string>;
  active?: Nullable<boolean>;
  billing_scheme?: Nullable<'per_unit' | 'tiered'>;
  lookup_key?: Nullable<string>;
  metadata?: Nullable<Record<string, string>>;
  nickname?: Nullable<string>;
  product?: Nullable<string>;
  product_data?: Nullable<ProductDataParams>;
  recurring?: Nullable<RecurringParams>;
  transfer_lookup_key?: Nullable<boolean>;
  unit_amount?: Nullable<number>;
  unit_amount_decimal?: Nullable<string>;
  expand?: string[];
}
export const PRICE_UPDATE: Schema = {
  active: 'boolean', currency_options: 'any', expand: 'expand', lookup_key: 'string', metadata: METADATA, nickname: 'string', tax_behavior: 'any', transfer_lookup_key: 'boolean',
};
export interface PriceUpdateParams {
  active?: Nullable<boolean>;
  lookup_key?: Nullable<string>;
  metadata?: Nullable<Record<string, string>>;
  nickname?: Nullable<string>;
  transfer_lookup_key?: Nullable<boolean>;
  expand?: string[];
}
export const PRICE_LIST: Schema = {
  ...LIST, active: 'boolean', currency: 'string', lookup_keys: { array: 'string' }, product: 'string', type: { enum: ['one_time', 'recurring'] },
  recurring: { object: { interval: { enum: INTERVALS }, meter: 'any', usage_type: 'any' } },
};
export interface PriceListParams extends ListParams {
  active?: Nullable<boolean>;
  currency?: Nullable<string>;
  lookup_keys?: string[];
  product?: Nullable<string>;
  type?: Nullable<'one_time' | 'recurring'>;
  recurring?: Nullable<{ interval?: Nullable<Interval> }>;
}

// ---- coupons ----
export const COUPON_CREATE: Schema = {
  amount_off: 'integer', applies_to: 'any', currency: 'string', currency_options: 'any', duration: { enum: ['forever', 'once', 'repeating'] }, duration_in_months: 'integer',
  expand: 'expand', id: 'string', max_redemptions: 'integer', metadata: METADATA, name: 'string', percent_off: 'any', redeem_by: 'integer',
};
export interface CouponCreateParams {
  amount_off?: Nullable<number>;
  currency?: Nullable<string>;
  duration?: Nullable<CouponDuration>;
  duration_in_months?: Nullable<number>;
  id?: Nullable<string>;
  max_redemptions?: Nullable<number>;
  metadata?: Nullable<Record<string, string>>;
  name?: Nullable<string>;
  /** A decimal (12.5 is allowed), validated by the engine. */
  percent_off?: unknown;
  redeem_by?: Nullable<number>;
  expand?: string[];
}

// ---- checkout ----
const LINE_ITEM: Schema = {
  adjustable_quantity: 'any', metadata: METADATA, price: 'string', quantity: 'integer', tax_rates: 'any', dynamic_tax_rates: 'any',
  price_data: {
    object: {
      currency: 'string', product: 'string', product_data: { object: { name: 'string', description: 'string', images: { array: 'string' }, metadata: METADATA, tax_code: 'any', tax_details: 'any', unit_label: 'any' } },
      recurring: { object: { interval: { enum: INTERVALS }, interval_count: 'integer' } }, tax_behavior: 'any', unit_amount: 'integer', unit_amount_decimal: 'string',
    },
  },
};
export interface CheckoutLineItemParams {
  metadata?: Nullable<Record<string, string>>;
  price?: Nullable<string>;
  quantity?: Nullable<number>;
  price_data?: Nullable<{
    currency?: Nullable<string>;
    product?: Nullable<string>;
    product_data?: Nullable<{ name?: Nullable<string>; description?: Nullable<string>; images?: string[]; metadata?: Nullable<Record<string, string>> }>;
    recurring?: Nullable<{ interval?: Nullable<Interval>; interval_count?: Nullable<number> }>;
    unit_amount?: Nullable<number>;
    unit_amount_decimal?: Nullable<string>;
  }>;
}
export const CHECKOUT_CREATE: Schema = {
  adaptive_pricing: 'any', after_expiration: 'any', allow_promotion_codes: 'boolean', allowed_payment_method_types: 'any', automatic_tax: 'any',
  billing_address_collection: 'any', branding_settings: 'any', cancel_url: 'string', client_reference_id: 'string', consent_collection: 'any', currency: 'string',
  custom_fields: 'any', custom_text: 'any', customer: 'string', customer_account: 'any', customer_creation: { enum: ['always', 'if_required'] }, customer_email: 'string',
  customer_update: 'any', discounts: { array: { object: { coupon: 'string', promotion_code: 'string' } } }, excluded_payment_method_types: 'any', expand: 'expand',
  expires_at: 'integer', integration_identifier: 'any', invoice_creation: 'any', line_items: { array: { object: LINE_ITEM } }, locale: 'string', managed_payments: 'any',
  metadata: METADATA, mode: { enum: ['payment', 'setup', 'subscription'] }, name_collection: 'any', optional_items: 'any', origin_context: 'any',
  payment_intent_data: {
    object: {
      application_fee_amount: 'any', capture_method: 'any', description: 'string', metadata: METADATA, on_behalf_of: 'any', receipt_email: 'string', setup_future_usage: 'any',
      shipping: 'any', statement_descriptor: 'any', statement_descriptor_suffix: 'any', transfer_data: 'any', transfer_group: 'any',
    },
  },
  payment_method_collection: { enum: ['always', 'if_required'] }, payment_method_configuration: 'any', payment_method_data: 'any', payment_method_options: 'any',
  payment_method_types: { array: 'string' }, permissions: 'any', phone_number_collection: 'any', redirect_on_completion: 'any', return_url: 'string',
  saved_payment_method_options: 'any', setup_intent_data: 'any', shipping_address_collection: 'any', shipping_options: 'any', submit_type: 'any',
  subscription_data: {
    object: {
      application_fee_percent: 'any', billing_cycle_anchor: 'any', billing_cycle_anchor_config: 'any', billing_mode: 'any', default_tax_rates: 'any', description: 'string',
      invoice_settings: 'any', metadata: METADATA, on_behalf_of: 'any', pending_invoice_item_interval: 'any', proration_behavior: 'any', transfer_data: 'any',
      trial_end: 'integer', trial_period_days: 'integer', trial_settings: 'any',
    },
  },
  success_url: 'string', tax_id_collection: 'any', ui_mode: { enum: ['hosted', 'embedded', 'custom'] }, wallet_options: 'any',
};
export interface CheckoutCreateParams {
  allow_promotion_codes?: Nullable<boolean>;
  cancel_url?: Nullable<string>;
  client_reference_id?: Nullable<string>;
  currency?: Nullable<string>;
  customer?: Nullable<string>;
  customer_creation?: Nullable<'always' | 'if_required'>;
  customer_email?: Nullable<string>;
  discounts?: { coupon?: Nullable<string>; promotion_code?: Nullable<string> }[];
  expires_at?: Nullable<number>;
  line_items?: CheckoutLineItemParams[];
  locale?: Nullable<string>;
  metadata?: Nullable<Record<string, string>>;
  mode?: Nullable<'payment' | 'setup' | 'subscription'>;
  payment_intent_data?: Nullable<{ description?: Nullable<string>; metadata?: Nullable<Record<string, string>>; receipt_email?: Nullable<string> }>;
  payment_method_collection?: Nullable<'always' | 'if_required'>;
  payment_method_types?: string[];
  return_url?: Nullable<string>;
  subscription_data?: Nullable<{ description?: Nullable<string>; metadata?: Nullable<Record<string, string>>; trial_end?: Nullable<number>; trial_period_days?: Nullable<number> }>;
  success_url?: Nullable<string>;
  ui_mode?: Nullable<'hosted' | 'embedded' | 'custom'>;
  expand?: string[];
}
export const CHECKOUT_LIST: Schema = {
  ...LIST, customer: 'string', customer_account: 'any', customer_details: 'any', payment_intent: 'string', payment_link: 'any', status: { enum: ['complete', 'expired', 'open'] }, subscription: 'string',
};
export interface CheckoutListParams extends ListParams {
  customer?: Nullable<string>;
  payment_intent?: Nullable<string>;
  status?: Nullable<'complete' | 'expired' | 'open'>;
  subscription?: Nullable<string>;
}

// ---- subscriptions ----
const SUBSCRIPTION_ITEM_UPDATE: Schema = {
  billing_thresholds: 'any', clear_usage: 'any', deleted: 'boolean', discounts: 'any', id: 'string', metadata: METADATA, plan: 'string', price: 'string', price_data: 'any',
  quantity: 'integer', tax_rates: 'any',
};
export interface SubscriptionItemUpdateParams {
  deleted?: Nullable<boolean>;
  id?: Nullable<string>;
  metadata?: Nullable<Record<string, string>>;
  plan?: Nullable<string>;
  price?: Nullable<string>;
  quantity?: Nullable<number>;
}
export const PRORATION_BEHAVIORS = ['always_invoice', 'create_prorations', 'none'] as const;
export type ProrationBehavior = (typeof PRORATION_BEHAVIORS)[number];
export const SUBSCRIPTION_UPDATE: Schema = {
  add_invoice_items: 'any', application_fee_percent: 'any', automatic_tax: 'any', billing_cycle_anchor: 'any', billing_schedules: 'any', billing_thresholds: 'any',
  cancel_at: 'timestamp', cancel_at_period_end: 'boolean', cancellation_details: { object: { comment: 'string', feedback: 'string' } }, collection_method: 'any',
  days_until_due: 'any', default_payment_method: 'string', default_source: 'any', default_tax_rates: 'any', description: 'string',
  discounts: { array: { object: { coupon: 'string', discount: 'string', promotion_code: 'string' } } }, expand: 'expand', invoice_settings: 'any',
  items: { array: { object: SUBSCRIPTION_ITEM_UPDATE } }, metadata: METADATA, off_session: 'any', on_behalf_of: 'any', pause_collection: 'any',
  payment_behavior: { enum: ['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete'] }, payment_settings: 'any',
  pending_invoice_item_interval: 'any', proration_behavior: { enum: PRORATION_BEHAVIORS }, proration_date: 'integer', transfer_data: 'any', trial_end: 'timestamp',
  trial_from_plan: 'any', trial_settings: 'any',
};
export interface SubscriptionUpdateParams {
  cancel_at?: Nullable<number | 'now'>;
  cancel_at_period_end?: Nullable<boolean>;
  cancellation_details?: Nullable<{ comment?: Nullable<string>; feedback?: Nullable<string> }>;
  default_payment_method?: Nullable<string>;
  description?: Nullable<string>;
  discounts?: { coupon?: Nullable<string>; discount?: Nullable<string>; promotion_code?: Nullable<string> }[];
  items?: SubscriptionItemUpdateParams[];
  metadata?: Nullable<Record<string, string>>;
  payment_behavior?: Nullable<string>;
  proration_behavior?: Nullable<ProrationBehavior>;
  proration_date?: Nullable<number>;
  trial_end?: Nullable<number | 'now'>;
  expand?: string[];
}
export const SUBSCRIPTION_CANCEL: Schema = {
  cancellation_details: { object: { comment: 'string', feedback: 'string' } }, expand: 'expand', invoice_now: 'boolean', prorate: 'boolean',
};
export interface SubscriptionCancelParams {
  cancellation_details?: Nullable<{ comment?: Nullable<string>; feedback?: Nullable<string> }>;
  invoice_now?: Nullable<boolean>;
  prorate?: Nullable<boolean>;
  expand?: string[];
}
export const SUBSCRIPTION_LIST: Schema = {
  ...LIST, automatic_tax: 'any', collection_method: 'any', current_period_end: 'any', current_period_start: 'any', customer: 'string', customer_account: 'any', plan: 'string',
  price: 'string', status: { enum: ['active', 'all', 'canceled', 'ended', 'incomplete', 'incomplete_expired', 'past_due', 'paused', 'trialing', 'unpaid'] }, test_clock: 'any',
};
export interface SubscriptionListParams extends ListParams {
  customer?: Nullable<string>;
  plan?: Nullable<string>;
  price?: Nullable<string>;
  status?: Nullable<string>;
}
export const SUBSCRIPTION_ITEM_LIST: Schema = { ...LIST, subscription: 'string' };
export interface SubscriptionItemListParams extends ListParams {
  subscription?: Nullable<string>;
}

// ---- invoices and payments ----
export const INVOICE_LIST: Schema = {
  ...LIST, collection_method: 'any', customer: 'string', customer_account: 'any', due_date: 'any', status: { enum: ['draft', 'open', 'paid', 'uncollectible', 'void'] }, subscription: 'string',
};
export interface InvoiceListParams extends ListParams {
  customer?: Nullable<string>;
  status?: Nullable<string>;
  subscription?: Nullable<string>;
}
export const INVOICE_PAY: Schema = { expand: 'expand', forgive: 'any', mandate: 'any', off_session: 'any', paid_out_of_band: 'boolean', payment_method: 'string', source: 'any' };
export interface InvoicePayParams {
  paid_out_of_band?: Nullable<boolean>;
  payment_method?: Nullable<string>;
  expand?: string[];
}
export const INVOICE_PAYMENT_LIST: Schema = { ...LIST, invoice: 'string', payment: 'any', status: { enum: ['canceled', 'open', 'paid'] } };
export interface InvoicePaymentListParams extends ListParams {
  invoice?: Nullable<string>;
  status?: Nullable<string>;
}
export const INVOICE_ITEM_LIST: Schema = { ...LIST, customer: 'string', customer_account: 'any', invoice: 'string', pending: 'boolean' };
export interface InvoiceItemListParams extends ListParams {
  customer?: Nullable<string>;
  invoice?: Nullable<string>;
  pending?: Nullable<boolean>;
}
export const PAYMENT_INTENT_LIST: Schema = { ...LIST, customer: 'string', customer_account: 'any' };
export const CHARGE_LIST: Schema = { ...LIST, customer: 'string', payment_intent: 'string', transfer_group: 'any' };
export interface ChargeListParams extends ListParams {
  customer?: Nullable<string>;
  payment_intent?: Nullable<string>;
}
export const REFUND_CREATE: Schema = {
  amount: 'integer', charge: 'string', currency: 'any', customer: 'any', expand: 'expand', instructions_email: 'any', metadata: METADATA, origin: 'any',
  payment_intent: 'string', reason: { enum: ['duplicate', 'fraudulent', 'requested_by_customer'] }, refund_application_fee: 'any', reverse_transfer: 'any',
};
export interface RefundCreateParams {
  amount?: Nullable<number>;
  charge?: Nullable<string>;
  metadata?: Nullable<Record<string, string>>;
  payment_intent?: Nullable<string>;
  reason?: Nullable<'duplicate' | 'fraudulent' | 'requested_by_customer'>;
  expand?: string[];
}
export const REFUND_LIST: Schema = { ...LIST, charge: 'string', payment_intent: 'string' };

// ---- billing portal ----
export const PORTAL_CREATE: Schema = {
  configuration: 'string', customer: 'string', customer_account: 'any', expand: 'expand', flow_data: 'any', locale: 'string', on_behalf_of: 'any', return_url: 'string',
};
export interface PortalCreateParams {
  configuration?: Nullable<string>;
  customer?: Nullable<string>;
  locale?: Nullable<string>;
  return_url?: Nullable<string>;
  expand?: string[];
}

// ---- events ----
export const EVENT_LIST: Schema = { ...LIST, delivery_success: 'boolean', type: 'string', types: { array: 'string' } };
export interface EventListParams extends ListParams {
  type?: Nullable<string>;
  types?: string[];
}

export const RETRIEVE: Schema = { expand: 'expand' };
export interface RetrieveParams {
  expand?: string[];
}
