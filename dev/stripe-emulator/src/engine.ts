/**
 * The emulator's state and the billing lifecycle Stripe runs:
 *
 *   checkout session open --pay--> complete (+ subscription, first invoice paid, or a paid payment intent)
 *                        \--decline--> open (payment_intent.payment_failed)   \--expiry--> expired
 *   subscription trialing/active --period end--> renewal invoice --paid--> active (new period)
 *                                                              \--failed--> past_due --retries--> active | canceled
 *   cancel_at_period_end --period end--> canceled
 *
 * Time is an emulator clock (wall clock + an offset that advanceClock() moves, as Stripe test
 * clocks do); everything that falls due in the skipped span runs in time order, each step
 * stamped with its own time. Every change is announced with the event Stripe sends for it, as a
 * snapshot of the object at that moment; one operation's events are delivered in a fixed order.
 * State lives in memory and, with a data dir, in one JSON file rewritten atomically shortly
 * after each change (writes are coalesced) and on close.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalidRequest, missingParam, noSuch, StripeApiError } from './errors.js';
import {
  formatAmount,
  randomText,
  stripeId,
  type ChargeJson,
  type CheckoutSessionJson,
  type CouponJson,
  type CustomerJson,
  type DeletedJson,
  type DiscountJson,
  type InvoiceBillingReason,
  type InvoiceItemJson,
  type InvoiceJson,
  type InvoiceLineItemJson,
  type InvoicePaymentJson,
  type Interval,
  type LineItemJson,
  type ListJson,
  type Metadata,
  type PaymentIntentJson,
  type PaymentMethodJson,
  type PlanJson,
  type PortalSessionJson,
  type PriceJson,
  type ProductJson,
  type RecurringJson,
  type RefundJson,
  type SearchResultJson,
  type StripeEventJson,
  type SubscriptionItemJson,
  type SubscriptionJson,
} from './model.js';
import type { RangeFilter } from './params.js';
import type {
  ChargeListParams,
  CheckoutCreateParams,
  CheckoutLineItemParams,
  CheckoutListParams,
  CouponCreateParams,
  CustomerListParams,
  CustomerParams,
  EventListParams,
  InvoiceItemListParams,
  InvoiceListParams,
  InvoicePaymentListParams,
  InvoicePayParams,
  ListParams,
  PortalCreateParams,
  PriceCreateParams,
  PriceListParams,
  PriceUpdateParams,
  ProductCreateParams,
  ProductDataParams,
  ProductListParams,
  ProductUpdateParams,
  RecurringParams,
  RefundCreateParams,
  SearchParams,
  SubscriptionCancelParams,
  SubscriptionItemListParams,
  SubscriptionListParams,
  SubscriptionUpdateParams,
} from './schemas.js';
import type { Logger } from './types.js';
import { WebhookDispatcher, type SignatureMode, type WebhookDelivery, type WebhookRetryPolicy } from './webhooks.js';

const DAY = 86_400;

/** Stripe's retry settings for failed subscription payments ("smart retries", simplified). */
export interface DunningPolicy {
  /** Days after each failed attempt before the next one; its length is the number of retries. */
  retryDays: number[];
  /** What happens to the subscription when the last retry fails. */
  whenExhausted: 'cancel' | 'unpaid';
}

export const DEFAULT_DUNNING: DunningPolicy = { retryDays: [3, 5, 7], whenExhausted: 'cancel' };

export interface EngineOptions {
  webhookSecret: string;
  webhookUrl?: string;
  /** Base of hosted page URLs (checkout, portal, invoices). */
  publicUrl: string;
  apiVersion: string;
  dataDir: string | null;
  retry: WebhookRetryPolicy;
  dunning: DunningPolicy;
  logger: Logger;
}

/** The API request an operation runs for; events it causes carry it as `request`. */
export interface RequestContext {
  id: string;
  idempotencyKey: string | null;
}

export interface IdempotencyEntry {
  method: string;
  path: string;
  /** canonical() of the params, to tell a retry from a different request under the same key. */
  params: string;
  status: number;
  body: string;
  requestId: string;
  /** Wall-clock ms: keys expire after 24 hours, as Stripe's do. */
  at: number;
}

/** What a checkout session holds beyond its wire shape. */
interface SessionExtra {
  lines: LineItemJson[];
  trialEnd: number | null;
  trialDays: number | null;
  subscriptionMetadata: Metadata;
  subscriptionDescription: string | null;
  paymentIntentMetadata: Metadata;
  paymentIntentDescription: string | null;
  coupons: string[];
  /** The payment intent a decline left behind; paying later reuses it (payment mode). */
  paymentIntent: string | null;
}

interface SubscriptionExtra {
  trialWillEndSent: boolean;
}

interface InvoiceExtra {
  paymentIntent: string | null;
}

interface PersistedState {
  version: 1;
  clockOffset: number;
  customers: CustomerJson[];
  products: ProductJson[];
  prices: PriceJson[];
  coupons: CouponJson[];
  discounts: DiscountJson[];
  sessions: CheckoutSessionJson[];
  sessionExtras: [string, SessionExtra][];
  subscriptions: SubscriptionJson[];
  subscriptionExtras: [string, SubscriptionExtra][];
  invoices: InvoiceJson[];
  invoiceExtras: [string, InvoiceExtra][];
  invoiceItems: InvoiceItemJson[];
  invoicePayments: InvoicePaymentJson[];
  paymentIntents: PaymentIntentJson[];
  paymentMethods: PaymentMethodJson[];
  charges: ChargeJson[];
  refunds: RefundJson[];
  portalSessions: PortalSessionJson[];
  events: StripeEventJson[];
  failures: [string, number][];
  idempotency: [string, IdempotencyEntry][];
  holding: boolean;
  deliveries: WebhookDelivery[];
}

/** A line on its way onto an invoice. */
interface DraftLine {
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

const MAX_EVENTS = 10_000;
const SAVE_DELAY_MS = 200;
const MAX_IDEMPOTENCY = 5_000;
const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
const PORTAL_CONFIGURATION = 'bpc_emulatordefault0000000';
const ACCOUNT_NAME = 'Flix (stripe-emulator)';

/** Events moved to the front of a completed checkout's batch, in this order (Stripe's documented flow). */
export const CHECKOUT_ORDER = ['customer.created', 'checkout.session.completed', 'customer.subscription.created'];

export function addInterval(ts: number, interval: Interval, count: number): number {
  if (interval === 'day') return ts + count * DAY;
  if (interval === 'week') return ts + count * 7 * DAY;
  const months = interval === 'year' ? 12 * count : count;
  const d = new Date(ts * 1000);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  // Jan 31 + 1 month is the last day of February, as Stripe anchors billing dates.
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return Date.UTC(y, m, Math.min(d.getUTCDate(), lastDay), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()) / 1000;
}

/** Top-level keys whose value changed, with their old values: an event's `previous_attributes`. */
function previousAttributes(before: object, after: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  for (const k of Object.keys(b)) if (JSON.stringify(b[k]) !== JSON.stringify(a[k])) out[k] = b[k];
  return out;
}

function mergeMetadata(current: Metadata, update: Record<string, string> | null | undefined): Metadata {
  if (update === undefined) return current;
  if (update === null) return {};
  const out = { ...current };
  // An empty value unsets the key, as in Stripe.
  for (const [k, v] of Object.entries(update)) if (v === '') delete out[k];
  else out[k] = v;
  return out;
}

function inRange(value: number, filter: number | RangeFilter | null | undefined): boolean {
  if (filter === undefined || filter === null) return true;
  if (typeof filter === 'number') return value === filter;
  return (
    (filter.gt === undefined || value > filter.gt) &&
    (filter.gte === undefined || value >= filter.gte) &&
    (filter.lt === undefined || value < filter.lt) &&
    (filter.lte === undefined || value <= filter.lte)
  );
}

function validCurrency(c: string | null | undefined, param: string): string {
  if (!c) throw missingParam(param);
  if (!/^[a-zA-Z]{3}$/.test(c)) throw invalidRequest(`Invalid currency: ${c}. Stripe currently supports these currencies: usd, eur, gbp, …`, param);
  return c.toLowerCase();
}

function validUrl(u: string | null | undefined, param: string): string | null {
  if (!u) return null;
  try {
    new URL(u.replace('{CHECKOUT_SESSION_ID}', 'x'));
    return u;
  } catch {
    throw invalidRequest('Not a valid URL', param, 'url_invalid');
  }
}

const cardDetails = (last4: string) => ({
  brand: 'visa' as const,
  checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' as const },
  country: 'US' as const,
  exp_month: 12,
  exp_year: new Date().getUTCFullYear() + 3,
  fingerprint: createHash('sha256').update(last4).digest('base64url').slice(0, 16),
  funding: 'credit' as const,
  last4,
});

export class StripeEngine {
  readonly customers = new Map<string, CustomerJson>();
  readonly products = new Map<string, ProductJson>();
  readonly prices = new Map<string, PriceJson>();
  readonly coupons = new Map<string, CouponJson>();
  readonly discounts = new Map<string, DiscountJson>();
  readonly sessions = new Map<string, CheckoutSessionJson>();
  readonly subscriptions = new Map<string, SubscriptionJson>();
  readonly invoices = new Map<string, InvoiceJson>();
  readonly invoiceItems = new Map<string, InvoiceItemJson>();
  readonly invoicePayments = new Map<string, InvoicePaymentJson>();
  readonly paymentIntents = new Map<string, PaymentIntentJson>();
  readonly paymentMethods = new Map<string, PaymentMethodJson>();
  readonly charges = new Map<string, ChargeJson>();
  readonly refunds = new Map<string, RefundJson>();
  readonly portalSessions = new Map<string, PortalSessionJson>();
  readonly events = new Map<string, StripeEventJson>();
  readonly idempotency = new Map<string, IdempotencyEntry>();
  readonly dispatcher: WebhookDispatcher;

  private readonly sessionExtras = new Map<string, SessionExtra>();
  private readonly subscriptionExtras = new Map<string, SubscriptionExtra>();
  private readonly invoiceExtras = new Map<string, InvoiceExtra>();
  /** failNextPayments(): how many more payment attempts fail, per customer or subscription id. */
  private readonly failures = new Map<string, number>();
  private webhookUrl: string | undefined;
  private clockOffset = 0;
  /** While due work runs, "now" is the moment it fell due. */
  private pinned: number | null = null;
  private request: RequestContext | null = null;
  private outbox: StripeEventJson[] = [];
  private readonly file: string | null;
  private readonly ticker: NodeJS.Timeout;
  private saveTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly opts: EngineOptions) {
    this.webhookUrl = opts.webhookUrl;
    this.file = opts.dataDir ? join(opts.dataDir, 'stripe-emulator.json') : null;
    this.dispatcher = new WebhookDispatcher({
      secret: opts.webhookSecret,
      url: () => this.webhookUrl,
      retry: opts.retry,
      logger: opts.logger,
      changed: () => this.persist(),
    });
    this.load();
    // Wall-clock time passes too (session expiry in a long-running dev stack); advanceClock() covers the rest.
    this.ticker = setInterval(() => this.tick(), 1_000);
    this.ticker.unref();
  }

  // ---- clock, requests, events ----

  /** Emulator time, unix seconds. */
  now(): number {
    return this.pinned ?? Math.floor(Date.now() / 1000) + this.clockOffset;
  }

  /** Moves the clock and runs, in time order, everything that fell due in between. */
  advanceClock(seconds: number): number {
    if (!Number.isInteger(seconds) || seconds < 0) throw invalidRequest('seconds must be a non-negative integer', 'seconds');
    const target = this.now() + seconds;
    this.clockOffset += seconds;
    this.runDue(target);
    this.persist();
    return this.now();
  }

  /** Runs work that fell due by wall-clock time; called before every request and every second. */
  tick(): void {
    if (this.closed) return;
    this.runDue(this.now());
  }

  setWebhookUrl(url: string | undefined): void {
    this.webhookUrl = url;
  }

  /** Runs one operation: its events are recorded and queued for delivery, the state is saved. */
  run<T>(request: RequestContext | null, fn: () => T, order?: readonly string[]): T {
    this.tick();
    this.request = request;
    try {
      return fn();
    } finally {
      this.request = null;
      // Validation throws before anything changes, so whatever was emitted did happen (a card
      // error on invoices.pay still sends invoice.payment_failed).
      this.flush(order);
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.ticker);
    this.dispatcher.close();
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    this.save();
  }

