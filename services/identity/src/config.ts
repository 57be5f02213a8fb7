import { availableParallelism } from 'node:os';
import { bool, durationSeconds, grpcAddress, loadConfig, serviceConfigShape, z } from '@flix/config';
import { OAUTH_SCOPES } from './domain/oauth-clients.js';

// Identity signs the tokens and verifies them with its own key ring: no JWKS URL to read.
const { FLIX_JWKS_URL: _jwks, ...base } = serviceConfigShape({ database: 'identity', grpcPort: 50051, httpPort: 8081 });

/** One FLIX_OAUTH_APPS entry: an application acting for a person. */
const oauthAppShape = z.strictObject({
  id: z.string().regex(/^[\w.-]{1,64}$/, 'letters, digits, _ . - (at most 64)'),
  name: z.string().min(1),
  redirectUris: z.array(z.string().refine((u) => URL.canParse(u) && !u.includes('#'), 'an absolute URI without a fragment')).default([]),
  secret: z.string().min(16, 'at least 16 characters').optional(),
  firstParty: z.boolean().default(false),
  scopes: z.array(z.string().regex(/^[\w.:-]+$/)).min(1).default(Object.keys(OAUTH_SCOPES)),
  grants: z.array(z.enum(['authorization_code', 'device_code'])).min(1).default(['authorization_code']),
});

