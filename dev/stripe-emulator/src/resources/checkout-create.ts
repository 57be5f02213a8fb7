/**
 * checkout.sessions.create: every param checked as Stripe checks it before anything is created
 * (inline prices are objects of their own), then the open session, with what is due today and
 * the coupon previewed (coupons are redeemed only when the session completes).
 */
import { invalidRequest, missingParam } from '../errors.js';
import { stripeId, type CheckoutSessionJson, type CustomerJson, type LineItemJson, type PriceJson } from '../model.js';
import type { CheckoutCreateParams, CheckoutLineItemParams, PriceCreateParams, RecurringParams } from '../schemas.js';
import type { Billing } from '../core/context.js';
import type { SessionExtra } from '../core/db.js';
import { DAY, mergeMetadata, validCurrency, validUrl } from '../core/support.js';
import { chargeLine } from './draft-lines.js';

/** A line item once checked: an existing price, or the data of an inline one still to create. */
interface PlannedLine {
  price: PriceJson | null;
  priceData: PriceCreateParams | null;
  currency: string;
  recurring: RecurringParams | null;
  quantity: number;
}

function checkModeParams(p: CheckoutCreateParams): void {
  const mode = p.mode;
  if (!mode) throw missingParam('mode');
  if (mode === 'setup') throw invalidRequest('The emulator supports checkout in payment and subscription mode only.', 'mode');
  if (p.ui_mode && p.ui_mode !== 'hosted') throw invalidRequest('The emulator supports ui_mode=hosted only.', 'ui_mode');
  if (p.customer && p.customer_email) throw invalidRequest('You may only specify one of these parameters: customer, customer_email.', 'customer_email');
}

function checkOtherParams(p: CheckoutCreateParams): void {
  const mode = p.mode;
  if (mode === 'subscription' && p.customer_creation) throw invalidRequest('`customer_creation` can only be used in `payment` mode.', 'customer_creation');
  if (mode === 'payment' && p.subscription_data) throw invalidRequest('You can not pass `subscription_data` in `payment` mode.', 'subscription_data');
  if (mode === 'subscription' && p.payment_intent_data) throw invalidRequest('You can not pass `payment_intent_data` in `subscription` mode.', 'payment_intent_data');
  if (p.allow_promotion_codes && p.discounts?.length) throw invalidRequest('You may only specify one of these parameters: allow_promotion_codes, discounts.', 'discounts');
  if (p.client_reference_id && p.client_reference_id.length > 200) throw invalidRequest('client_reference_id must be at most 200 characters.', 'client_reference_id');
}

function planLine(b: Billing, li: CheckoutLineItemParams, i: number): PlannedLine {
  const at = (k: string): string => `line_items[${i}][${k}]`;
  if (li.quantity == null) throw missingParam(at('quantity'));
  if (li.quantity < 1) throw invalidRequest('This value must be greater than or equal to 1.', at('quantity'));
  if (li.price && li.price_data) throw invalidRequest('You may only specify one of these parameters: price, price_data.', at('price_data'));
  if (li.price) {
    const price = b.db.prices.get(li.price, at('price'));
    if (!price.active) throw invalidRequest('The price specified is inactive. This field only accepts active prices.', at('price'));
    return { price, priceData: null, currency: price.currency, recurring: price.recurring, quantity: li.quantity };
  }
  const pd = li.price_data;
  if (!pd) throw invalidRequest('You must specify either `price` or `price_data` for each line item.', at('price'));
  const currency = validCurrency(pd.currency, `${at('price_data')}[currency]`);
  if (pd.unit_amount == null && pd.unit_amount_decimal == null) throw missingParam(`${at('price_data')}[unit_amount]`);
  if (pd.product && pd.product_data) throw invalidRequest('You may only specify one of these parameters: product, product_data.', `${at('price_data')}[product_data]`);
  if (pd.product) b.db.products.get(pd.product, `${at('price_data')}[product]`);
  else if (!pd.product_data?.name) throw missingParam(`${at('price_data')}[product_data][name]`);
  const priceData: PriceCreateParams = {
    currency,
    unit_amount: pd.unit_amount,
    unit_amount_decimal: pd.unit_amount_decimal,
    product: pd.product,
    product_data: pd.product_data ? { name: pd.product_data.name, description: pd.product_data.description, images: pd.product_data.images, metadata: pd.product_data.metadata } : null,
    recurring: pd.recurring,
  };
  return { price: null, priceData, currency, recurring: pd.recurring ?? null, quantity: li.quantity };
}