  deliverRaw(event: string | object, signature: SignatureMode = 'valid'): Promise<WebhookDelivery> {
    return this.dispatcher.send(typeof event === 'string' ? event : JSON.stringify(event, null, 2), signature);
  }

  private emit(type: string, object: object, previous?: Record<string, unknown>): void {
    this.outbox.push({
      id: stripeId('evt'),
      object: 'event',
      api_version: this.opts.apiVersion,
      created: this.now(),
      data: { object: this.render(object), ...(previous && Object.keys(previous).length > 0 ? { previous_attributes: previous } : {}) },
      livemode: false,
      pending_webhooks: this.webhookUrl ? 1 : 0,
      request: this.request ? { id: this.request.id, idempotency_key: this.request.idempotencyKey } : { id: null, idempotency_key: null },
      type,
    });
  }

  private flush(order?: readonly string[]): void {
    let batch = this.outbox.splice(0);
    if (order) {
      const rank = (e: StripeEventJson): number => {
        const i = order.indexOf(e.type);
        return i < 0 ? order.length : i;
      };
      batch = batch.map((e, i) => ({ e, i })).sort((a, b) => rank(a.e) - rank(b.e) || a.i - b.i).map((x) => x.e);
    }
    for (const e of batch) {
      this.events.set(e.id, e);
      // Stripe sends pretty-printed JSON: receivers must verify the raw bytes, not a re-serialisation.
      void this.dispatcher.send(JSON.stringify(e, null, 2));
    }
    while (this.events.size > MAX_EVENTS) this.events.delete(this.events.keys().next().value as string);
    this.persist();
  }

  // ---- rendering and expansion ----

  /** The wire form of a stored object: a copy, with embedded prices refreshed. */
  render<T extends object>(obj: T): T {
    const out = structuredClone(obj);
    const o = out as unknown as { object?: string };
    if (o.object === 'subscription') {
      for (const item of (out as unknown as SubscriptionJson).items.data) {
        item.price = structuredClone(this.prices.get(item.price.id) ?? item.price);
        item.plan = planOf(item.price);
      }
    }
    return out;
  }

  private lookup(id: string, key: string): object | undefined {
    if (key === 'coupon' || key.endsWith('.coupon')) return this.coupons.get(id);
    const maps: [string, Map<string, object>][] = [
      ['cus_', this.customers],
      ['sub_', this.subscriptions],
      ['inpay_', this.invoicePayments],
      ['in_', this.invoices],
      ['ii_', this.invoiceItems],
      ['pi_', this.paymentIntents],
      ['pm_', this.paymentMethods],
      ['ch_', this.charges],
      ['re_', this.refunds],
      ['price_', this.prices],
      ['prod_', this.products],
      ['cs_', this.sessions],
      ['di_', this.discounts],
      ['bps_', this.portalSessions],
      ['evt_', this.events],
    ];
    const hit = maps.find(([prefix]) => id.startsWith(prefix));
    const obj = hit?.[1].get(id) ?? (key === 'coupon' ? this.coupons.get(id) : undefined);
    return obj ? this.render(obj) : undefined;
  }

  /** Lists Stripe includes only on request (`expand[]=line_items`). */
  private includable(node: Record<string, unknown>, key: string): ListJson<object> | undefined {
    const id = node.id as string;
    if (node.object === 'checkout.session' && key === 'line_items') return this.sessionLineItems(id, {});
    if (node.object === 'invoice' && key === 'payments') return this.listInvoicePayments({ invoice: id, limit: 100 });
    if (node.object === 'charge' && key === 'refunds') return this.listRefunds({ charge: id, limit: 100 });
    return undefined;
  }

  expand<T extends object>(value: T, paths: readonly string[] | undefined): T {
    if (!paths || paths.length === 0) return value;
    const out = structuredClone(value) as Record<string, unknown>;
    for (const path of paths) this.expandPath(out, path.split('.'), path, 0);
    return out as T;
  }

  private expandPath(node: Record<string, unknown>, segs: string[], full: string, depth: number): void {
    if (segs.length === 0) return;
    if (depth > 4) throw invalidRequest(`You cannot expand more than 4 levels of a property. Property: ${full}`, 'expand');
    const [key, ...rest] = segs;
    if ((node.object === 'list' || node.object === 'search_result') && key === 'data') {
      for (const item of node.data as Record<string, unknown>[]) this.expandPath(item, rest, full, depth);
      return;
    }
    const cannot = (): StripeApiError => invalidRequest(`This property cannot be expanded (${full}).`, 'expand');
    let v = node[key];
    const included = this.includable(node, key);
    if (included) {
      node[key] = included;
      v = included;
    } else if (typeof v === 'string') {
      const obj = this.lookup(v, key);
      if (!obj) throw cannot();
      node[key] = obj;
      v = obj;
    } else if (Array.isArray(v)) {
      const arr = v.map((x: unknown) => (typeof x === 'string' ? (this.lookup(x, key) ?? x) : x));
      node[key] = arr;
      if (rest.length > 0) for (const x of arr) if (x && typeof x === 'object') this.expandPath(x as Record<string, unknown>, rest, full, depth + 1);
      return;
    } else if (v === null) {
      return;
    } else if (typeof v !== 'object' || v === undefined) {
      throw cannot();
    }
    if (rest.length > 0) this.expandPath(v as Record<string, unknown>, rest, full, depth + 1);
  }

  private page<T extends { id: string }>(newestFirst: T[], p: ListParams, url: string, created?: (x: T) => number): ListJson<T> {
    const limit = p.limit ?? 10;
    if (limit < 1 || limit > 100) throw invalidRequest('Invalid limit: must be between 1 and 100', 'limit');
    let all = created && p.created !== undefined ? newestFirst.filter((x) => inRange(created(x), p.created)) : newestFirst;
    let hasMore: boolean;
    let data: T[];
    if (p.ending_before) {
      const i = all.findIndex((x) => x.id === p.ending_before);
      if (i < 0) throw invalidRequest(`No such object: '${p.ending_before}'`, 'ending_before', 'resource_missing');
      data = all.slice(Math.max(0, i - limit), i);
      hasMore = i - limit > 0;
    } else {
      if (p.starting_after) {
        const i = all.findIndex((x) => x.id === p.starting_after);
        if (i < 0) throw invalidRequest(`No such object: '${p.starting_after}'`, 'starting_after', 'resource_missing');
        all = all.slice(i + 1);
      }
      data = all.slice(0, limit);
      hasMore = all.length > limit;
    }
    return { object: 'list', data: data.map((x) => this.render(x)), has_more: hasMore, url };
  }

  // ---- customers ----

