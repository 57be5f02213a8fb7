import type { BillingDeps, BillingSettings } from './common.js';
import { Customers } from './customers.js';
import { Entitlements } from './entitlements.js';
import { Offers } from './offers.js';
import { Payments } from './payments.js';
import { Plans } from './plans.js';
import { Rentals } from './rentals.js';
import { StripeWebhooks } from './stripe-webhooks.js';
import { Subscriptions } from './subscriptions.js';

export type { BillingDeps, BillingSettings } from './common.js';

/**
 * Billing's use cases, one object per aggregate over the same ports. Every state change commits
 * with its events and the account's entitlement document. Handlers and consumers call the
 * aggregates (`billing.rentals.rent(...)`); main.ts builds this once.
 */
export class Billing {
  readonly settings: BillingSettings;
  readonly plans: Plans;
  readonly customers: Customers;
  readonly subscriptions: Subscriptions;
  readonly payments: Payments;
  readonly rentals: Rentals;
  readonly offers: Offers;
  readonly entitlements: Entitlements;
  readonly webhooks: StripeWebhooks;

  constructor(deps: BillingDeps) {
    this.settings = deps.settings;
    this.plans = new Plans(deps);
    this.customers = new Customers(deps);
    this.subscriptions = new Subscriptions(deps, this.customers);
    this.payments = new Payments(deps);
    this.rentals = new Rentals(deps, this.customers);
    this.offers = new Offers(deps);
    this.entitlements = new Entitlements(deps, this.rentals);
    this.webhooks = new StripeWebhooks(deps, this.subscriptions);
  }

  /** Start-up: the default plans that do not exist yet (main.ts). */
  seedPlans(): Promise<number> {
    return this.plans.seed();
  }

  /** The sweeper's tick: closes rentals whose time is up (main.ts). */
  sweepRentals(limit?: number): Promise<number> {
    return this.rentals.sweep(limit);
  }
}
