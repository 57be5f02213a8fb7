/**
 * Every object the emulator holds, one ObjectStore per kind, plus what some objects carry beyond
 * their wire shape (the "extras"). It also knows how a stored object goes on the wire and finds
 * any object by its id's prefix, for `expand[]`.
 */
import type {
  ChargeJson,
  CheckoutSessionJson,
  CouponJson,
  CustomerJson,
  DiscountJson,
  InvoiceItemJson,
  InvoiceJson,
  InvoicePaymentJson,
  LineItemJson,
  Metadata,
  PaymentIntentJson,
  PaymentMethodJson,
  PortalSessionJson,
  PriceJson,
  ProductJson,
  RefundJson,
  StripeEventJson,
  SubscriptionJson,
} from '../model.js';
import { ObjectStore } from './store.js';
import { planOf } from './support.js';

/** What a checkout session holds beyond its wire shape. */
export interface SessionExtra {
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

export interface SubscriptionExtra {
  trialWillEndSent: boolean;
}

export interface InvoiceExtra {
  paymentIntent: string | null;
}

/** The stores' part of the saved state file (field names are the file format). */
export interface SavedObjects {
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
}

export class Database {
  private readonly renderFn = <T extends object>(obj: T): T => this.render(obj);
  readonly customers = new ObjectStore<CustomerJson>('customer', this.renderFn);
  readonly products = new ObjectStore<ProductJson>('product', this.renderFn);
  readonly prices = new ObjectStore<PriceJson>('price', this.renderFn);
  readonly coupons = new ObjectStore<CouponJson>('coupon', this.renderFn);
  readonly discounts = new ObjectStore<DiscountJson>('discount', this.renderFn);
  readonly sessions = new ObjectStore<CheckoutSessionJson>('checkout.session', this.renderFn);
  readonly subscriptions = new ObjectStore<SubscriptionJson>('subscription', this.renderFn);
  readonly invoices = new ObjectStore<InvoiceJson>('invoice', this.renderFn);
  readonly invoiceItems = new ObjectStore<InvoiceItemJson>('invoiceitem', this.renderFn);
  readonly invoicePayments = new ObjectStore<InvoicePaymentJson>('invoice_payment', this.renderFn);
  readonly paymentIntents = new ObjectStore<PaymentIntentJson>('payment_intent', this.renderFn);
  readonly paymentMethods = new ObjectStore<PaymentMethodJson>('PaymentMethod', this.renderFn);
  readonly charges = new ObjectStore<ChargeJson>('charge', this.renderFn);
  readonly refunds = new ObjectStore<RefundJson>('refund', this.renderFn);
  readonly portalSessions = new ObjectStore<PortalSessionJson>('billing_portal.session', this.renderFn);
  readonly events = new ObjectStore<StripeEventJson>('event', this.renderFn);

  readonly sessionExtras = new Map<string, SessionExtra>();
  readonly subscriptionExtras = new Map<string, SubscriptionExtra>();
  readonly invoiceExtras = new Map<string, InvoiceExtra>();

  /** The wire form of a stored object: a copy, with embedded prices refreshed. */
  render<T extends object>(obj: T): T {
    const out = structuredClone(obj);
    const o = out as unknown as { object?: string };
    if (o.object === 'subscription') {
      for (const item of (out as unknown as SubscriptionJson).items.data) {
        item.price = structuredClone(this.prices.find(item.price.id) ?? item.price);
        item.plan = planOf(item.price);
      }
    }
    return out;
  }

  /** The stored object an id names, by its prefix (coupon ids have none: `key` says when one is meant). */
  byId(id: string, key: string): object | undefined {
    if (key === 'coupon' || key.endsWith('.coupon')) return this.coupons.find(id);
    const stores: [string, ObjectStore<{ id: string }>][] = [
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
    return stores.find(([prefix]) => id.startsWith(prefix))?.[1].find(id);
  }

  snapshot(): SavedObjects {
    return {
      customers: this.customers.all(),
      products: this.products.all(),
      prices: this.prices.all(),
      coupons: this.coupons.all(),
      discounts: this.discounts.all(),
      sessions: this.sessions.all(),
      sessionExtras: [...this.sessionExtras],
      subscriptions: this.subscriptions.all(),
      subscriptionExtras: [...this.subscriptionExtras],
      invoices: this.invoices.all(),
      invoiceExtras: [...this.invoiceExtras],
      invoiceItems: this.invoiceItems.all(),
      invoicePayments: this.invoicePayments.all(),
      paymentIntents: this.paymentIntents.all(),
      paymentMethods: this.paymentMethods.all(),
      charges: this.charges.all(),
      refunds: this.refunds.all(),
      portalSessions: this.portalSessions.all(),
      events: this.events.all(),
    };
  }

  restore(s: SavedObjects): void {
    this.customers.restore(s.customers);
    this.products.restore(s.products);
    this.prices.restore(s.prices);
    this.coupons.restore(s.coupons);
    this.discounts.restore(s.discounts);
    this.sessions.restore(s.sessions);
    this.subscriptions.restore(s.subscriptions);
    this.invoices.restore(s.invoices);
    this.invoiceItems.restore(s.invoiceItems);
    this.invoicePayments.restore(s.invoicePayments);
    this.paymentIntents.restore(s.paymentIntents);
    this.paymentMethods.restore(s.paymentMethods);
    this.charges.restore(s.charges);
    this.refunds.restore(s.refunds);
    this.portalSessions.restore(s.portalSessions);
    this.events.restore(s.events);
    for (const [k, v] of s.sessionExtras) this.sessionExtras.set(k, v);
    for (const [k, v] of s.subscriptionExtras) this.subscriptionExtras.set(k, v);
    for (const [k, v] of s.invoiceExtras) this.invoiceExtras.set(k, v);
  }
}