/** Everything identity reads from the environment, validated once at start. */
export function readIdentityConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(
    {
      ...base,
      /** Base URL clients use to reach the gateway; advertised in openid-configuration. */
      FLIX_PUBLIC_URL: z.url().default('http://127.0.0.1:8080'),
      FLIX_ACCESS_TOKEN_TTL_SECONDS: durationSeconds(900),
      FLIX_REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
      FLIX_REFRESH_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(120).default(10),
      FLIX_SIGNING_KEY_ROTATION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
      /** Publish-before-sign delay: longer than Envoy's JWKS cache (300 s) plus the JWKS max-age (60 s). */
      FLIX_SIGNING_KEY_PROPAGATION_SECONDS: z.coerce.number().int().min(0).default(360),
      // Account recovery and e-mail verification (domain/account-security.ts).
      /** How long a password-reset link works. */
      FLIX_PASSWORD_RESET_TTL_MINUTES: z.coerce.number().int().min(5).max(1440).default(30),
      /** How long an e-mail verification link works. */
      FLIX_EMAIL_VERIFICATION_TTL_HOURS: z.coerce.number().int().min(1).max(720).default(24),
      /** Reset and verification e-mails per account per hour (more forgot-password requests are answered the same but send nothing). */
      FLIX_ACCOUNT_MAILS_PER_HOUR: z.coerce.number().int().min(1).max(100).default(5),
      /** Forgot-password answers are held until this long after the request, so known and unknown addresses answer alike. */
      FLIX_PASSWORD_RESET_ANSWER_FLOOR_MS: z.coerce.number().int().min(0).max(5000).default(250),
      FLIX_ADMIN_EMAIL: z.string().optional(),
      FLIX_ADMIN_PASSWORD: z.string().optional(),
      // Login throttling (domain/login-throttle.ts): a progressive delay, never a lockout.
      /** Wrong passwords per (account, client address) answered without any delay. */
      FLIX_LOGIN_FREE_FAILURES: z.coerce.number().int().min(0).max(100).default(3),
      /** The first delay after the free failures; each further failure doubles it. */
      FLIX_LOGIN_BASE_DELAY_SECONDS: z.coerce.number().int().min(1).max(3600).default(1),
      /** The longest delay any failure earns. */
      FLIX_LOGIN_MAX_DELAY_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
      /** Wrong passwords from one address, over every account, per window before that address is delayed too. */
      FLIX_LOGIN_IP_FAILURE_LIMIT: z.coerce.number().int().min(1).default(50),
      /** Wrong passwords on one account, from every address, per window that log a warning (no delay). */
      FLIX_LOGIN_ACCOUNT_ALERT_FAILURES: z.coerce.number().int().min(1).default(100),
      /** Pair failures are forgotten this long after their delay ran out; address and account counts use windows this long. */
      FLIX_LOGIN_THROTTLE_WINDOW_SECONDS: durationSeconds(900),
      /** Internal OAuth clients for client_credentials: "id:secret[:scope scope],id2:secret2". */
      FLIX_OAUTH_CLIENTS: z
        .string()
        .default('')
        .refine((v) => v === '' || v.split(',').every((c) => /^[\w.-]+:[^:,\s]{16,}(:[\w:. -]*)?$/.test(c)), {
          message: 'expected "id:secret[:scopes]" entries (secret at least 16 characters), comma-separated',
        }),
      // OAuth applications acting for a person (domain/oauth-*.ts, docs in the README's OAuth section).
      /**
       * Third-party (or extra first-party) applications, a JSON array of {"id", "name",
       * "redirectUris": [exact URIs], "secret"? (present: confidential), "firstParty"?, "scopes"?,
       * "grants"? (["authorization_code"], ["device_code"] or both)}. The built-in flix-web and
       * flix-tv are always registered unless an entry reuses their id.
       */
      FLIX_OAUTH_APPS: z
        .string()
        .default('[]')
        .transform((v, ctx) => {
          try {
            return JSON.parse(v) as unknown;
          } catch {
            ctx.addIssue({ code: 'custom', message: 'expected a JSON array of applications' });
            return z.NEVER;
          }
        })
        .pipe(z.array(oauthAppShape)),
      /** Lifetime of an authorization code (OAuth 2.1 recommends a minute at most). */
      FLIX_OAUTH_CODE_TTL_SECONDS: z.coerce.number().int().min(1).max(600).default(60),
      /** Lifetime of a device code and its user code (RFC 8628 expires_in). */
      FLIX_OAUTH_DEVICE_CODE_TTL_SECONDS: durationSeconds(600),
      /** Seconds a device waits between polls (RFC 8628 interval); slow_down adds 5 for good. */
      FLIX_OAUTH_DEVICE_POLL_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(60).default(5),
      /** Wrong user codes one account may type per window before it must wait (guessing someone's TV code). */
      FLIX_OAUTH_USER_CODE_ATTEMPTS: z.coerce.number().int().min(1).default(5),
      /** Wrong user codes one client address may type per window, over every account. */
      FLIX_OAUTH_USER_CODE_ADDRESS_ATTEMPTS: z.coerce.number().int().min(1).default(20),
      FLIX_OAUTH_USER_CODE_WINDOW_SECONDS: durationSeconds(900),
      /** argon2id cost; defaults are OWASP's recommendation (19 MiB, 2 passes, 1 lane). */
      FLIX_ARGON2_MEMORY_KIB: z.coerce.number().int().min(1024).default(19_456),
      FLIX_ARGON2_TIME_COST: z.coerce.number().int().min(1).default(2),
      FLIX_SEED_ADMIN: bool(true),
      // Data export (ExportMyData) asks each service that holds personal data for its part.
      /** Billing's gRPC address (subscriptions, payments, rentals). */
      BILLING_GRPC_ADDR: grpcAddress('127.0.0.1:50053'),
      /** Playback's gRPC address (sessions, viewing history). */
      PLAYBACK_GRPC_ADDR: grpcAddress('127.0.0.1:50054'),
      /** Engagement's gRPC address (ratings, reviews, lists). */
      ENGAGEMENT_GRPC_ADDR: grpcAddress('127.0.0.1:50055'),
      /** Recommendations' gRPC address (interaction signals, preferences). */
      RECOMMENDATIONS_GRPC_ADDR: grpcAddress('127.0.0.1:50056'),
      /** Analytics' gRPC address (the event store's records about the account). */
      ANALYTICS_GRPC_ADDR: grpcAddress('127.0.0.1:50057'),
      /** Notifications' gRPC address (preferences, the delivery log). */
      NOTIFICATIONS_GRPC_ADDR: grpcAddress('127.0.0.1:50058'),
      // Password hashing lanes (security/password-work.ts): a sign-up flood cannot starve sign-ins.
      /** argon2 computations at once; more would only queue in libuv's pool of 4 threads. */
      FLIX_PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(4).default(Math.min(4, availableParallelism())),
      /** Of those, how many registration may use; sign-ins keep the rest. */
      FLIX_REGISTER_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(4).optional(),
      /** Callers allowed to wait for a slot, per lane; more get 503 UNAVAILABLE with RetryInfo at once. */
      FLIX_PASSWORD_HASH_QUEUE: z.coerce.number().int().min(0).default(32),
      /** The longest a caller waits for a slot before it gets 503 UNAVAILABLE with RetryInfo. */
      FLIX_PASSWORD_HASH_MAX_WAIT_MS: z.coerce.number().int().min(1).default(2_000),
    },
    env,
  );
}

export type IdentityConfig = ReturnType<typeof readIdentityConfig>;
