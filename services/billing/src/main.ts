import { createAccessTokenVerifier } from '@flix/auth';
import { runWhenMain } from '@flix/config';
import { connectNats, ensureStreams, MongoIdempotencyStore, Outbox } from '@flix/events';
import { GrpcServer } from '@flix/grpc';
import { startHttpServer } from '@flix/http';
import { createLogger } from '@flix/logging';
import { connectMongo, ensureIndexes } from '@flix/mongo';
import { readDescriptorSet } from '@flix/proto/descriptor';
import { BillingServiceService } from '@flix/proto/flix/billing/v1/billing_service';
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
export async function startBilling(env: Record<string, string | undefined> = process.env, overrides: BillingOverrides = {}) {
  const cfg = readBillingConfig(env);
  const logger = createLogger('billing', { level: cfg.LOG_LEVEL });
  const clock = overrides.clock ?? systemClock;

  const mongo = await connectMongo(cfg.MONGO_URL, cfg.MONGO_DB, 'billing');
  await ensureIndexes(mongo.db, BILLING_INDEXES);
  const nats = await connectNats(cfg.NATS_URL, 'billing');
  await ensureStreams(nats.jsm);
  const outbox = new Outbox(mongo.db, { js: nats.js, logger, service: 'billing' });
  await outbox.init();
  void outbox.start();

  const store = new MongoBillingStore(mongo.client, mongo.db, billingOutboxWriter(outbox, cfg.FLIX_PAST_DUE_GRACE_DAYS));
  const stripe = overrides.stripe?.provider ?? createStripeGateway({ secretKey: cfg.STRIPE_SECRET_KEY, webhookSecret: cfg.STRIPE_WEBHOOK_SECRET, apiBase: cfg.STRIPE_API_BASE });
  const isSignatureError = overrides.stripe?.isSignatureError ?? ((e: unknown) => e instanceof StripeSignatureError);
  const catalogDirectory = overrides.movies ? null : new CatalogMovieDirectory(cfg.CATALOG_GRPC_ADDR);
  const movies = overrides.movies ?? catalogDirectory!;
  const billing = new Billing({
    store,
    stripe,
    movies,
    clock,
    settings: {
      graceDays: cfg.FLIX_PAST_DUE_GRACE_DAYS,
      rentalWindowDays: cfg.FLIX_RENTAL_WINDOW_DAYS,
      rentalPlayHours: cfg.FLIX_RENTAL_PLAY_HOURS,
      defaultReturnUrl: cfg.FLIX_CHECKOUT_RETURN_URL,
    },
    warn: (fields, message) => logger.warn(fields, message),
  });

  if (cfg.FLIX_SEED_PLANS) {
    // Stripe (or its emulator) may still be starting: retry for a while before giving up.
    for (let attempt = 1; ; attempt++) {
      try {
        const seeded = await billing.seedPlans();
        logger.info({ seeded }, 'default plans checked');
        break;
      } catch (err) {
        if (attempt >= 10) throw err;
        logger.warn({ err: err instanceof Error ? err.message : String(err), attempt }, 'seeding plans failed; retrying');
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  }

  const verifier = createAccessTokenVerifier({ issuer: cfg.FLIX_JWT_ISSUER, audience: cfg.FLIX_JWT_AUDIENCE, keys: { jwksUrl: cfg.FLIX_JWKS_URL } });
  const grpc = new GrpcServer({ service: 'billing', logger, verifier, descriptorSet: readDescriptorSet() });
  grpc.add(BillingServiceService, billingHandlers(billing), { name: 'flix.billing.v1.BillingService', publicMethods: ['listPlans'] });
  const grpcPort = await grpc.start(cfg.GRPC_HOST, cfg.GRPC_PORT);
  let ready = false;
  const http = await startHttpServer({
    service: 'billing',
    port: cfg.HTTP_PORT,
    host: cfg.GRPC_HOST,
    logger,
    ready: () => ready,
    routes: [stripeWebhookRoute({ billing, verifier: stripe, isSignatureError, logger })],
  });

  const consumerDeps = { nats, billing, store, stripe, idempotency: new MongoIdempotencyStore(mongo.db), logger, clock };
  const consumers = [
    await startWebhookConsumer(consumerDeps),
    await startCustomerConsumer(consumerDeps),
    await startOffersConsumer(consumerDeps),
    await startPlaybackConsumer(consumerDeps),
  ];

  let sweeping: Promise<unknown> = Promise.resolve();
  const sweep = () => {
    sweeping = billing.sweepRentals().catch((err: unknown) => logger.warn({ err }, 'rental sweep failed'));
    return sweeping;
  };
  const sweeper = setInterval(() => void sweep(), cfg.FLIX_RENTAL_SWEEP_SECONDS * 1000);
  sweeper.unref();

  ready = true;
  grpc.setServing(true);
  logger.info({ grpcPort, httpPort: http.port, stripe: cfg.STRIPE_API_BASE ?? 'api.stripe.com' }, 'billing ready');

  return {
    grpcPort,
    httpPort: http.port,
    billing,
    store,
    /** Closes rentals whose time is up now (the sweeper does it on its interval). */
    sweepRentals: () => billing.sweepRentals(),
    async stop() {
      ready = false;
      clearInterval(sweeper);
      await sweeping;
      await grpc.stop();
      await http.close();
      for (const c of consumers) await c.stop();
      await outbox.stop();
      await nats.drain();
      catalogDirectory?.close();
      await mongo.close();
      logger.info('billing stopped');
    },
  };
}

export type BillingHandle = Awaited<ReturnType<typeof startBilling>>;

runWhenMain(import.meta.url, () => startBilling());
