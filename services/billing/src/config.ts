import { bool, credentialsOrEmulator, grpcAddress, loadConfig, serviceConfigShape, z } from '@flix/config';

/** Everything billing reads from the environment, validated once at start. */
export function readBillingConfig(env: Record<string, string | undefined> = process.env) {
  const cfg = loadConfig(
    {
      ...serviceConfigShape({ database: 'billing', grpcPort: 50053, httpPort: 8093 }),
      /** Catalog's gRPC address, for a title's rental price and required tier. */
      CATALOG_GRPC_ADDR: grpcAddress('127.0.0.1:50052'),
      STRIPE_SECRET_KEY: z.string().optional(),
      STRIPE_WEBHOOK_SECRET: z.string().optional(),
      /** The local Stripe emulator's URL; absent: api.stripe.com. */
      STRIPE_API_BASE: z.url().optional(),
      /** A past-due subscription keeps access this long after the first failed renewal. */
      FLIX_PAST_DUE_GRACE_DAYS: z.coerce.number().min(0).max(60).default(7),
      /** A paid rental is playable this long… */
      FLIX_RENTAL_WINDOW_DAYS: z.coerce.number().positive().max(365).default(30),
      /** …and this long once playback has started, whichever ends first. */
      FLIX_RENTAL_PLAY_HOURS: z.coerce.number().positive().max(24 * 30).default(48),
      /** Create the six default plans (and their Stripe products and prices) on first start. */
      FLIX_SEED_PLANS: bool(true),
      /** Where Checkout sends the browser back when a client names no URL. */
      FLIX_CHECKOUT_RETURN_URL: z.url().default('http://localhost:8080/account'),
      /** How often expired rentals are closed (and billing.rental.expired published). */
      FLIX_RENTAL_SWEEP_SECONDS: z.coerce.number().positive().default(30),
    },
    env,
  );
  return {
    ...cfg,
    ...credentialsOrEmulator(
      cfg,
      { STRIPE_SECRET_KEY: 'sk_test_flix_emulator', STRIPE_WEBHOOK_SECRET: 'whsec_flix_emulator' },
      { api: 'Stripe', variable: 'STRIPE_API_BASE', url: cfg.STRIPE_API_BASE },
    ),
  };
}

export type BillingConfig = ReturnType<typeof readBillingConfig>;
