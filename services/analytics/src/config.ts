import { grpcAddress, loadConfig, serviceConfigShape, z } from '@flix/config';

const ratio = (fallback: number) => z.coerce.number().gt(0, 'must be above 0').max(1, 'must be at most 1 (a ratio)').default(fallback);

/** Everything analytics reads from the environment, validated once at start. */
export function readAnalyticsConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(
    {
      ...serviceConfigShape({ database: 'analytics', grpcPort: 50057, httpPort: 8099 }),
      /** Billing's gRPC address, for plan prices (MRR). */
      BILLING_GRPC_ADDR: grpcAddress('127.0.0.1:50053'),
      /** How often the plan price table is refreshed from billing. */
      FLIX_PLAN_REFRESH_SECONDS: z.coerce.number().positive().default(300),
      /** How long raw events stay in the time-series event store. */
      FLIX_EVENT_RETENTION_DAYS: z.coerce.number().int().positive().max(3650).default(400),
      /** Currency revenue and MRR are reported in (payments in others are counted, not summed). */
      FLIX_REPORTING_CURRENCY: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code like USD').default('USD'),
      /** Sliding window the alert rates are measured over. */
      FLIX_ALERT_WINDOW_SECONDS: z.coerce.number().int().min(60, 'must be at least 60').max(86_400).default(300),
      /** Raise analytics.alert.raised when payment failures / attempts in the window reach this. */
      FLIX_ALERT_PAYMENT_FAILURE_RATE: ratio(0.25),
      /** …when failed logins / login attempts in the window reach this. */
      FLIX_ALERT_LOGIN_FAILURE_RATE: ratio(0.5),
      /** …when this many messages were parked on the DLQ in the window. */
      FLIX_ALERT_DEAD_LETTERS: z.coerce.number().int().positive().default(10),
      /** A rate alert needs at least this many attempts in the window (1 failure of 1 is no incident). */
      FLIX_ALERT_MIN_SAMPLES: z.coerce.number().int().positive().default(20),
      /** How often open and closed alerts are re-evaluated when no event arrives. */
      FLIX_ALERT_EVALUATE_SECONDS: z.coerce.number().positive().default(15),
      /** Messages each stream consumer pulls per request. */
      FLIX_CONSUMER_BATCH: z.coerce.number().int().positive().max(1000).default(100),
    },
    env,
  );
}

export type AnalyticsConfig = ReturnType<typeof readAnalyticsConfig>;
