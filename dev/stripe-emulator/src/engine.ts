/**
 * The emulator's state and the billing lifecycle Stripe runs, composed from one module per
 * resource (resources/) over shared core pieces (core/): one ObjectStore per object kind, the
 * emulator clock and its due work, the event outbox, idempotency replay and the state file.
 *
 * Every operation runs through run(): work that fell due runs first, then the operation, then its
 * events are recorded and queued for delivery in a fixed order and the state is saved (writes
 * are coalesced; close() saves at once). Time is an emulator clock (wall clock + an offset that
 * advanceClock() moves, as Stripe test clocks do).
 */
import { invalidRequest } from './errors.js';
import type { CheckoutSessionJson, InvoiceJson, ListJson } from './model.js';
import { EmulatorClock, type DueSource } from './core/clock.js';
import type { Billing, EngineOptions } from './core/context.js';
import { Database } from './core/db.js';
import { EventLog, type RequestContext } from './core/events.js';
import { Expander } from './core/expand.js';
import { IdempotencyCache } from './core/idempotency.js';
import { StateSaver } from './core/state.js';
import { Checkout } from './resources/checkout.js';
import { Collection } from './resources/collection.js';
import { Coupons } from './resources/coupons.js';
import { Customers } from './resources/customers.js';
import { Invoices } from './resources/invoices.js';
import { PaymentFailures } from './resources/payment-failures.js';
import { Payments } from './resources/payments.js';
import { Portal } from './resources/portal.js';
import { Prices } from './resources/prices.js';
import { Products } from './resources/products.js';
import { Refunds } from './resources/refunds.js';
import { SubscriptionChanges } from './resources/subscription-changes.js';
import { Subscriptions } from './resources/subscriptions.js';
import { WebhookDispatcher, type SignatureMode, type WebhookDelivery } from './webhooks.js';

export { DEFAULT_DUNNING, type DunningPolicy, type EngineOptions } from './core/context.js';
export type { RequestContext } from './core/events.js';
export type { IdempotencyEntry } from './core/idempotency.js';
export { CHECKOUT_ORDER } from './resources/checkout.js';

export class StripeEngine implements Billing {
  readonly db = new Database();
  readonly dispatcher: WebhookDispatcher;
  readonly events: EventLog;
  readonly idempotency = new IdempotencyCache(() => this.persist());

  readonly customers: Customers = new Customers(this);
  readonly products: Products = new Products(this);
  readonly prices: Prices = new Prices(this);
  readonly coupons: Coupons = new Coupons(this);
  readonly checkout: Checkout = new Checkout(this);
  readonly subscriptions: Subscriptions = new Subscriptions(this);
  readonly subscriptionChanges: SubscriptionChanges = new SubscriptionChanges(this);
  readonly invoices: Invoices = new Invoices(this);
  readonly collection: Collection = new Collection(this);
  readonly payments: Payments = new Payments(this);
  readonly refunds: Refunds = new Refunds(this);
  readonly portal: Portal = new Portal(this);
  readonly failures: PaymentFailures = new PaymentFailures(this, () => this.persist());

  private readonly clock = new EmulatorClock();
  /** Resources with scheduled work, in the order ties between them are broken. */
  private readonly dueSources: readonly DueSource[] = [this.checkout, this.subscriptions, this.invoices];
  private readonly expander = new Expander(this.db, (node, key) => this.includable(node, key));
  private readonly state: StateSaver;
  private webhookUrl: string | undefined;
  private readonly ticker: NodeJS.Timeout;
  private closed = false;