  private newCustomer(p: CustomerParams): CustomerJson {
    const c: CustomerJson = {
      id: stripeId('cus', 14),
      object: 'customer',
      address: null,
      balance: p.balance ?? 0,
      created: this.now(),
      currency: null,
      default_source: null,
      delinquent: false,
      description: p.description ?? null,
      discount: null,
      email: p.email ?? null,
      invoice_prefix: p.invoice_prefix ?? randomText(8, '0123456789ABCDEF'),
      invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
      livemode: false,
      metadata: mergeMetadata({}, p.metadata),
      name: p.name ?? null,
      next_invoice_sequence: p.next_invoice_sequence ?? 1,
      phone: p.phone ?? null,
      preferred_locales: p.preferred_locales ?? [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: null,
    };
    this.customers.set(c.id, c);
    this.emit('customer.created', c);
    return c;
  }

  createCustomer(p: CustomerParams): CustomerJson {
    if (p.invoice_prefix != null && !/^[A-Z0-9]{3,12}$/.test(p.invoice_prefix))
      throw invalidRequest('Invalid invoice_prefix: must be 3-12 uppercase letters or numbers', 'invoice_prefix');
    return this.render(this.newCustomer(p));
  }

  customer(id: string, param?: string): CustomerJson {
    const c = this.customers.get(id);
    if (!c) throw noSuch('customer', id, param);
    return c;
  }

  updateCustomer(id: string, p: CustomerParams): CustomerJson {
    const c = this.customer(id);
    const before = this.render(c);
    if (p.email !== undefined) c.email = p.email;
    if (p.name !== undefined) c.name = p.name;
    if (p.description !== undefined) c.description = p.description;
    if (p.phone !== undefined) c.phone = p.phone;
    if (p.balance != null) c.balance = p.balance;
    if (p.preferred_locales !== undefined) c.preferred_locales = p.preferred_locales;
    c.metadata = mergeMetadata(c.metadata, p.metadata);
    const prev = previousAttributes(before, c);
    if (Object.keys(prev).length > 0) this.emit('customer.updated', c, prev);
    return this.render(c);
  }

  deleteCustomer(id: string): DeletedJson {
    const c = this.customer(id);
    // Deleting a customer cancels its subscriptions immediately, as Stripe does.
    for (const s of this.subscriptions.values()) if (s.customer === id && s.status !== 'canceled' && s.status !== 'incomplete_expired') this.endSubscription(s, 'cancellation_requested');
    this.customers.delete(id);
    this.emit('customer.deleted', c);
    return { id, object: 'customer', deleted: true };
  }

  listCustomers(p: CustomerListParams): ListJson<CustomerJson> {
    const all = [...this.customers.values()].reverse().filter((c) => !p.email || c.email === p.email);
    return this.page(all, p, '/v1/customers', (c) => c.created);
  }

  /** Customer search, with the query forms billing needs: `field:'v'`, `metadata['k']:'v'`, joined by AND. */
  searchCustomers(p: SearchParams): SearchResultJson<CustomerJson> {
    if (!p.query) throw missingParam('query');
    const clauses = p.query.split(/\s+AND\s+/i).map((clause) => {
      const m = /^\s*(metadata\[['"]([^'"]+)['"]\]|[a-z_]+)\s*:\s*['"]([^'"]*)['"]\s*$/.exec(clause);
      if (!m) throw invalidRequest(`The query could not be parsed: ${clause} (the emulator supports field:'value' and metadata['key']:'value' joined by AND)`, 'query');
      return { metaKey: m[2] as string | undefined, field: m[1], value: m[3] };
    });
    const hits = [...this.customers.values()].reverse().filter((c) =>
      clauses.every(({ metaKey, field, value }) => {
        if (metaKey !== undefined) return c.metadata[metaKey] === value;
        const v = (c as unknown as Record<string, unknown>)[field];
        if (field === 'email' || field === 'name') return typeof v === 'string' && v.toLowerCase() === value.toLowerCase();
        return v === value;
      }),
    );
    const limit = p.limit ?? 10;
    return { object: 'search_result', data: hits.slice(0, limit).map((c) => this.render(c)), has_more: hits.length > limit, next_page: null, url: '/v1/customers/search' };
  }

  // ---- products and prices ----

  private newProduct(p: ProductDataParams & { url?: string | null; marketing_features?: { name?: string | null }[] }, param: string): ProductJson {
    if (!p.name) throw missingParam(param ? `${param}[name]` : 'name');
    if (p.id && this.products.has(p.id)) throw invalidRequest(`Product already exists.`, param ? `${param}[id]` : 'id', 'resource_already_exists');
    const now = this.now();
    const prod: ProductJson = {
      id: p.id ?? stripeId('prod', 14),
      object: 'product',
      active: p.active ?? true,
      created: now,
      default_price: null,
      description: p.description ?? null,
      images: p.images ?? [],
      livemode: false,
      marketing_features: (p.marketing_features ?? []).map((f) => ({ name: f.name ?? '' })),
      metadata: mergeMetadata({}, p.metadata),
      name: p.name,
      package_dimensions: null,
      shippable: null,
      statement_descriptor: null,
      tax_code: null,
      tax_details: null,
      type: 'service',
      unit_label: null,
      updated: now,
      url: p.url ?? null,
    };
    this.products.set(prod.id, prod);
    this.emit('product.created', prod);
    return prod;
  }

  createProduct(p: ProductCreateParams): ProductJson {
    const dp = p.default_price_data;
    if (dp) {
      validCurrency(dp.currency, 'default_price_data[currency]');
      if (dp.unit_amount == null && dp.unit_amount_decimal == null) throw missingParam('default_price_data[unit_amount]');
    }
    const prod = this.newProduct(p, '');
    if (dp) {
      const price = this.newPrice({ ...dp, product: prod.id }, 'default_price_data', true);
      prod.default_price = price.id;
    }
    return this.render(prod);
  }

  product(id: string, param?: string): ProductJson {
    const prod = this.products.get(id);
    if (!prod) throw noSuch('product', id, param);
    return prod;
  }

  updateProduct(id: string, p: ProductUpdateParams): ProductJson {
    const prod = this.product(id);
    const before = this.render(prod);
    if (p.default_price != null) {
      const price = this.price(p.default_price, 'default_price');
      if (price.product !== id) throw invalidRequest('The default price must belong to this product.', 'default_price');
      prod.default_price = price.id;
    }
    if (p.name != null) prod.name = p.name;
    if (p.active != null) prod.active = p.active;
    if (p.description !== undefined) prod.description = p.description;
    if (p.images !== undefined) prod.images = p.images;
    if (p.url !== undefined) prod.url = p.url;
    if (p.marketing_features !== undefined) prod.marketing_features = p.marketing_features.map((f) => ({ name: f.name ?? '' }));
    prod.metadata = mergeMetadata(prod.metadata, p.metadata);
    prod.updated = this.now();
    this.emit('product.updated', prod, previousAttributes(before, prod));
    return this.render(prod);
  }

  listProducts(p: ProductListParams): ListJson<ProductJson> {
    const all = [...this.products.values()].reverse().filter((x) => (p.active == null || x.active === p.active) && (!p.ids?.length || p.ids.includes(x.id)));
    return this.page(all, p, '/v1/products', (x) => x.created);
  }

  private newPrice(p: PriceCreateParams & { recurring?: RecurringParams | null }, param: string, active: boolean): PriceJson {
    const at = (k: string): string => (param ? `${param}[${k}]` : k);
    const currency = validCurrency(p.currency, at('currency'));
    if (p.billing_scheme === 'tiered') throw invalidRequest('The emulator supports per_unit prices only.', at('billing_scheme'));
    let unit = p.unit_amount;
    if (unit == null && p.unit_amount_decimal != null) {
      if (!/^\d+$/.test(p.unit_amount_decimal)) throw invalidRequest('The emulator supports whole unit_amount_decimal values only.', at('unit_amount_decimal'));
      unit = Number(p.unit_amount_decimal);
    }
    if (unit == null) throw missingParam(at('unit_amount'));
    if (unit < 0) throw invalidRequest('This value must be greater than or equal to 0.', at('unit_amount'));
    let recurring: RecurringJson | null = null;
    if (p.recurring) {
      if (!p.recurring.interval) throw missingParam(`${at('recurring')}[interval]`);
      const count = p.recurring.interval_count ?? 1;
      const maxCount = { day: 1095, week: 156, month: 36, year: 3 }[p.recurring.interval];
      if (count < 1 || count > maxCount) throw invalidRequest(`Invalid interval_count: must be between 1 and ${maxCount} for ${p.recurring.interval}`, at('recurring') + '[interval_count]');
      recurring = { interval: p.recurring.interval, interval_count: count, meter: null, trial_period_days: null, usage_type: 'licensed' };
    }
    let product: string;
    if (p.product) product = this.product(p.product, at('product')).id;
    else if (p.product_data) product = '';
    else throw missingParam(at('product'));
    if (p.lookup_key) {
      const holder = [...this.prices.values()].find((x) => x.lookup_key === p.lookup_key);
      if (holder && !p.transfer_lookup_key)
        throw invalidRequest(`A price (\`${holder.id}\`) already uses that lookup key.`, at('lookup_key'), 'lookup_key_already_exists');
    }
    if (!product) product = this.newProduct(p.product_data!, at('product_data')).id;
    if (p.lookup_key) {
      // transfer_lookup_key moves the key from the price holding it.
      const holder = [...this.prices.values()].find((x) => x.lookup_key === p.lookup_key);
      if (holder) {
        const before = this.render(holder);
        holder.lookup_key = null;
        this.emit('price.updated', holder, previousAttributes(before, holder));
      }
    }
    const price: PriceJson = {
      id: stripeId('price', 24),
      object: 'price',
      active: p.active ?? active,
      billing_scheme: 'per_unit',
      created: this.now(),
      currency,
      custom_unit_amount: null,
      livemode: false,
      lookup_key: p.lookup_key ?? null,
      metadata: mergeMetadata({}, p.metadata),
      nickname: p.nickname ?? null,
      product,
      recurring,
      tax_behavior: 'unspecified',
      tiers_mode: null,
      transform_quantity: null,
      type: recurring ? 'recurring' : 'one_time',
      unit_amount: unit,
      unit_amount_decimal: String(unit),
    };
    this.prices.set(price.id, price);
    this.emit('price.created', price);
    return price;
  }

  createPrice(p: PriceCreateParams): PriceJson {
    if (p.product && p.product_data) throw invalidRequest('You may only specify one of these parameters: product, product_data.', 'product_data');
    return this.render(this.newPrice(p, '', true));
  }

  price(id: string, param?: string): PriceJson {
    const price = this.prices.get(id);
    if (!price) throw noSuch('price', id, param);
    return price;
  }

  updatePrice(id: string, p: PriceUpdateParams): PriceJson {
    const price = this.price(id);
    const before = this.render(price);
    if (p.lookup_key !== undefined && p.lookup_key !== price.lookup_key) {
      const holder = p.lookup_key ? [...this.prices.values()].find((x) => x.lookup_key === p.lookup_key) : undefined;
      if (holder && !p.transfer_lookup_key) throw invalidRequest(`A price (\`${holder.id}\`) already uses that lookup key.`, 'lookup_key', 'lookup_key_already_exists');
      if (holder) {
        const hb = this.render(holder);
        holder.lookup_key = null;
        this.emit('price.updated', holder, previousAttributes(hb, holder));
      }
      price.lookup_key = p.lookup_key;
    }
    if (p.active != null) price.active = p.active;
    if (p.nickname !== undefined) price.nickname = p.nickname;
    price.metadata = mergeMetadata(price.metadata, p.metadata);
    this.emit('price.updated', price, previousAttributes(before, price));
    return this.render(price);
  }

  listPrices(p: PriceListParams): ListJson<PriceJson> {
    if (p.lookup_keys && p.lookup_keys.length > 10) throw invalidRequest('You may pass at most 10 lookup_keys.', 'lookup_keys');
    const all = [...this.prices.values()]
      .reverse()
      .filter(
        (x) =>
          (p.active == null || x.active === p.active) &&
          (!p.currency || x.currency === p.currency.toLowerCase()) &&
          (!p.product || x.product === p.product) &&
          (!p.type || x.type === p.type) &&
          (!p.lookup_keys?.length || (x.lookup_key !== null && p.lookup_keys.includes(x.lookup_key))) &&
          (!p.recurring?.interval || x.recurring?.interval === p.recurring.interval),
      );
    return this.page(all, p, '/v1/prices', (x) => x.created);
  }

  // ---- coupons and discounts ----

  createCoupon(p: CouponCreateParams): CouponJson {
    const pct = p.percent_off === undefined || p.percent_off === '' ? null : Number(p.percent_off);
    if (pct !== null && (!Number.isFinite(pct) || pct <= 0 || pct > 100)) throw invalidRequest('Invalid percent_off: must be a number greater than 0 and at most 100', 'percent_off');
    if ((pct === null) === (p.amount_off == null)) throw invalidRequest('You must pass exactly one of percent_off or amount_off.', pct === null ? 'amount_off' : 'percent_off');
    const currency = p.amount_off != null ? validCurrency(p.currency, 'currency') : null;
    if (p.amount_off != null && p.amount_off <= 0) throw invalidRequest('Invalid amount_off: must be greater than 0', 'amount_off');
    const duration = p.duration ?? 'once';
    if (duration === 'repeating' && !p.duration_in_months) throw missingParam('duration_in_months');
    if (duration !== 'repeating' && p.duration_in_months != null)
      throw invalidRequest('You may only specify duration_in_months when duration is repeating.', 'duration_in_months');
    if (p.id && this.coupons.has(p.id)) throw invalidRequest('Coupon already exists.', 'id', 'resource_already_exists');
    const c: CouponJson = {
      id: p.id ?? randomText(8),
      object: 'coupon',
      amount_off: p.amount_off ?? null,
      created: this.now(),
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
    this.coupons.set(c.id, c);
    this.emit('coupon.created', c);
    return this.render(c);
  }

  coupon(id: string, param?: string): CouponJson {
    const c = this.coupons.get(id);
    if (!c) throw noSuch('coupon', id, param);
    this.refreshCoupon(c);
    return c;
  }

  deleteCoupon(id: string): DeletedJson {
    const c = this.coupon(id);
    this.coupons.delete(id);
    this.emit('coupon.deleted', c);
    return { id, object: 'coupon', deleted: true };
  }

  listCoupons(p: ListParams): ListJson<CouponJson> {
    const all = [...this.coupons.values()].reverse();
    for (const c of all) this.refreshCoupon(c);
    return this.page(all, p, '/v1/coupons', (c) => c.created);
  }

  private refreshCoupon(c: CouponJson): void {
    c.valid = (c.redeem_by === null || this.now() < c.redeem_by) && (c.max_redemptions === null || c.times_redeemed < c.max_redemptions);
  }

  private usableCoupon(id: string, currency: string, param: string): CouponJson {
    const c = this.coupon(id, param);
    if (!c.valid) throw invalidRequest(`This coupon is no longer valid: ${id}`, param, 'coupon_expired');
    if (c.currency !== null && c.currency !== currency)
      throw invalidRequest(`The coupon's currency (${c.currency}) must match the currency of the prices (${currency}).`, param);
    return c;
  }

  private newDiscount(couponId: string, on: { customer: string | null; subscription: string | null; checkoutSession: string | null }): DiscountJson {
    const c = this.coupons.get(couponId)!;
    const start = this.now();
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
    this.discounts.set(d.id, d);
    c.times_redeemed += 1;
    this.refreshCoupon(c);
    return d;
  }

  /** How much each discount takes off the discountable lines: Stripe applies them in turn. */
  private applyDiscounts(lines: DraftLine[], discountIds: string[]): { perLine: { amount: number; discount: string }[][]; totals: { amount: number; discount: string }[] } {
    const perLine: { amount: number; discount: string }[][] = lines.map(() => []);
    const totals: { amount: number; discount: string }[] = [];
    const remaining = lines.map((l) => (l.discountable && l.amount > 0 ? l.amount : 0));
    for (const id of discountIds) {
      const d = this.discounts.get(id);
      const c = d ? this.coupons.get(d.source.coupon) : undefined;
      if (!d || !c) continue;
      const base = remaining.reduce((a, b) => a + b, 0);
      if (base <= 0) continue;
      const off = c.percent_off !== null ? Math.round((base * c.percent_off) / 100) : Math.min(c.amount_off ?? 0, base);
      if (off <= 0) continue;
      // Spread over the lines in proportion; the last discounted line takes the rounding.
      let left = off;
      const idx = remaining.map((r, i) => (r > 0 ? i : -1)).filter((i) => i >= 0);
      idx.forEach((i, n) => {
        const share = n === idx.length - 1 ? left : Math.round((off * remaining[i]) / base);
        left -= share;
        remaining[i] -= share;
        perLine[i].push({ amount: share, discount: id });
      });
      totals.push({ amount: off, discount: id });
    }
    return { perLine, totals };
  }

  /** Discounts of a subscription still in force now. */
  private activeDiscounts(sub: SubscriptionJson): string[] {
    return sub.discounts.filter((id) => {
      const d = this.discounts.get(id);
      return d !== undefined && (d.end === null || this.now() < d.end);
    });
  }

  // ---- checkout ----

  createCheckoutSession(p: CheckoutCreateParams, publicUrl: string): CheckoutSessionJson {
    const now = this.now();
    const mode = p.mode;
    if (!mode) throw missingParam('mode');
    if (mode === 'setup') throw invalidRequest('The emulator supports checkout in payment and subscription mode only.', 'mode');
    if (p.ui_mode && p.ui_mode !== 'hosted') throw invalidRequest('The emulator supports ui_mode=hosted only.', 'ui_mode');
    if (p.customer && p.customer_email) throw invalidRequest('You may only specify one of these parameters: customer, customer_email.', 'customer_email');
    const customer = p.customer ? this.customer(p.customer, 'customer') : null;
    if (mode === 'subscription' && p.customer_creation) throw invalidRequest('`customer_creation` can only be used in `payment` mode.', 'customer_creation');
    if (mode === 'payment' && p.subscription_data) throw invalidRequest('You can not pass `subscription_data` in `payment` mode.', 'subscription_data');
    if (mode === 'subscription' && p.payment_intent_data) throw invalidRequest('You can not pass `payment_intent_data` in `subscription` mode.', 'payment_intent_data');
    if (p.allow_promotion_codes && p.discounts?.length) throw invalidRequest('You may only specify one of these parameters: allow_promotion_codes, discounts.', 'discounts');
    if (p.client_reference_id && p.client_reference_id.length > 200) throw invalidRequest('client_reference_id must be at most 200 characters.', 'client_reference_id');
    const successUrl = validUrl(p.success_url, 'success_url');
    const cancelUrl = validUrl(p.cancel_url, 'cancel_url');
    if (p.return_url) throw invalidRequest('`return_url` can only be used with ui_mode embedded or custom.', 'return_url');
    const items = p.line_items ?? [];
    if (items.length === 0) throw missingParam('line_items');
    if (items.length > 100) throw invalidRequest('You may pass at most 100 line items.', 'line_items');

    // Validate every line before creating anything (inline prices are objects of their own).
    const planned = items.map((li, i) => this.planLine(li, i));
    const currency = planned[0].currency;
    planned.forEach((x, i) => {
      if (x.currency !== currency) throw invalidRequest('All line items must use the same currency.', `line_items[${i}][price]`);
      if (p.currency && p.currency.toLowerCase() !== currency) throw invalidRequest('The currency must match the currency of the line items.', 'currency');
      if (mode === 'payment' && x.recurring)
        throw invalidRequest('You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.', `line_items[${i}][price]`);
    });
    const recurring = planned.filter((x) => x.recurring);
    if (mode === 'subscription' && recurring.length === 0) throw invalidRequest('You must provide at least one recurring price in `subscription` mode when using prices.', 'line_items');
    const first = recurring[0]?.recurring;
    if (first && recurring.some((x) => x.recurring!.interval !== first.interval || x.recurring!.interval_count !== first.interval_count))
      throw invalidRequest('Checkout does not support multiple prices with different billing intervals.', 'line_items');

    const sd = p.subscription_data ?? null;
    if (sd?.trial_period_days != null && sd.trial_end != null) throw invalidRequest('You may only specify one of these parameters: trial_end, trial_period_days.', 'subscription_data[trial_end]');
    if (sd?.trial_period_days != null && (sd.trial_period_days < 1 || sd.trial_period_days > 730))
      throw invalidRequest('The trial period must be between 1 and 730 days.', 'subscription_data[trial_period_days]');
    if (sd?.trial_end != null && sd.trial_end < now + 2 * DAY) throw invalidRequest('`trial_end` must be at least 48 hours in the future.', 'subscription_data[trial_end]');
    const trial = sd?.trial_period_days != null || sd?.trial_end != null;

    const discounts = p.discounts ?? [];
    if (discounts.length > 1) throw invalidRequest('You may only specify one discount per Checkout Session.', 'discounts');
    const coupons = discounts.map((d, i) => {
      if (d.promotion_code) throw invalidRequest('The emulator does not support promotion codes; pass a coupon.', `discounts[${i}][promotion_code]`);
      if (!d.coupon) throw missingParam(`discounts[${i}][coupon]`);
      return this.usableCoupon(d.coupon, currency, `discounts[${i}][coupon]`).id;
    });

    let expiresAt = now + DAY;
    if (p.expires_at != null) {
      if (p.expires_at < now + 30 * 60) throw invalidRequest('The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.', 'expires_at');
      if (p.expires_at > now + DAY) throw invalidRequest('The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.', 'expires_at');
      expiresAt = p.expires_at;
    }

    const id = stripeId('cs_test', 58);
    const lines: LineItemJson[] = planned.map((x, i) => {
      const price = x.price ?? this.newPrice(x.priceData!, `line_items[${i}][price_data]`, false);
      const product = this.products.get(price.product);
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
    const drafts: DraftLine[] = lines.map((l) => ({
      amount: trial && l.price.recurring ? 0 : l.amount_subtotal,
      description: l.description,
      price: l.price,
      quantity: l.quantity,
      period: { start: now, end: now },
      proration: false,
      discountable: true,
      subscriptionItem: null,
      invoiceItem: null,
    }));
    const subtotal = drafts.reduce((a, d) => a + d.amount, 0);
    // Coupons are only previewed here; they are redeemed when the session completes.
    const preview = this.previewCouponDiscount(drafts, coupons);
    lines.forEach((l, i) => {
      l.amount_discount = preview.perLine[i];
      l.amount_total = l.amount_subtotal - l.amount_discount;
    });
    const s: CheckoutSessionJson = {
      id,
      object: 'checkout.session',
      adaptive_pricing: null,
      after_expiration: null,
      allow_promotion_codes: p.allow_promotion_codes ?? null,
      amount_subtotal: subtotal,
      amount_total: subtotal - preview.total,
      automatic_tax: { enabled: false, liability: null, provider: null, status: null },
      billing_address_collection: null,
      cancel_url: cancelUrl,
      client_reference_id: p.client_reference_id ?? null,
      client_secret: null,
      collected_information: null,
      consent: null,
      consent_collection: null,
      created: now,
      currency,
      currency_conversion: null,
      custom_fields: [],
      custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
      customer: customer?.id ?? null,
      customer_account: null,
      customer_creation: mode === 'payment' ? (p.customer_creation ?? 'if_required') : null,
      customer_details: customer ? { address: null, business_name: null, email: customer.email, individual_name: null, name: customer.name, phone: null, tax_exempt: 'none', tax_ids: [] } : null,
      customer_email: p.customer_email ?? null,
      discounts: coupons.map((c) => ({ coupon: c, promotion_code: null })),
      expires_at: expiresAt,
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
      success_url: successUrl,
      total_details: { amount_discount: preview.total, amount_shipping: 0, amount_tax: 0 },
      ui_mode: 'hosted',
      url: `${publicUrl}/checkout/${id}`,
      wallet_options: null,
    };
    this.sessions.set(id, s);
    this.sessionExtras.set(id, {
      lines,
      trialEnd: sd?.trial_end ?? null,
      trialDays: sd?.trial_period_days ?? null,
      subscriptionMetadata: mergeMetadata({}, sd?.metadata),
      subscriptionDescription: sd?.description ?? null,
      paymentIntentMetadata: mergeMetadata({}, p.payment_intent_data?.metadata),
      paymentIntentDescription: p.payment_intent_data?.description ?? null,
      coupons,
      paymentIntent: null,
    });
    return this.render(s);
  }

  private previewCouponDiscount(lines: DraftLine[], coupons: string[]): { perLine: number[]; total: number } {
    const remaining = lines.map((l) => (l.amount > 0 ? l.amount : 0));
    const perLine = lines.map(() => 0);
    let total = 0;
    for (const id of coupons) {
      const c = this.coupons.get(id)!;
      const base = remaining.reduce((a, b) => a + b, 0);
      if (base <= 0) continue;
      const off = c.percent_off !== null ? Math.round((base * c.percent_off) / 100) : Math.min(c.amount_off ?? 0, base);
      let left = off;
      const idx = remaining.map((r, i) => (r > 0 ? i : -1)).filter((i) => i >= 0);
      idx.forEach((i, n) => {
        const share = n === idx.length - 1 ? left : Math.round((off * remaining[i]) / base);
        left -= share;
        remaining[i] -= share;
        perLine[i] += share;
      });
      total += off;
    }
    return { perLine, total };
  }

  private planLine(li: CheckoutLineItemParams, i: number): { price: PriceJson | null; priceData: PriceCreateParams | null; currency: string; recurring: RecurringParams | null; quantity: number } {
    const at = (k: string): string => `line_items[${i}][${k}]`;
    if (li.quantity == null) throw missingParam(at('quantity'));
    if (li.quantity < 1) throw invalidRequest('This value must be greater than or equal to 1.', at('quantity'));
    if (li.price && li.price_data) throw invalidRequest('You may only specify one of these parameters: price, price_data.', at('price_data'));
    if (li.price) {
      const price = this.price(li.price, at('price'));
      if (!price.active) throw invalidRequest('The price specified is inactive. This field only accepts active prices.', at('price'));
      return { price, priceData: null, currency: price.currency, recurring: price.recurring, quantity: li.quantity };
    }
    const pd = li.price_data;
    if (!pd) throw invalidRequest('You must specify either `price` or `price_data` for each line item.', at('price'));
    const currency = validCurrency(pd.currency, `${at('price_data')}[currency]`);
    if (pd.unit_amount == null && pd.unit_amount_decimal == null) throw missingParam(`${at('price_data')}[unit_amount]`);
    if (pd.product && pd.product_data) throw invalidRequest('You may only specify one of these parameters: product, product_data.', `${at('price_data')}[product_data]`);
    if (pd.product) this.product(pd.product, `${at('price_data')}[product]`);
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

  session(id: string, param?: string): CheckoutSessionJson {
    const s = this.sessions.get(id);
    if (!s) throw noSuch('checkout.session', id, param);
    return s;
  }

  sessionLineItems(id: string, p: ListParams): ListJson<LineItemJson> {
    this.session(id);
    const lines = this.sessionExtras.get(id)?.lines ?? [];
    const fresh = lines.map((l) => ({ ...l, price: structuredClone(this.prices.get(l.price.id) ?? l.price) }));
    return this.page(fresh, p, `/v1/checkout/sessions/${id}/line_items`);
  }

  listSessions(p: CheckoutListParams): ListJson<CheckoutSessionJson> {
    const all = [...this.sessions.values()]
      .reverse()
      .filter(
        (s) =>
          (!p.customer || s.customer === p.customer) &&
          (!p.status || s.status === p.status) &&
          (!p.subscription || s.subscription === p.subscription) &&
          (!p.payment_intent || s.payment_intent === p.payment_intent),
      );
    return this.page(all, p, '/v1/checkout/sessions', (s) => s.created);
  }

  expireSession(id: string): CheckoutSessionJson {
    const s = this.session(id);
    if (s.status !== 'open') throw invalidRequest(`Only Checkout Sessions with a status in ["open"] can be expired.`, 'session');
    this.markExpired(s);
    return this.render(s);
  }

  private markExpired(s: CheckoutSessionJson): void {
    s.status = 'expired';
    s.url = null;
    this.emit('checkout.session.expired', s);
  }

  /** The customer completes the hosted page. Paying a completed session again changes nothing. */
  payCheckout(id: string): CheckoutSessionJson {
    const s = this.session(id);
    if (s.status === 'complete') return this.render(s);
    if (s.status === 'expired') throw invalidRequest('This Checkout Session has expired.', 'session', 'checkout_session_expired');
    const extra = this.sessionExtras.get(id)!;
    let customer = s.customer ? this.customers.get(s.customer) : undefined;
    // Subscriptions always get a customer; payment mode only when asked to.
    if (!customer && (s.mode === 'subscription' || s.customer_creation === 'always'))
      customer = this.newCustomer({ email: s.customer_email ?? `buyer-${randomText(6).toLowerCase()}@example.com` });
    const email = customer?.email ?? s.customer_email ?? `buyer-${randomText(6).toLowerCase()}@example.com`;
    const pm = this.newPaymentMethod(customer?.id ?? null, email, customer?.name ?? null, '4242');

    if (s.mode === 'subscription') {
      const sub = this.subscriptionFromSession(s, extra, customer!, pm.id);
      s.subscription = sub.id;
      s.invoice = sub.latest_invoice;
      s.payment_status = s.amount_total > 0 ? 'paid' : 'no_payment_required';
      this.completeSession(s, customer ?? null, email);
      this.emit('customer.subscription.created', sub);
    } else {
      if (s.amount_total > 0) {
        const pi = extra.paymentIntent ? this.paymentIntents.get(extra.paymentIntent)! : this.newPaymentIntent(s.amount_total, s.currency, customer?.id ?? null, extra.paymentIntentDescription, extra.paymentIntentMetadata);
        pi.customer = customer?.id ?? null;
        const charge = this.newCharge(pi, pm, false);
        this.succeedPaymentIntent(pi, charge, pm);
        s.payment_intent = pi.id;
        s.payment_status = 'paid';
        this.completeSession(s, customer ?? null, email);
        this.emit('payment_intent.succeeded', pi);
        this.emit('charge.succeeded', charge);
      } else {
        s.payment_status = 'no_payment_required';
        this.completeSession(s, customer ?? null, email);
      }
      for (const c of extra.coupons) this.newDiscount(c, { customer: customer?.id ?? null, subscription: null, checkoutSession: s.id });
    }
    return this.render(s);
  }

  private completeSession(s: CheckoutSessionJson, customer: CustomerJson | null, email: string): void {
    s.status = 'complete';
    s.url = null;
    s.customer = customer?.id ?? null;
    s.customer_details = { address: null, business_name: null, email, individual_name: null, name: customer?.name ?? null, phone: null, tax_exempt: 'none', tax_ids: [] };
    this.emit('checkout.session.completed', s);
  }

  /** The card is declined: the session stays open and can be paid again. */
  declineCheckout(id: string): CheckoutSessionJson {
    const s = this.session(id);
    if (s.status !== 'open') throw invalidRequest(`This Checkout Session is ${s.status}.`, 'session', s.status === 'expired' ? 'checkout_session_expired' : undefined);
    const extra = this.sessionExtras.get(id)!;
    const customer = s.customer ? this.customers.get(s.customer) : undefined;
    const amount = s.amount_total > 0 ? s.amount_total : extra.lines.reduce((a, l) => a + l.amount_subtotal, 0);
    const pi = extra.paymentIntent ? this.paymentIntents.get(extra.paymentIntent)! : this.newPaymentIntent(amount, s.currency, customer?.id ?? null, extra.paymentIntentDescription, extra.paymentIntentMetadata);
    extra.paymentIntent = pi.id;
    const pm = this.newPaymentMethod(customer?.id ?? null, customer?.email ?? s.customer_email, customer?.name ?? null, '0002');
    const charge = this.newCharge(pi, pm, true);
    this.failPaymentIntent(pi, charge, pm);
    if (s.mode === 'payment') s.payment_intent = pi.id;
    this.emit('payment_intent.payment_failed', pi);
    this.emit('charge.failed', charge);
    return this.render(s);
  }

  /** For the hosted page: the session, its lines, and whether a decline happened. */
  checkoutView(id: string): { session: CheckoutSessionJson; lines: LineItemJson[]; trialEnd: number | null; declined: boolean } | undefined {
    const s = this.sessions.get(id);
    const extra = this.sessionExtras.get(id);
    if (!s || !extra) return undefined;
    const trialEnd = extra.trialEnd ?? (extra.trialDays ? this.now() + extra.trialDays * DAY : null);
    const pi = extra.paymentIntent ? this.paymentIntents.get(extra.paymentIntent) : undefined;
    return { session: this.render(s), lines: structuredClone(extra.lines), trialEnd, declined: pi?.status === 'requires_payment_method' };
  }

  // ---- subscriptions ----

  private newItem(subId: string, price: PriceJson, quantity: number, start: number, end: number, metadata: Metadata): SubscriptionItemJson {
    return {
      id: stripeId('si', 14),
      object: 'subscription_item',
      billing_thresholds: null,
      created: this.now(),
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

  private subscriptionFromSession(s: CheckoutSessionJson, extra: SessionExtra, customer: CustomerJson, pm: string): SubscriptionJson {
    const now = this.now();
    const id = stripeId('sub', 24);
    const trialEnd = extra.trialEnd ?? (extra.trialDays ? now + extra.trialDays * DAY : null);
    const recurringLines = extra.lines.filter((l) => l.price.recurring);
    const rec = recurringLines[0].price.recurring!;
    const periodEnd = trialEnd ?? addInterval(now, rec.interval, rec.interval_count);
    const sub: SubscriptionJson = {
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
      currency: s.currency,
      current_period_end: periodEnd,
      current_period_start: now,
      customer: customer.id,
      customer_account: null,
      days_until_due: null,
      default_payment_method: pm,
      default_source: null,
      default_tax_rates: [],
      description: extra.subscriptionDescription,
      discounts: [],
      ended_at: null,
      invoice_settings: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: { type: 'self' } },
      items: { object: 'list', data: [], has_more: false, total_count: 0, url: `/v1/subscription_items?subscription=${id}` },
      latest_invoice: null,
      livemode: false,
      metadata: { ...extra.subscriptionMetadata },
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
    sub.items.data = recurringLines.map((l) => this.newItem(id, this.prices.get(l.price.id) ?? l.price, l.quantity, now, periodEnd, { ...l.metadata }));
    sub.items.total_count = sub.items.data.length;
    this.subscriptions.set(id, sub);
    this.subscriptionExtras.set(id, { trialWillEndSent: false });
    sub.discounts = extra.coupons.map((c) => this.newDiscount(c, { customer: customer.id, subscription: id, checkoutSession: s.id }).id);

    const lines = this.subscriptionLines(sub, now, periodEnd, trialEnd !== null);
    // One-time prices bought with a subscription go on its first invoice.
    for (const l of extra.lines.filter((x) => !x.price.recurring))
      lines.push({ amount: l.amount_subtotal, description: l.description, price: l.price, quantity: l.quantity, period: { start: now, end: now }, proration: false, discountable: true, subscriptionItem: null, invoiceItem: null });
    const invoice = this.newInvoice(customer, sub, 'subscription_create', lines, { start: now, end: now });
    sub.latest_invoice = invoice.id;
    this.finalizeAndCollect(invoice, { paymentMethod: pm, checkout: true });
    return sub;
  }

  private subscriptionLines(sub: SubscriptionJson, start: number, end: number, trial: boolean): DraftLine[] {
    return sub.items.data.map((item) => {
      const price = this.prices.get(item.price.id) ?? item.price;
      const name = this.products.get(price.product)?.name ?? price.product;
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

  subscription(id: string, param?: string): SubscriptionJson {
    const s = this.subscriptions.get(id);
    if (!s) throw noSuch('subscription', id, param);
    return s;
  }

  listSubscriptions(p: SubscriptionListParams): ListJson<SubscriptionJson> {
    const status = p.status ?? null;
    const all = [...this.subscriptions.values()].reverse().filter((s) => {
      if (p.customer && s.customer !== p.customer) return false;
      const priceId = p.price ?? p.plan;
      if (priceId && !s.items.data.some((i) => i.price.id === priceId)) return false;
      if (status === 'all') return true;
      if (status === 'ended') return s.status === 'canceled' || s.status === 'incomplete_expired';
      if (status) return s.status === status;
      // Without a status filter Stripe leaves canceled subscriptions out.
      return s.status !== 'canceled' && s.status !== 'incomplete_expired';
    });
    return this.page(all, p, '/v1/subscriptions', (s) => s.created);
  }

  listSubscriptionItems(p: SubscriptionItemListParams): ListJson<SubscriptionItemJson> {
    if (!p.subscription) throw missingParam('subscription');
    const sub = this.render(this.subscription(p.subscription, 'subscription'));
    return this.page([...sub.items.data], p, `/v1/subscription_items`);
  }

  updateSubscription(id: string, p: SubscriptionUpdateParams): SubscriptionJson {
    const sub = this.subscription(id);
    const ended = sub.status === 'canceled' || sub.status === 'incomplete_expired';
    const keys = Object.keys(p).filter((k) => k !== 'expand' && k !== 'metadata' && k !== 'cancellation_details');
    if (ended && keys.length > 0) throw invalidRequest('A canceled subscription can only update its cancellation_details and metadata.', keys[0]);
    const now = this.now();
    const before = this.render(sub);
    const behavior = p.proration_behavior ?? 'create_prorations';
    const prorationTime = p.proration_date ?? now;

    // Validate items before changing anything.
    const itemOps = (p.items ?? []).map((it, i) => {
      const at = (k: string): string => `items[${i}][${k}]`;
      const existing = it.id ? sub.items.data.find((x) => x.id === it.id) : undefined;
      if (it.id && !existing) throw noSuch('subscription item', it.id, at('id'));
      const priceId = it.price ?? it.plan;
      const price = priceId ? this.price(priceId, at('price')) : null;
      if (price && !price.recurring) throw invalidRequest('The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.', at('price'));
      if (price && price.currency !== sub.currency) throw invalidRequest(`The price's currency (${price.currency}) must match the subscription's currency (${sub.currency}).`, at('price'));
      if (price && !price.active) throw invalidRequest('The price specified is inactive. This field only accepts active prices.', at('price'));
      if (!existing && !price) throw missingParam(at('price'));
      if (it.quantity != null && it.quantity < 0) throw invalidRequest('This value must be greater than or equal to 0.', at('quantity'));
      return { existing, price, quantity: it.quantity ?? null, deleted: it.deleted === true, metadata: it.metadata };
    });
    const newDiscounts = (p.discounts ?? []).map((d, i) => {
      if (d.promotion_code) throw invalidRequest('The emulator does not support promotion codes; pass a coupon.', `discounts[${i}][promotion_code]`);
      if (d.discount) {
        if (!sub.discounts.includes(d.discount)) throw noSuch('discount', d.discount, `discounts[${i}][discount]`);
        return { keep: d.discount };
      }
      if (!d.coupon) throw missingParam(`discounts[${i}][coupon]`);
      return { coupon: this.usableCoupon(d.coupon, sub.currency, `discounts[${i}][coupon]`).id };
    });
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
      sub.discounts = newDiscounts.map((d) => ('keep' in d ? d.keep! : this.newDiscount(d.coupon!, { customer: sub.customer, subscription: sub.id, checkoutSession: null }).id));

    // Cancellation scheduling: cancel_at_period_end sets cancel_at to the period end, as Stripe does.
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
    if (p.cancel_at === 'now') {
      this.endSubscription(sub, 'cancellation_requested');
      return this.render(sub);
    }
    if (typeof p.cancel_at === 'number') {
      sub.cancel_at = p.cancel_at;
      sub.cancel_at_period_end = p.cancel_at === sub.current_period_end;
      sub.canceled_at = now;
      sub.cancellation_details.reason = 'cancellation_requested';
    }

    // Item changes, with prorations for the rest of the current period.
    let resetCycle = false;
    const prorations: DraftLine[] = [];
    const inTrial = sub.status === 'trialing';
    for (const op of itemOps) {
      if (op.existing && op.deleted) {
        if (!inTrial && behavior !== 'none') prorations.push(this.prorationLine(sub, op.existing.price, op.existing.quantity, -1, prorationTime, op.existing.id));
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
        if (!inTrial && behavior !== 'none') {
          prorations.push(this.prorationLine(sub, oldPrice, oldQty, -1, prorationTime, op.existing.id));
          if (!resetCycle) prorations.push(this.prorationLine(sub, price, qty, 1, prorationTime, op.existing.id));
        }
        op.existing.price = structuredClone(price);
        op.existing.plan = planOf(price);
        op.existing.quantity = qty;
        if (op.metadata !== undefined) op.existing.metadata = mergeMetadata(op.existing.metadata, op.metadata);
      } else if (op.price) {
        const item = this.newItem(sub.id, op.price, op.quantity ?? 1, sub.current_period_start, sub.current_period_end, mergeMetadata({}, op.metadata));
        sub.items.data.push(item);
        if (!inTrial && behavior !== 'none') prorations.push(this.prorationLine(sub, op.price, item.quantity, 1, prorationTime, item.id));
      }
    }
    if (sub.items.data.length === 0) throw invalidRequest('A subscription must have at least one active item.', 'items');
    sub.items.total_count = sub.items.data.length;

    const customer = this.customer(sub.customer);
    if (p.trial_end === 'now' && inTrial) {
      sub.trial_end = now;
      this.renew(sub, { anchorNow: true, pending: prorations });
      this.emitUpdated(sub, before);
      return this.render(sub);
    }
    if (typeof p.trial_end === 'number') {
      sub.trial_end = p.trial_end;
      sub.status = 'trialing';
      this.setPeriod(sub, sub.current_period_start, p.trial_end);
      sub.billing_cycle_anchor = p.trial_end;
      if (sub.cancel_at_period_end) sub.cancel_at = p.trial_end;
    }
    if (resetCycle) {
      // A new billing interval restarts the cycle now and invoices at once (Stripe's rule).
      sub.billing_cycle_anchor = now;
      const first = sub.items.data[0].price.recurring!;
      this.setPeriod(sub, now, addInterval(now, first.interval, first.interval_count));
      if (sub.cancel_at_period_end) sub.cancel_at = sub.current_period_end;
      const lines = [...prorations, ...this.subscriptionLines(sub, sub.current_period_start, sub.current_period_end, false)];
      const invoice = this.newInvoice(customer, sub, 'subscription_update', lines, { start: now, end: now });
      sub.latest_invoice = invoice.id;
      this.emitUpdated(sub, before);
      this.finalizeAndCollect(invoice, {});
      return this.render(sub);
    }
    if (prorations.length > 0 && behavior === 'always_invoice') {
      const invoice = this.newInvoice(customer, sub, 'subscription_update', prorations, { start: prorationTime, end: prorationTime });
      sub.latest_invoice = invoice.id;
      this.emitUpdated(sub, before);
      this.finalizeAndCollect(invoice, {});
      return this.render(sub);
    }
    // create_prorations: pending invoice items, billed with the next renewal.
    for (const line of prorations) this.newInvoiceItem(sub, line);
    this.emitUpdated(sub, before);
    return this.render(sub);
  }

  private emitUpdated(sub: SubscriptionJson, before: SubscriptionJson): void {
    const prev = previousAttributes(before, this.render(sub));
    if (Object.keys(prev).length > 0) this.emit('customer.subscription.updated', sub, prev);
  }

  /** Credit (sign -1) for unused time or charge (+1) for remaining time, from `at` to the period end. */
  private prorationLine(sub: SubscriptionJson, price: PriceJson, quantity: number, sign: 1 | -1, at: number, itemId: string): DraftLine {
    const start = sub.current_period_start;
    const end = sub.current_period_end;
    const fraction = end > start ? Math.max(0, Math.min(1, (end - at) / (end - start))) : 0;
    const name = this.products.get(price.product)?.name ?? price.product;
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

  private newInvoiceItem(sub: SubscriptionJson, line: DraftLine): InvoiceItemJson {
    const ii: InvoiceItemJson = {
      id: stripeId('ii', 24),
      object: 'invoiceitem',
      amount: line.amount,
      currency: sub.currency,
      customer: sub.customer,
      customer_account: null,
      date: this.now(),
      description: line.description,
      discountable: line.discountable,
      discounts: [],
      invoice: null,
      livemode: false,
      metadata: {},
      parent: { type: 'subscription_details', subscription_details: { subscription: sub.id, ...(line.subscriptionItem ? { subscription_item: line.subscriptionItem } : {}) } },
      period: { ...line.period },
      pricing: { type: 'price_details', price_details: { price: line.price.id, product: line.price.product }, unit_amount_decimal: String(line.price.unit_amount) },
      proration: line.proration,
      quantity: line.quantity,
      quantity_decimal: String(line.quantity),
      tax_rates: [],
      test_clock: null,
    };
    this.invoiceItems.set(ii.id, ii);
    this.emit('invoiceitem.created', ii);
    return ii;
  }

  cancelSubscription(id: string, p: SubscriptionCancelParams): SubscriptionJson {
    const sub = this.subscription(id);
    if (sub.status === 'canceled' || sub.status === 'incomplete_expired')
      throw invalidRequest(`This subscription (${id}) has already been canceled.`, 'subscription', 'resource_missing');
    if (p.cancellation_details) {
      sub.cancellation_details.comment = p.cancellation_details.comment ?? sub.cancellation_details.comment;
      sub.cancellation_details.feedback = p.cancellation_details.feedback ?? sub.cancellation_details.feedback;
    }
    if (p.invoice_now && p.prorate) {
      // Credit for the unused rest of the period goes to the customer's balance, via a final invoice.
      const credits = sub.items.data.map((i) => this.prorationLine(sub, i.price, i.quantity, -1, this.now(), i.id));
      this.endSubscription(sub, 'cancellation_requested');
      const invoice = this.newInvoice(this.customer(sub.customer), sub, 'subscription_update', credits, { start: this.now(), end: this.now() });
      sub.latest_invoice = invoice.id;
      this.finalizeAndCollect(invoice, {});
      return this.render(sub);
    }
    this.endSubscription(sub, 'cancellation_requested');
    return this.render(sub);
  }

  private endSubscription(sub: SubscriptionJson, reason: 'cancellation_requested' | 'payment_failed', at = this.now()): void {
    sub.status = 'canceled';
    sub.ended_at = at;
    sub.canceled_at = sub.canceled_at ?? at;
    sub.cancellation_details.reason = sub.cancellation_details.reason ?? reason;
    // Open invoices of an ended subscription are not retried any more.
    for (const inv of this.invoices.values()) if (inv.parent?.subscription_details.subscription === sub.id && inv.status === 'open') inv.next_payment_attempt = null;
    this.emit('customer.subscription.deleted', sub);
  }

  private setPeriod(sub: SubscriptionJson, start: number, end: number): void {
    sub.current_period_start = start;
    sub.current_period_end = end;
    for (const item of sub.items.data) {
      item.current_period_start = start;
      item.current_period_end = end;
    }
  }

  /**
   * Starts the next period: the subscription moves on (trial over → active), then the period's
   * invoice is created, finalized and collected.
   */
  private renew(sub: SubscriptionJson, opts: { anchorNow?: boolean; pending?: DraftLine[] } = {}): void {
    const before = this.render(sub);
    const rec = sub.items.data[0].price.recurring!;
    const start = opts.anchorNow ? this.now() : sub.current_period_end;
    if (opts.anchorNow) sub.billing_cycle_anchor = start;
    let k = 1;
    while (addInterval(sub.billing_cycle_anchor, rec.interval, rec.interval_count * k) <= start) k++;
    const end = addInterval(sub.billing_cycle_anchor, rec.interval, rec.interval_count * k);
    this.setPeriod(sub, start, end);
    if (sub.status === 'trialing') sub.status = 'active';
    const lines = [...(opts.pending ?? []), ...this.subscriptionLines(sub, start, end, false)];
    // Pending invoice items (prorations) are billed with this invoice.
    const pendingItems = [...this.invoiceItems.values()].filter((ii) => ii.invoice === null && ii.parent?.subscription_details.subscription === sub.id);
    for (const ii of pendingItems) {
      const price = this.prices.get(ii.pricing.price_details.price)!;
      lines.unshift({ amount: ii.amount, description: ii.description, price, quantity: ii.quantity, period: ii.period, proration: ii.proration, discountable: ii.discountable, subscriptionItem: ii.parent?.subscription_details.subscription_item ?? null, invoiceItem: ii.id });
    }
    const mark = this.outbox.length;
    const invoice = this.newInvoice(this.customer(sub.customer), sub, opts.anchorNow ? 'subscription_update' : 'subscription_cycle', lines, { start: before.current_period_start, end: start });
    sub.latest_invoice = invoice.id;
    if (!opts.anchorNow) {
      // Announced before the invoice (the period moves first), showing the invoice as latest.
      this.emit('customer.subscription.updated', sub, previousAttributes(before, this.render(sub)));
      this.outbox.splice(mark, 0, this.outbox.pop()!);
    }
    this.finalizeAndCollect(invoice, {});
  }

  // ---- invoices and payments ----

  private newInvoice(customer: CustomerJson, sub: SubscriptionJson | null, reason: InvoiceBillingReason, drafts: DraftLine[], period: { start: number; end: number }): InvoiceJson {
    const now = this.now();
    const id = stripeId('in', 24);
    const discountIds = sub ? this.activeDiscounts(sub) : [];
    const { perLine, totals } = this.applyDiscounts(drafts, discountIds);
    const subtotal = drafts.reduce((a, d) => a + d.amount, 0);
    const discount = totals.reduce((a, t) => a + t.amount, 0);
    const total = subtotal - discount;
    const lines: InvoiceLineItemJson[] = drafts.map((d, i) => ({
      id: stripeId('il', 24),
      object: 'line_item',
      amount: d.amount,
      currency: sub?.currency ?? d.price.currency,
      description: d.description,
      discount_amounts: perLine[i],
      discountable: d.discountable,
      discounts: perLine[i].map((x) => x.discount),
      invoice: id,
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
    }));
    for (const d of drafts) if (d.invoiceItem) this.invoiceItems.get(d.invoiceItem)!.invoice = id;
    const inv: InvoiceJson = {
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
      billing_reason: reason,
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
      period_end: period.end,
      period_start: period.start,
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
    this.invoices.set(id, inv);
    this.invoiceExtras.set(id, { paymentIntent: null });
    // A coupon good for "once" is used up by the first invoice it takes something off.
    if (sub)
      for (const t of totals) {
        const c = this.coupons.get(this.discounts.get(t.discount)!.source.coupon);
        if (c?.duration === 'once') sub.discounts = sub.discounts.filter((x) => x !== t.discount);
      }
    this.emit('invoice.created', inv);
    return inv;
  }

  /** Finalizes (number, customer balance) and collects: paid at once when nothing is due, else charged. */
  private finalizeAndCollect(inv: InvoiceJson, opts: { paymentMethod?: string; checkout?: boolean }): void {
    const customer = this.customer(inv.customer);
    const now = this.now();
    // The customer balance (negative = credit) is applied when the invoice is finalized.
    inv.starting_balance = customer.balance;
    const due = inv.total + customer.balance;
    inv.amount_due = Math.max(0, due);
    inv.amount_remaining = inv.amount_due;
    inv.ending_balance = due < 0 ? due : 0;
    customer.balance = inv.ending_balance;
    inv.number = `${customer.invoice_prefix}-${String(customer.next_invoice_sequence).padStart(4, '0')}`;
    customer.next_invoice_sequence += 1;
    inv.status = 'open';
    inv.status_transitions.finalized_at = now;
    inv.effective_at = now;
    inv.hosted_invoice_url = `${this.opts.publicUrl}/invoice/${inv.id}`;
    inv.invoice_pdf = `${this.opts.publicUrl}/invoice/${inv.id}/pdf`;
    inv.webhooks_delivered_at = now;
    this.emit('invoice.finalized', inv);
    if (inv.amount_due === 0) {
      inv.status = 'paid';
      inv.status_transitions.paid_at = now;
      this.emit('invoice.paid', inv);
      this.emit('invoice.payment_succeeded', inv);
      return;
    }
    this.attemptPayment(inv, opts);
  }

  /** Whether the next payment for this subscription/customer is set to fail (and counts it). */
  private consumeFailure(subId: string | null, customerId: string): boolean {
    for (const key of [subId, customerId]) {
      if (!key) continue;
      const n = this.failures.get(key) ?? 0;
      if (n > 0) {
        if (n === 1) this.failures.delete(key);
        else this.failures.set(key, n - 1);
        return true;
      }
    }
    return false;
  }

  private attemptPayment(inv: InvoiceJson, opts: { paymentMethod?: string; checkout?: boolean }): boolean {
    const now = this.now();
    const customer = this.customer(inv.customer);
    const subId = inv.parent?.subscription_details.subscription ?? null;
    const sub = subId ? this.subscriptions.get(subId) : undefined;
    const extra = this.invoiceExtras.get(inv.id)!;
    let pi = extra.paymentIntent ? this.paymentIntents.get(extra.paymentIntent) : undefined;
    if (!pi) {
      pi = this.newPaymentIntent(inv.amount_due, inv.currency, customer.id, inv.billing_reason === 'subscription_create' ? 'Subscription creation' : 'Subscription update', {});
      extra.paymentIntent = pi.id;
      const ip: InvoicePaymentJson = {
        id: stripeId('inpay', 24),
        object: 'invoice_payment',
        amount_paid: null,
        amount_requested: inv.amount_due,
        created: now,
        currency: inv.currency,
        invoice: inv.id,
        is_default: true,
        livemode: false,
        payment: { type: 'payment_intent', payment_intent: pi.id },
        status: 'open',
        status_transitions: { canceled_at: null, paid_at: null },
      };
      this.invoicePayments.set(ip.id, ip);
    }
    const pmId = opts.paymentMethod ?? sub?.default_payment_method ?? customer.invoice_settings.default_payment_method;
    const pm = (pmId ? this.paymentMethods.get(pmId) : undefined) ?? this.newPaymentMethod(customer.id, customer.email, customer.name, '4242');
    // The hosted checkout page collects a working card; later charges honour failNextPayments().
    const fail = !opts.checkout && this.consumeFailure(subId, customer.id);
    const charge = this.newCharge(pi, this.cardFor(pm, fail), fail);
    inv.attempt_count += 1;
    inv.attempted = true;
    const ip = [...this.invoicePayments.values()].find((x) => x.invoice === inv.id && x.payment.payment_intent === pi!.id)!;
    if (!fail) {
      this.succeedPaymentIntent(pi, charge, pm);
      inv.status = 'paid';
      inv.amount_paid = inv.amount_due;
      inv.amount_remaining = 0;
      inv.next_payment_attempt = null;
      inv.status_transitions.paid_at = now;
      ip.status = 'paid';
      ip.amount_paid = inv.amount_due;
      ip.status_transitions.paid_at = now;
      customer.delinquent = false;
      this.emit('invoice.paid', inv);
      this.emit('invoice.payment_succeeded', inv);
      this.emit('payment_intent.succeeded', pi);
      this.emit('charge.succeeded', charge);
      // Webhook invoices do not include `payments`; this event is how newer API versions link them.
      this.emit('invoice_payment.paid', ip);
      const stillOwing = [...this.invoices.values()].some((x) => x.id !== inv.id && x.status === 'open' && x.attempted && x.parent?.subscription_details.subscription === subId);
      if (sub && (sub.status === 'past_due' || sub.status === 'unpaid') && !stillOwing) {
        const before = this.render(sub);
        sub.status = 'active';
        this.emitUpdated(sub, before);
      }
      return true;
    }
    this.failPaymentIntent(pi, charge, pm);
    customer.delinquent = true;
    const retryDays = this.opts.dunning.retryDays;
    const exhausted = inv.attempt_count > retryDays.length;
    inv.next_payment_attempt = exhausted ? null : now + retryDays[inv.attempt_count - 1] * DAY;
    this.emit('invoice.payment_failed', inv);
    this.emit('payment_intent.payment_failed', pi);
    this.emit('charge.failed', charge);
    if (sub && sub.status !== 'canceled') {
      if (exhausted && this.opts.dunning.whenExhausted === 'cancel') this.endSubscription(sub, 'payment_failed');
      else if (exhausted) {
        const before = this.render(sub);
        sub.status = 'unpaid';
        this.emitUpdated(sub, before);
      } else if (sub.status === 'active' || sub.status === 'trialing') {
        const before = this.render(sub);
        sub.status = 'past_due';
        this.emitUpdated(sub, before);
      }
    }
    return false;
  }

  invoice(id: string, param?: string): InvoiceJson {
    const inv = this.invoices.get(id);
    if (!inv) throw noSuch('invoice', id, param);
    return inv;
  }

  listInvoices(p: InvoiceListParams): ListJson<InvoiceJson> {
    const all = [...this.invoices.values()]
      .reverse()
      .filter((i) => (!p.customer || i.customer === p.customer) && (!p.subscription || i.parent?.subscription_details.subscription === p.subscription) && (!p.status || i.status === p.status));
    return this.page(all, p, '/v1/invoices', (i) => i.created);
  }

  invoiceLines(id: string, p: ListParams): ListJson<InvoiceLineItemJson> {
    return this.page(this.invoice(id).lines.data, p, `/v1/invoices/${id}/lines`);
  }

  /** invoices.pay: charge an open invoice now (a decline is a 402 card error, as from Stripe). */
  payInvoice(id: string, p: InvoicePayParams): InvoiceJson {
    const inv = this.invoice(id);
    if (inv.status === 'paid') throw invalidRequest('Invoice is already paid', 'invoice', 'invoice_already_paid');
    if (inv.status !== 'open') throw invalidRequest(`You can only pay an invoice that is open; this one is ${inv.status}.`, 'invoice', 'invoice_not_open');
    if (p.paid_out_of_band) {
      inv.status = 'paid';
      inv.amount_paid = 0;
      inv.amount_remaining = 0;
      inv.next_payment_attempt = null;
      inv.status_transitions.paid_at = this.now();
      this.emit('invoice.paid', inv);
      return this.render(inv);
    }
    if (p.payment_method && !this.paymentMethods.has(p.payment_method)) throw noSuch('payment_method', p.payment_method, 'payment_method');
    const ok = this.attemptPayment(inv, { paymentMethod: p.payment_method ?? undefined });
    if (!ok) {
      const pi = this.paymentIntents.get(this.invoiceExtras.get(id)!.paymentIntent!)!;
      throw new StripeApiError(402, {
        type: 'card_error',
        code: 'card_declined',
        decline_code: 'generic_decline',
        doc_url: 'https://stripe.com/docs/error-codes/card-declined',
        message: 'Your card was declined.',
        charge: pi.latest_charge ?? undefined,
        payment_intent: this.render(pi),
      });
    }
    return this.render(inv);
  }

  listInvoicePayments(p: InvoicePaymentListParams): ListJson<InvoicePaymentJson> {
    const all = [...this.invoicePayments.values()].reverse().filter((x) => (!p.invoice || x.invoice === p.invoice) && (!p.status || x.status === p.status));
    return this.page(all, p, '/v1/invoice_payments', (x) => x.created);
  }

  listInvoiceItems(p: InvoiceItemListParams): ListJson<InvoiceItemJson> {
    const all = [...this.invoiceItems.values()]
      .reverse()
      .filter((x) => (!p.customer || x.customer === p.customer) && (!p.invoice || x.invoice === p.invoice) && (p.pending == null || (x.invoice === null) === p.pending));
    return this.page(all, p, '/v1/invoiceitems', (x) => x.date);
  }

  // ---- payment intents, charges, refunds ----

  private newPaymentMethod(customer: string | null, email: string | null, name: string | null, last4: string): PaymentMethodJson {
    const card = cardDetails(last4);
    const pm: PaymentMethodJson = {
      id: stripeId('pm', 24),
      object: 'payment_method',
      allow_redisplay: 'unspecified',
      billing_details: { address: null, email, name, phone: null, tax_id: null },
      card: { ...card, display_brand: 'visa', networks: { available: ['visa'], preferred: null } },
      created: this.now(),
      customer,
      customer_account: null,
      livemode: false,
      metadata: {},
      type: 'card',
    };
    this.paymentMethods.set(pm.id, pm);
    return pm;
  }

  /** A failing payment shows Stripe's decline test card rather than the customer's saved one. */
  private cardFor(pm: PaymentMethodJson, fail: boolean): PaymentMethodJson {
    return fail ? { ...pm, card: { ...pm.card, last4: '0002' } } : pm;
  }

  private newPaymentIntent(amount: number, currency: string, customer: string | null, description: string | null, metadata: Metadata): PaymentIntentJson {
    const id = stripeId('pi', 24);
    const pi: PaymentIntentJson = {
      id,
      object: 'payment_intent',
      amount,
      amount_capturable: 0,
      amount_details: { tip: {} },
      amount_received: 0,
      application: null,
      application_fee_amount: null,
      automatic_payment_methods: null,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: 'automatic',
      client_secret: `${id}_secret_${randomText(25)}`,
      confirmation_method: 'automatic',
      created: this.now(),
      currency,
      customer,
      customer_account: null,
      description,
      excluded_payment_method_types: null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: { ...metadata },
      next_action: null,
      on_behalf_of: null,
      payment_method: null,
      payment_method_configuration_details: null,
      payment_method_options: { card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
      payment_method_types: ['card'],
      processing: null,
      receipt_email: null,
      review: null,
      setup_future_usage: null,
      shipping: null,
      source: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: 'requires_payment_method',
      transfer_data: null,
      transfer_group: null,
    };
    this.paymentIntents.set(id, pi);
    return pi;
  }

  private newCharge(pi: PaymentIntentJson, pm: PaymentMethodJson, fail: boolean): ChargeJson {
    const id = stripeId('ch', 24);
    const customer = pi.customer ? this.customers.get(pi.customer) : undefined;
    const ch: ChargeJson = {
      id,
      object: 'charge',
      amount: pi.amount,
      amount_captured: fail ? 0 : pi.amount,
      amount_refunded: 0,
      application: null,
      application_fee: null,
      application_fee_amount: null,
      balance_transaction: fail ? null : stripeId('txn', 24),
      billing_details: { address: null, email: customer?.email ?? pm.billing_details.email, name: customer?.name ?? pm.billing_details.name, phone: null, tax_id: null },
      calculated_statement_descriptor: 'FLIX',
      captured: !fail,
      created: this.now(),
      currency: pi.currency,
      customer: pi.customer,
      description: pi.description,
      disputed: false,
      failure_balance_transaction: null,
      failure_code: fail ? 'card_declined' : null,
      failure_message: fail ? 'Your card was declined.' : null,
      fraud_details: {},
      livemode: false,
      metadata: { ...pi.metadata },
      on_behalf_of: null,
      outcome: fail
        ? { advice_code: null, network_advice_code: null, network_decline_code: null, network_status: 'declined_by_network', reason: 'generic_decline', risk_level: 'normal', risk_score: 40, seller_message: 'The bank did not return any further details with this decline.', type: 'issuer_declined' }
        : { advice_code: null, network_advice_code: null, network_decline_code: null, network_status: 'approved_by_network', reason: null, risk_level: 'normal', risk_score: 32, seller_message: 'Payment complete.', type: 'authorized' },
      paid: !fail,
      payment_intent: pi.id,
      payment_method: pm.id,
      payment_method_details: { type: 'card', card: { ...cardDetails(fail ? '0002' : pm.card.last4), network: 'visa' } },
      receipt_email: null,
      receipt_number: null,
      receipt_url: `${this.opts.publicUrl}/receipts/${id}`,
      refunded: false,
      review: null,
      shipping: null,
      source: null,
      source_transfer: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: fail ? 'failed' : 'succeeded',
      transfer_data: null,
      transfer_group: null,
    };
    this.charges.set(id, ch);
    return ch;
  }

  private succeedPaymentIntent(pi: PaymentIntentJson, charge: ChargeJson, pm: PaymentMethodJson): void {
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    pi.latest_charge = charge.id;
    pi.payment_method = pm.id;
    pi.last_payment_error = null;
  }

  private failPaymentIntent(pi: PaymentIntentJson, charge: ChargeJson, pm: PaymentMethodJson): void {
    pi.status = 'requires_payment_method';
    pi.latest_charge = charge.id;
    pi.payment_method = null;
    pi.last_payment_error = {
      charge: charge.id,
      code: 'card_declined',
      decline_code: 'generic_decline',
      doc_url: 'https://stripe.com/docs/error-codes/card-declined',
      message: 'Your card was declined.',
      payment_method: { id: pm.id, object: 'payment_method', type: 'card' },
      type: 'card_error',
    };
  }

  paymentIntent(id: string, param?: string): PaymentIntentJson {
    const pi = this.paymentIntents.get(id);
    if (!pi) throw noSuch('payment_intent', id, param);
    return pi;
  }

  listPaymentIntents(p: ListParams & { customer?: string | null }): ListJson<PaymentIntentJson> {
    const all = [...this.paymentIntents.values()].reverse().filter((x) => !p.customer || x.customer === p.customer);
    return this.page(all, p, '/v1/payment_intents', (x) => x.created);
  }

  paymentMethod(id: string): PaymentMethodJson {
    const pm = this.paymentMethods.get(id);
    if (!pm) throw noSuch('PaymentMethod', id);
    return pm;
  }

  charge(id: string, param?: string): ChargeJson {
    const ch = this.charges.get(id);
    if (!ch) throw noSuch('charge', id, param);
    return ch;
  }

  listCharges(p: ChargeListParams): ListJson<ChargeJson> {
    const all = [...this.charges.values()].reverse().filter((x) => (!p.customer || x.customer === p.customer) && (!p.payment_intent || x.payment_intent === p.payment_intent));
    return this.page(all, p, '/v1/charges', (x) => x.created);
  }

  createRefund(p: RefundCreateParams): RefundJson {
    if (p.charge && p.payment_intent) throw invalidRequest('You may only specify one of these parameters: charge, payment_intent.', 'payment_intent');
    let charge: ChargeJson;
    if (p.charge) charge = this.charge(p.charge, 'charge');
    else if (p.payment_intent) {
      const pi = this.paymentIntent(p.payment_intent, 'payment_intent');
      if (pi.status !== 'succeeded' || !pi.latest_charge)
        throw invalidRequest(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, 'payment_intent', 'charge_not_refundable');
      charge = this.charge(pi.latest_charge);
    } else throw invalidRequest('One of the following params should be provided for this request: charge or payment_intent.', 'charge', 'parameter_missing');
    if (charge.status !== 'succeeded') throw invalidRequest(`Charge ${charge.id} has not succeeded and cannot be refunded.`, 'charge', 'charge_not_refundable');
    const left = charge.amount - charge.amount_refunded;
    if (left <= 0) throw invalidRequest(`Charge ${charge.id} has already been refunded.`, 'charge', 'charge_already_refunded');
    const amount = p.amount ?? left;
    if (amount <= 0) throw invalidRequest('Refund amount must be greater than 0.', 'amount');
    if (amount > left)
      throw invalidRequest(`Refund amount (${formatAmount(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatAmount(left, charge.currency)})`, 'amount', 'amount_too_large');
    const pm = this.paymentMethods.get(charge.payment_method);
    const r: RefundJson = {
      id: stripeId('re', 24),
      object: 'refund',
      amount,
      balance_transaction: stripeId('txn', 24),
      charge: charge.id,
      created: this.now(),
      currency: charge.currency,
      customer: charge.customer,
      customer_account: null,
      destination_details: { card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' }, type: 'card' },
      metadata: mergeMetadata({}, p.metadata),
      payment_intent: charge.payment_intent,
      payment_method: pm?.id ?? charge.payment_method,
      reason: p.reason ?? null,
      receipt_number: null,
      source_transfer_reversal: null,
      status: 'succeeded',
      transfer_reversal: null,
    };
    this.refunds.set(r.id, r);
    const before = this.render(charge);
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    this.emit('charge.refunded', charge, previousAttributes(before, charge));
    this.emit('refund.created', r);
    return this.render(r);
  }

  refund(id: string): RefundJson {
    const r = this.refunds.get(id);
    if (!r) throw noSuch('refund', id);
    return r;
  }

  listRefunds(p: ListParams & { charge?: string | null; payment_intent?: string | null }): ListJson<RefundJson> {
    const all = [...this.refunds.values()].reverse().filter((x) => (!p.charge || x.charge === p.charge) && (!p.payment_intent || x.payment_intent === p.payment_intent));
    return this.page(all, p, p.charge ? `/v1/charges/${p.charge}/refunds` : '/v1/refunds', (x) => x.created);
  }

  // ---- billing portal ----

  createPortalSession(p: PortalCreateParams): PortalSessionJson {
    if (!p.customer) throw missingParam('customer');
    const customer = this.customer(p.customer, 'customer');
    const returnUrl = validUrl(p.return_url, 'return_url');
    const id = stripeId('bps', 24);
    const s: PortalSessionJson = {
      id,
      object: 'billing_portal.session',
      configuration: p.configuration ?? PORTAL_CONFIGURATION,
      created: this.now(),
      customer: customer.id,
      customer_account: null,
      flow: null,
      livemode: false,
      locale: p.locale ?? null,
      on_behalf_of: null,
      return_url: returnUrl,
      url: `${this.opts.publicUrl}/p/session/${id}`,
    };
    this.portalSessions.set(id, s);
    this.emit('billing_portal.session.created', s);
    return this.render(s);
  }

  portalView(id: string): { session: PortalSessionJson; customer: CustomerJson; subscriptions: SubscriptionJson[] } | undefined {
    const s = this.portalSessions.get(id);
    const customer = s ? this.customers.get(s.customer) : undefined;
    if (!s || !customer) return undefined;
    const subscriptions = [...this.subscriptions.values()].filter((x) => x.customer === customer.id && x.status !== 'canceled').map((x) => this.render(x));
    return { session: structuredClone(s), customer: structuredClone(customer), subscriptions };
  }

  // ---- events ----

  event(id: string): StripeEventJson {
    const e = this.events.get(id);
    if (!e) throw noSuch('event', id);
    return e;
  }

  listEvents(p: EventListParams): ListJson<StripeEventJson> {
    const patterns = [...(p.type ? [p.type] : []), ...(p.types ?? [])];
    const matches = (t: string): boolean => patterns.length === 0 || patterns.some((x) => (x.endsWith('.*') ? t.startsWith(x.slice(0, -1)) : t === x));
    const all = [...this.events.values()].reverse().filter((e) => matches(e.type));
    return this.page(all, p, '/v1/events', (e) => e.created);
  }

  // ---- test controls ----

  failNextPayments(target: string, count: number): void {
    if (!Number.isInteger(count) || count < 0) throw invalidRequest('count must be a non-negative integer', 'count');
    if (target.startsWith('sub_')) this.subscription(target, 'target');
    else this.customer(target, 'target');
    if (count === 0) this.failures.delete(target);
    else this.failures.set(target, count);
    this.persist();
  }

  /**
   * Payments for the customer/subscription work again: pending failures are cleared, so the next
   * scheduled retry succeeds. With `retryNow`, open invoices are retried at once.
   */
  recoverPayments(target: string, retryNow = false): InvoiceJson[] {
    const subs = target.startsWith('sub_') ? [this.subscription(target, 'target')] : [...this.subscriptions.values()].filter((s) => s.customer === this.customer(target, 'target').id);
    const customerId = target.startsWith('sub_') ? subs[0].customer : target;
    this.failures.delete(customerId);
    for (const s of subs) this.failures.delete(s.id);
    const paid: InvoiceJson[] = [];
    if (retryNow) {
      const subIds = new Set(subs.map((s) => s.id));
      for (const inv of [...this.invoices.values()]) {
        const sid = inv.parent?.subscription_details.subscription;
        if (inv.status === 'open' && inv.customer === customerId && (!sid || subIds.has(sid)) && this.attemptPayment(inv, {})) paid.push(this.render(inv));
      }
    }
    return paid;
  }

  // ---- due work ----

  private nextDue(target: number): { at: number; run: () => void } | null {
    let best: { at: number; rank: number; run: () => void } | null = null;
    const consider = (at: number, rank: number, run: () => void): void => {
      if (at > target) return;
      if (!best || at < best.at || (at === best.at && rank < best.rank)) best = { at, rank, run };
    };
    for (const s of this.sessions.values()) if (s.status === 'open') consider(s.expires_at, 0, () => this.markExpired(s));
    for (const sub of this.subscriptions.values()) {
      const extra = this.subscriptionExtras.get(sub.id) ?? { trialWillEndSent: false };
      if (sub.status === 'trialing' && sub.trial_end !== null && !extra.trialWillEndSent)
        consider(Math.max(sub.trial_end - 3 * DAY, sub.created), 1, () => {
          extra.trialWillEndSent = true;
          this.subscriptionExtras.set(sub.id, extra);
          this.emit('customer.subscription.trial_will_end', sub);
        });
      if (sub.status !== 'active' && sub.status !== 'trialing' && sub.status !== 'past_due') continue;
      if (sub.cancel_at !== null && sub.cancel_at <= sub.current_period_end) consider(sub.cancel_at, 2, () => this.endSubscription(sub, 'cancellation_requested', sub.cancel_at!));
      else consider(sub.current_period_end, 3, () => this.renew(sub));
    }
    for (const inv of this.invoices.values())
      if (inv.status === 'open' && inv.next_payment_attempt !== null) consider(inv.next_payment_attempt, 4, () => this.attemptPayment(inv, {}));
    return best;
  }

  private runDue(target: number): void {
    // The guard only stops a runaway (e.g. daily plans advanced by decades).
    for (let guard = 0; guard < 100_000; guard++) {
      const next = this.nextDue(target);
      if (!next) return;
      this.pinned = next.at;
      try {
        next.run();
      } finally {
        this.pinned = null;
      }
      this.flush();
    }
    this.opts.logger.warn({ target }, 'stripe-emulator: stopped running due work after 100000 steps');
  }

  // ---- idempotency ----

  idempotent(key: string): IdempotencyEntry | undefined {
    const e = this.idempotency.get(key);
    if (e && Date.now() - e.at > IDEMPOTENCY_TTL_MS) {
      this.idempotency.delete(key);
      return undefined;
    }
    return e;
  }

  remember(key: string, entry: IdempotencyEntry): void {
    this.idempotency.set(key, entry);
    while (this.idempotency.size > MAX_IDEMPOTENCY) this.idempotency.delete(this.idempotency.keys().next().value as string);
    this.persist();
  }

  // ---- persistence ----

  private load(): void {
    if (!this.file || !existsSync(this.file)) return;
    const s = JSON.parse(readFileSync(this.file, 'utf8')) as PersistedState;
    if (s.version !== 1) throw new Error(`${this.file}: unknown state version ${String(s.version)}`);
    this.clockOffset = s.clockOffset;
    const fill = <T extends { id: string }>(map: Map<string, T>, list: T[]): void => {
      for (const x of list) map.set(x.id, x);
    };
    fill(this.customers, s.customers);
    fill(this.products, s.products);
    fill(this.prices, s.prices);
    fill(this.coupons, s.coupons);
    fill(this.discounts, s.discounts);
    fill(this.sessions, s.sessions);
    fill(this.subscriptions, s.subscriptions);
    fill(this.invoices, s.invoices);
    fill(this.invoiceItems, s.invoiceItems);
    fill(this.invoicePayments, s.invoicePayments);
    fill(this.paymentIntents, s.paymentIntents);
    fill(this.paymentMethods, s.paymentMethods);
    fill(this.charges, s.charges);
    fill(this.refunds, s.refunds);
    fill(this.portalSessions, s.portalSessions);
    fill(this.events, s.events);
    for (const [k, v] of s.sessionExtras) this.sessionExtras.set(k, v);
    for (const [k, v] of s.subscriptionExtras) this.subscriptionExtras.set(k, v);
    for (const [k, v] of s.invoiceExtras) this.invoiceExtras.set(k, v);
    for (const [k, v] of s.failures) this.failures.set(k, v);
    for (const [k, v] of s.idempotency) this.idempotency.set(k, v);
    this.dispatcher.restore(s.deliveries, s.holding);
  }

  /**
   * Saves soon rather than now: a busy stack changes state (deliveries, events) many times a
   * second and the file holds the event history, so writes are coalesced; close() saves at once.
   */
  private persist(): void {
    if (!this.file || this.saveTimer || this.closed) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.save();
    }, SAVE_DELAY_MS);
    this.saveTimer.unref();
  }

  private save(): void {
    if (!this.file || !this.opts.dataDir) return;
    const state: PersistedState = {
      version: 1,
      clockOffset: this.clockOffset,
      customers: [...this.customers.values()],
      products: [...this.products.values()],
      prices: [...this.prices.values()],
      coupons: [...this.coupons.values()],
      discounts: [...this.discounts.values()],
      sessions: [...this.sessions.values()],
      sessionExtras: [...this.sessionExtras],
      subscriptions: [...this.subscriptions.values()],
      subscriptionExtras: [...this.subscriptionExtras],
      invoices: [...this.invoices.values()],
      invoiceExtras: [...this.invoiceExtras],
      invoiceItems: [...this.invoiceItems.values()],
      invoicePayments: [...this.invoicePayments.values()],
      paymentIntents: [...this.paymentIntents.values()],
      paymentMethods: [...this.paymentMethods.values()],
      charges: [...this.charges.values()],
      refunds: [...this.refunds.values()],
      portalSessions: [...this.portalSessions.values()],
      events: [...this.events.values()],
      failures: [...this.failures],
      idempotency: [...this.idempotency],
      holding: this.dispatcher?.isHolding() ?? false,
      deliveries: this.dispatcher?.snapshot() ?? [],
    };
    mkdirSync(this.opts.dataDir, { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(state));
    renameSync(tmp, this.file);
  }
}

export function planOf(price: PriceJson): PlanJson {
  const rec = price.recurring ?? { interval: 'month' as Interval, interval_count: 1 };
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: String(price.unit_amount),
    billing_scheme: 'per_unit',
    created: price.created,
    currency: price.currency,
    interval: rec.interval,
    interval_count: rec.interval_count,
    livemode: false,
    metadata: { ...price.metadata },
    meter: null,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: 'licensed',
  };
}