/** All lines in one currency, one-time only in payment mode, one billing interval in subscription mode. */
function checkLines(p: CheckoutCreateParams, planned: PlannedLine[]): string {
  const currency = planned[0].currency;
  planned.forEach((x, i) => {
    if (x.currency !== currency) throw invalidRequest('All line items must use the same currency.', `line_items[${i}][price]`);
    if (p.currency && p.currency.toLowerCase() !== currency) throw invalidRequest('The currency must match the currency of the line items.', 'currency');
    if (p.mode === 'payment' && x.recurring)
      throw invalidRequest('You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.', `line_items[${i}][price]`);
  });
  const recurring = planned.filter((x) => x.recurring);
  if (p.mode === 'subscription' && recurring.length === 0) throw invalidRequest('You must provide at least one recurring price in `subscription` mode when using prices.', 'line_items');
  const first = recurring[0]?.recurring;
  if (first && recurring.some((x) => x.recurring!.interval !== first.interval || x.recurring!.interval_count !== first.interval_count))
    throw invalidRequest('Checkout does not support multiple prices with different billing intervals.', 'line_items');
  return currency;
}

/** Whether the subscription starts with a trial (after checking the trial params). */
function checkTrial(p: CheckoutCreateParams, now: number): boolean {
  const sd = p.subscription_data ?? null;
  if (sd?.trial_period_days != null && sd.trial_end != null) throw invalidRequest('You may only specify one of these parameters: trial_end, trial_period_days.', 'subscription_data[trial_end]');
  if (sd?.trial_period_days != null && (sd.trial_period_days < 1 || sd.trial_period_days > 730))
    throw invalidRequest('The trial period must be between 1 and 730 days.', 'subscription_data[trial_period_days]');
  if (sd?.trial_end != null && sd.trial_end < now + 2 * DAY) throw invalidRequest('`trial_end` must be at least 48 hours in the future.', 'subscription_data[trial_end]');
  return sd?.trial_period_days != null || sd?.trial_end != null;
}

function checkCoupons(b: Billing, p: CheckoutCreateParams, currency: string): string[] {
  const discounts = p.discounts ?? [];
  if (discounts.length > 1) throw invalidRequest('You may only specify one discount per Checkout Session.', 'discounts');
  return discounts.map((d, i) => {
    if (d.promotion_code) throw invalidRequest('The emulator does not support promotion codes; pass a coupon.', `discounts[${i}][promotion_code]`);
    if (!d.coupon) throw missingParam(`discounts[${i}][coupon]`);
    return b.coupons.usable(d.coupon, currency, `discounts[${i}][coupon]`).id;
  });
}

function expiryOf(p: CheckoutCreateParams, now: number): number {
  if (p.expires_at == null) return now + DAY;
  if (p.expires_at < now + 30 * 60) throw invalidRequest('The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.', 'expires_at');
  if (p.expires_at > now + DAY) throw invalidRequest('The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.', 'expires_at');
  return p.expires_at;
}