  constructor(readonly opts: EngineOptions) {
    this.webhookUrl = opts.webhookUrl;
    this.state = new StateSaver(opts.dataDir, () => ({
      clockOffset: this.clock.offset,
      ...this.db.snapshot(),
      failures: this.failures.snapshot(),
      idempotency: this.idempotency.snapshot(),
      holding: this.dispatcher?.isHolding() ?? false,
      // Serialised at once: no copy (snapshot() clones the whole history, every 200 ms under load).
      deliveries: (this.dispatcher?.persisted() ?? []) as WebhookDelivery[],
    }));
    this.dispatcher = new WebhookDispatcher({
      secret: opts.webhookSecret,
      url: () => this.webhookUrl,
      retry: opts.retry,
      logger: opts.logger,
      changed: () => this.persist(),
    });
    this.events = new EventLog({
      store: this.db.events,
      apiVersion: opts.apiVersion,
      now: () => this.now(),
      render: (obj) => this.db.render(obj),
      hasEndpoint: () => Boolean(this.webhookUrl),
      deliver: (body) => void this.dispatcher.send(body),
    });
    this.load();
    // Wall-clock time passes too (session expiry in a long-running dev stack); advanceClock() covers the rest.
    this.ticker = setInterval(() => this.tick(), 1_000);
    this.ticker.unref();
  }

  // ---- clock and operations ----

  /** Emulator time, unix seconds. */
  now(): number {
    return this.clock.now();
  }

  /** Moves the clock and runs, in time order, everything that fell due in between. */
  advanceClock(seconds: number): number {
    if (!Number.isInteger(seconds) || seconds < 0) throw invalidRequest('seconds must be a non-negative integer', 'seconds');
    const target = this.now() + seconds;
    this.clock.offset += seconds;
    this.runDue(target);
    this.persist();
    return this.now();
  }

  /** Runs work that fell due by wall-clock time; called before every request and every second. */
  tick(): void {
    if (this.closed) return;
    this.runDue(this.now());
  }

  /** Runs one operation: its events are recorded and queued for delivery, the state is saved. */
  run<T>(request: RequestContext | null, fn: () => T, order?: readonly string[]): T {
    this.tick();
    this.events.request = request;
    try {
      return fn();
    } finally {
      this.events.request = null;
      // Validation throws before anything changes, so whatever was emitted did happen (a card
      // error on invoices.pay still sends invoice.payment_failed).
      this.flush(order);
    }
  }

  /** The response for `value` with the `expand[]` paths expanded. */
  expand<T extends object>(value: T, paths: readonly string[] | undefined): T {
    return this.expander.expand(value, paths);
  }

  /** The wire form of a stored object. */
  render<T extends object>(obj: T): T {
    return this.db.render(obj);
  }

  // ---- test controls (the hosted page's buttons, failing cards, webhooks) ----

  payCheckout(id: string): CheckoutSessionJson {
    return this.checkout.pay(id);
  }

  declineCheckout(id: string): CheckoutSessionJson {
    return this.checkout.decline(id);
  }

  failNextPayments(target: string, count: number): void {
    this.failures.failNext(target, count);
  }

  recoverPayments(target: string, retryNow = false): InvoiceJson[] {
    return this.failures.recover(target, retryNow);
  }

  setWebhookUrl(url: string | undefined): void {
    this.webhookUrl = url;
  }

  deliverRaw(event: string | object, signature: SignatureMode = 'valid'): Promise<WebhookDelivery> {
    return this.dispatcher.send(typeof event === 'string' ? event : JSON.stringify(event, null, 2), signature);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.ticker);
    this.dispatcher.close();
    this.state.close();
  }

  // ---- internals ----

  private runDue(target: number): void {
    this.clock.runDue(target, this.dueSources, () => this.flush(), this.opts.logger);
  }

  private flush(order?: readonly string[]): void {
    this.events.flush(order);
    this.persist();
  }

  private persist(): void {
    this.state?.changed();
  }

  /** Lists Stripe includes only on request (`expand[]=line_items`). */
  private includable(node: Record<string, unknown>, key: string): ListJson<object> | undefined {
    const id = node.id as string;
    if (node.object === 'checkout.session' && key === 'line_items') return this.checkout.lineItems(id, {});
    if (node.object === 'invoice' && key === 'payments') return this.invoices.listPayments({ invoice: id, limit: 100 });
    if (node.object === 'charge' && key === 'refunds') return this.refunds.list({ charge: id, limit: 100 });
    return undefined;
  }

  private load(): void {
    const s = this.state.load();
    if (!s) return;
    this.clock.offset = s.clockOffset;
    this.db.restore(s);
    this.failures.restore(s.failures);
    this.idempotency.restore(s.idempotency);
    this.dispatcher.restore(s.deliveries, s.holding);
  }
}
