/**
 * A local stand-in for Stripe that the real `stripe` SDK talks to
 * (`new Stripe(key, { host, port, protocol: 'http' })`): customers, products/prices, coupons,
 * Checkout with a hosted Pay/Decline page, subscriptions with renewals, prorations, trials and
 * dunning, invoices, refunds, the billing portal and events, with signed, retried webhooks that
 * the SDK's own `stripe.webhooks.constructEvent` accepts. A movable clock (Stripe's test clocks
 * are the model) drives the lifecycle in tests.
 */
import type { RequestListener } from 'node:http';
import { listenHttp } from '@flix/emulator-kit';
import { CHECKOUT_ORDER, DEFAULT_DUNNING, StripeEngine, type DunningPolicy } from './engine.js';
import { DEFAULT_API_VERSION, type CheckoutSessionJson, type InvoiceJson } from './model.js';
import { createStripeHandler } from './server.js';
import { silentLogger, type Logger } from './types.js';
import { retryPolicy, STRIPE_RETRY, type ReleaseOrder, type SignatureMode, type WebhookDelivery, type WebhookRetryPolicy } from './webhooks.js';

export { StripeApiError } from './errors.js';
export { DEFAULT_DUNNING, type DunningPolicy } from './engine.js';
export * from './model.js';
export { signStripePayload, type ReleaseOrder, type SignatureMode, type WebhookAttempt, type WebhookDelivery, type WebhookRetryPolicy } from './webhooks.js';
export type { Logger } from './types.js';

export interface StripeEmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Where webhooks go; without one, events are recorded as `no_endpoint`. */
  webhookUrl?: string;
  /** The endpoint's signing secret (`whsec_…`), as the receiver passes it to constructEvent. */
  webhookSecret: string;
  /** When set, requests must carry it (`Authorization: Bearer sk_test_…`), else 401 as from Stripe. */
  apiKey?: string;
  /** Persist all state (objects, events, clock, pending webhooks) here; null (default) keeps it in memory. */
  dataDir?: string | null;
  /** Base of the hosted page URLs handed out (checkout, portal), when browsers reach the emulator by another address. */
  publicUrl?: string;
  /** Echoed as events' `api_version`; defaults to the version stripe@23 pins. */
  apiVersion?: string;
  /** Overrides STRIPE_RETRY: backoff 1 s doubling to 60 s, given up 3 days after the event (`giveUpAfterMs`); `maxAttempts` optionally caps attempts (tests). */
  webhookRetry?: Partial<WebhookRetryPolicy>;
  /** Retry schedule for failed renewals and what happens when it runs out. */
  dunning?: Partial<DunningPolicy>;
  logger?: Logger;
}

export interface StripeEmulator {
  /** Base URL, e.g. http://127.0.0.1:8096. */
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
  /** Emulator time in unix seconds. */
  now(): number;
  /** Moves the clock and runs what falls due (renewals, retries, trial ends, expiries); returns the new time. */
  advanceClock(seconds: number): Promise<number>;
  /** What the hosted page's Pay button does; paying a completed session again changes nothing. */
  pay(checkoutSessionId: string): Promise<CheckoutSessionJson>;
  /** What the Decline button does: payment_intent.payment_failed, the session stays open. */
  decline(checkoutSessionId: string): Promise<CheckoutSessionJson>;
  /** The next `count` payment attempts for this customer or subscription fail (checkout's own payment excepted). */
  failNextPayments(customerOrSubscriptionId: string, count?: number): void;
  /** Clears pending failures so the next retry succeeds; with retryNow, retries open invoices at once. */
  recoverPayments(customerOrSubscriptionId: string, opts?: { retryNow?: boolean }): Promise<InvoiceJson[]>;
  /** Every webhook delivery so far, oldest first (copies). */
  deliveries(): WebhookDelivery[];
  /** Sends a recorded delivery's body again, freshly signed; settles when delivered or given up. */
  redeliver(deliveryId: string): Promise<WebhookDelivery>;
  /** Sends any body (an object is serialised) signed as asked; for duplicates, reordering, old or forged events. */
  deliver(event: string | object, opts?: { signature?: SignatureMode }): Promise<WebhookDelivery>;
  /** Parks new deliveries until releaseDeliveries(). */
  holdDeliveries(): void;
  /** Sends the parked batch in the given order; settles when all of it has. */
  releaseDeliveries(opts?: { order?: ReleaseOrder }): Promise<WebhookDelivery[]>;
  /** Resolves when no delivery is pending: wait for webhooks without sleeping. */
  whenDelivered(): Promise<void>;
  setWebhookUrl(url: string | undefined): void;
}

export async function startStripeEmulator(options: StripeEmulatorOptions): Promise<StripeEmulator> {
  if (!options.webhookSecret) throw new Error('startStripeEmulator: webhookSecret is required');
  if (options.apiKey !== undefined && !/^(sk|rk)_test_/.test(options.apiKey)) throw new Error('startStripeEmulator: apiKey must be a test-mode key (sk_test_… or rk_test_…)');
  const dunning = { ...DEFAULT_DUNNING, ...options.dunning };
  if (!dunning.retryDays.every((d) => Number.isFinite(d) && d > 0)) throw new Error('startStripeEmulator: dunning.retryDays must be positive numbers of days');
  const logger = options.logger ?? silentLogger;
  const apiVersion = options.apiVersion ?? DEFAULT_API_VERSION;

  // Hosted page URLs need the bound port: bind first, then attach the handler.
  let handle: RequestListener | undefined;
  const http = await listenHttp((req, res) => (handle ? handle(req, res) : res.writeHead(503).end()), options);
  const publicUrl = (options.publicUrl ?? http.baseUrl).replace(/\/$/, '');

  let engine: StripeEngine;
  try {
    engine = new StripeEngine({
      webhookSecret: options.webhookSecret,
      webhookUrl: options.webhookUrl,
      publicUrl,
      apiVersion,
      dataDir: options.dataDir ?? null,
      retry: retryPolicy(STRIPE_RETRY, options.webhookRetry),
      dunning,
      logger,
    });
  } catch (e) {
    // A corrupt data file must not leave the port bound.
    await http.close();
    throw e;
  }
  handle = createStripeHandler({ engine, apiKey: options.apiKey, apiVersion, publicUrl, logger });

  return {
    url: http.baseUrl,
    host: http.urlHost,
    port: http.port,
    async close() {
      engine.close();
      await http.close();
    },
    now: () => engine.now(),
    advanceClock: async (seconds) => engine.advanceClock(seconds),
    pay: async (id) => engine.run(null, () => engine.payCheckout(id), CHECKOUT_ORDER),
    decline: async (id) => engine.run(null, () => engine.declineCheckout(id)),
    failNextPayments: (id, count = 1) => engine.failNextPayments(id, count),
    recoverPayments: async (id, opts) => engine.run(null, () => engine.recoverPayments(id, opts?.retryNow ?? false)),
    deliveries: () => engine.dispatcher.snapshot(),
    redeliver: (id) => engine.dispatcher.redeliver(id),
    deliver: (event, opts) => engine.deliverRaw(event, opts?.signature ?? 'valid'),
    holdDeliveries: () => engine.dispatcher.hold(),
    releaseDeliveries: (opts) => engine.dispatcher.release(opts?.order ?? 'asis'),
    whenDelivered: () => engine.dispatcher.idle(),
    setWebhookUrl: (u) => engine.setWebhookUrl(u),
  };
}
