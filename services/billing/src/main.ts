import { runWhenMain } from '@flix/config';
import type { Logger } from '@flix/logging';
import { BillingServiceService } from '@flix/proto/flix/billing/v1/billing_service';
import { ErasedUsers, grpcService, jwksVerifierRefusingErased, personalDataService, runService } from '@flix/service';
import { BillingPersonalData } from './privacy/personal-data.js';
import { CatalogMovieDirectory } from './catalog/movie-directory.js';
import { readBillingConfig } from './config.js';
import { Billing } from './domain/billing.js';
import { systemClock, type Clock, type MovieDirectory, type PaymentProvider } from './domain/ports.js';
import { startCustomerConsumer, startOffersConsumer, startPlaybackConsumer, startWebhookConsumer } from './events/consumers.js';
import { billingOutboxWriter } from './events/event-writer.js';
import { billingHandlers } from './grpc/billing-handlers.js';
import { stripeWebhookRoute } from './http/stripe-webhook.js';
import { BILLING_INDEXES } from './storage/indexes.js';
import { MongoBillingStore } from './storage/billing-store.js';
import { createStripeGateway, StripeSignatureError } from './stripe/index.js';

export interface BillingOverrides {
  /** Billing's "now" (grace periods, rental windows); tests move it with the Stripe emulator's clock. */
  clock?: Clock;
  /** Tests may swap Stripe for a double. */
  stripe?: { provider: PaymentProvider; isSignatureError: (e: unknown) => boolean };
  /** Tests may swap the catalog for a double. */
  movies?: MovieDirectory;
}

/** The composition root: the only place billing's pieces are wired together. */
export function startBilling(env: Record<string, string | undefined> = process.env, overrides: BillingOverrides = {}) {
  return runService({
    name: 'billing',
    config: readBillingConfig(env),
    indexes: BILLING_INDEXES,
    async build({ cfg, logger, mongo, nats, outbox, idempotency, client, consumer, every }) {
      const clock = overrides.clock ?? systemClock;
      const store = new MongoBillingStore(mongo.client, mongo.db, billingOutboxWriter(outbox, cfg.FLIX_PAST_DUE_GRACE_DAYS));
      const stripe = overrides.stripe?.provider ?? createStripeGateway({ secretKey: cfg.STRIPE_SECRET_KEY, webhookSecret: cfg.STRIPE_WEBHOOK_SECRET, apiBase: cfg.STRIPE_API_BASE });
      const isSignatureError = overrides.stripe?.isSignatureError ?? ((e: unknown) => e instanceof StripeSignatureError);
      const billing = new Billing({
        store,
        stripe,
        movies: overrides.movies ?? client(new CatalogMovieDirectory(cfg.CATALOG_GRPC_ADDR)),
        clock,
        settings: {
          graceDays: cfg.FLIX_PAST_DUE_GRACE_DAYS,
          rentalWindowDays: cfg.FLIX_RENTAL_WINDOW_DAYS,
          rentalPlayHours: cfg.FLIX_RENTAL_PLAY_HOURS,
          defaultReturnUrl: cfg.FLIX_CHECKOUT_RETURN_URL,
        },
        warn: (fields, message) => logger.warn(fields, message),
      });
      if (cfg.FLIX_SEED_PLANS) await seedPlans(billing, logger);
      // Account deletion (issue 14): tombstones refuse a deleted account's tokens, the consumer erases.
      const erased = new ErasedUsers(mongo.db);
      await erased.init();
      every('erased accounts refresh', 2_000, () => erased.refresh());
      const privacy = new BillingPersonalData({ client: mongo.client, db: mongo.db, store, stripe, erased, outbox });
      every('stripe customer deletions owed', 60_000, () => privacy.retryStripeDeletions());

      return {
        grpc: [
          grpcService(BillingServiceService, billingHandlers(billing), { name: 'flix.billing.v1.BillingService', publicMethods: ['listPlans'] }),
          personalDataService('billing', (userId) => privacy.export(userId)),
        ],
        verifier: jwksVerifierRefusingErased(cfg, erased),
        routes: [stripeWebhookRoute({ billing, verifier: stripe, isSignatureError, logger })],
        async start() {
          const deps = { nats, billing, store, stripe, idempotency, logger, clock, privacy };
          for (const startConsumer of [startWebhookConsumer, startCustomerConsumer, startOffersConsumer, startPlaybackConsumer]) consumer(await startConsumer(deps));
          every('rental sweep', cfg.FLIX_RENTAL_SWEEP_SECONDS * 1000, () => billing.sweepRentals());
        },
        summary: { stripe: cfg.STRIPE_API_BASE ?? 'api.stripe.com' },
        handle: {
          billing,
          store,
          /** Closes rentals whose time is up now (the sweeper does it on its interval). */
          sweepRentals: () => billing.sweepRentals(),
          /** Retries the Stripe customer deletions still owed now (the timer does it every minute). */
          retryStripeDeletions: () => privacy.retryStripeDeletions(),
        },
      };
    },
  });
}

/** Stripe (or its emulator) may still be starting: retry for a while before giving up. */
async function seedPlans(billing: Billing, logger: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const seeded = await billing.seedPlans();
      logger.info({ seeded }, 'default plans checked');
      return;
    } catch (err) {
      if (attempt >= 10) throw err;
      logger.warn({ err: err instanceof Error ? err.message : String(err), attempt }, 'seeding plans failed; retrying');
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

export type BillingHandle = Awaited<ReturnType<typeof startBilling>>;

runWhenMain(import.meta.url, () => startBilling());
