/**
 * What the resources share: the options, the objects, the clock and the event outbox, and each
 * other (a checkout payment starts a subscription, whose renewal bills an invoice, whose failed
 * payment may end the subscription). StripeEngine is the one implementation.
 */
import type { Logger } from '../types.js';
import type { WebhookRetryPolicy } from '../webhooks.js';
import type { Coupons } from '../resources/coupons.js';
import type { Customers } from '../resources/customers.js';
import type { Invoices } from '../resources/invoices.js';
import type { Collection } from '../resources/collection.js';
import type { Payments } from '../resources/payments.js';
import type { PaymentFailures } from '../resources/payment-failures.js';
import type { Prices } from '../resources/prices.js';
import type { Products } from '../resources/products.js';
import type { Subscriptions } from '../resources/subscriptions.js';
import type { Database } from './db.js';
import type { EventLog } from './events.js';

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

export interface Billing {
  readonly opts: EngineOptions;
  readonly db: Database;
  readonly events: EventLog;
  /** Emulator time, unix seconds. */
  now(): number;
  readonly customers: Customers;
  readonly products: Products;
  readonly prices: Prices;
  readonly coupons: Coupons;
  readonly subscriptions: Subscriptions;
  readonly invoices: Invoices;
  readonly collection: Collection;
  readonly payments: Payments;
  readonly failures: PaymentFailures;
}