/** Opens a session; the caller renders it. */
export function openCheckoutSession(b: Billing, p: CheckoutCreateParams, publicUrl: string): CheckoutSessionJson {
  const now = b.now();
  checkModeParams(p);
  const customer = p.customer ? b.db.customers.get(p.customer, 'customer') : null;
  checkOtherParams(p);
  const successUrl = validUrl(p.success_url, 'success_url');
  const cancelUrl = validUrl(p.cancel_url, 'cancel_url');
  if (p.return_url) throw invalidRequest('`return_url` can only be used with ui_mode embedded or custom.', 'return_url');
  const items = p.line_items ?? [];
  if (items.length === 0) throw missingParam('line_items');
  if (items.length > 100) throw invalidRequest('You may pass at most 100 line items.', 'line_items');
  const planned = items.map((li, i) => planLine(b, li, i));
  const currency = checkLines(p, planned);
  const trial = checkTrial(p, now);
  const coupons = checkCoupons(b, p, currency);
  const expiresAt = expiryOf(p, now);

  const id = stripeId('cs_test', 58);
  const lines: LineItemJson[] = planned.map((x, i) => {
    const price = x.price ?? b.prices.add(x.priceData!, `line_items[${i}][price_data]`, false);
    const product = b.db.products.find(price.product);
    const amount = price.unit_amount * x.quantity;
    return {
      id: stripeId('li', 24),
      object: 'item',
      adjustable_quantity: null,
      amount_discount: 0,
      amount_subtotal: amount,
      amount_tax: 0,
      amount_total: amount,
      currency,
      description: product?.name ?? '',
      metadata: mergeMetadata({}, items[i].metadata),
      price: structuredClone(price),
      quantity: x.quantity,
    };
  });
  // What is due today: with a trial, the recurring lines cost nothing until it ends.
  const drafts = lines.map((l) => chargeLine(l.price, l.quantity, trial && l.price.recurring ? 0 : l.amount_subtotal, l.description, now));
  const subtotal = drafts.reduce((a, d) => a + d.amount, 0);
  const preview = b.coupons.preview(drafts, coupons);
  lines.forEach((l, i) => {
    l.amount_discount = preview.perLine[i];
    l.amount_total = l.amount_subtotal - l.amount_discount;
  });
  const s = sessionJson(p, { id, now, currency, customer, coupons, expiresAt, successUrl, cancelUrl, url: `${publicUrl}/checkout/${id}` });
  s.amount_subtotal = subtotal;
  s.amount_total = subtotal - preview.total;
  s.total_details.amount_discount = preview.total;
  b.db.sessions.add(s);
  const sd = p.subscription_data ?? null;
  const extra: SessionExtra = {
    lines,
    trialEnd: sd?.trial_end ?? null,
    trialDays: sd?.trial_period_days ?? null,
    subscriptionMetadata: mergeMetadata({}, sd?.metadata),
    subscriptionDescription: sd?.description ?? null,
    paymentIntentMetadata: mergeMetadata({}, p.payment_intent_data?.metadata),
    paymentIntentDescription: p.payment_intent_data?.description ?? null,
    coupons,
    paymentIntent: null,
  };
  b.db.sessionExtras.set(id, extra);
  return s;
}

interface SessionFacts {
  id: string;
  now: number;
  currency: string;
  customer: CustomerJson | null;
  coupons: string[];
  expiresAt: number;
  successUrl: string | null;
  cancelUrl: string | null;
  url: string;
}

/** The open session's wire shape; amounts are filled in by the caller. */
function sessionJson(p: CheckoutCreateParams, f: SessionFacts): CheckoutSessionJson {
  const mode = p.mode as 'payment' | 'subscription';
  const { customer } = f;
  return {
    id: f.id,
    object: 'checkout.session',
    adaptive_pricing: null,
    after_expiration: null,
    allow_promotion_codes: p.allow_promotion_codes ?? null,
    amount_subtotal: 0,
    amount_total: 0,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: f.cancelUrl,
    client_reference_id: p.client_reference_id ?? null,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: f.now,
    currency: f.currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: customer?.id ?? null,
    customer_account: null,
    customer_creation: mode === 'payment' ? (p.customer_creation ?? 'if_required') : null,
    customer_details: customer ? { address: null, business_name: null, email: customer.email, individual_name: null, name: customer.name, phone: null, tax_exempt: 'none', tax_ids: [] } : null,
    customer_email: p.customer_email ?? null,
    discounts: f.coupons.map((c) => ({ coupon: c, promotion_code: null })),
    expires_at: f.expiresAt,
    invoice: null,
    invoice_creation: null,
    livemode: false,
    locale: p.locale ?? null,
    metadata: mergeMetadata({}, p.metadata),
    mode,
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: mode === 'subscription' ? (p.payment_method_collection ?? 'always') : null,
    payment_method_configuration_details: null,
    payment_method_options: {},
    payment_method_types: p.payment_method_types?.length ? p.payment_method_types : ['card'],
    payment_status: 'unpaid',
    permissions: null,
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'open',
    submit_type: null,
    subscription: null,
    success_url: f.successUrl,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted',
    url: f.url,
    wallet_options: null,
  };
}
