import { z } from 'zod';

export { z };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads and validates the environment once, at start. Every problem is reported with the name
 * of the variable, so a misconfigured container says exactly what to fix.
 */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.join('.');
    const value = env[variable];
    return value === undefined || value === ''
      ? `${variable} is required (${issue.message})`
      : `${variable} is invalid: ${issue.message}`;
  });
  throw new ConfigError(`bad configuration: ${problems.join('; ')}`);
}

/** Variables with these fragments in their name are never echoed back. */
export const isSecretName = (name: string) => /PASSWORD|SECRET|KEY|TOKEN/i.test(name);

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
export const url = (fallback?: string) => (fallback === undefined ? z.url() : z.url().default(fallback));
export const durationSeconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);
export const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** What every service reads: where it listens, where its stores are, who signs tokens. */
export const serviceEnv = {
  GRPC_PORT: port(50051),
  HTTP_PORT: port(8081),
  GRPC_HOST: z.string().default('0.0.0.0'),
  MONGO_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URL'),
  NATS_URL: z.string().regex(/^(nats|tls):\/\//, 'must be a nats:// URL'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  FLIX_JWT_ISSUER: z.string().min(1).default('flix-identity'),
  FLIX_JWT_AUDIENCE: z.string().min(1).default('flix-api'),
} as const;

/**
 * How a service behaves when its dependencies go away or calls pile up (docs/resilience.md).
 * Optional in BaseServiceConfig: the host applies these defaults when a config leaves them out.
 */
export const resilienceEnv = {
  /** gRPC calls handled at once; beyond it a call is refused at once with UNAVAILABLE and RetryInfo. */
  FLIX_MAX_INFLIGHT_CALLS: z.coerce.number().int().positive().default(256),
  /** How long a MongoDB operation waits for a reachable server before the call fails with UNAVAILABLE (ms). */
  FLIX_MONGO_SELECTION_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(1500),
  /** How long a completed Idempotency-Key answers with its stored response. */
  FLIX_IDEMPOTENCY_RETENTION_SECONDS: durationSeconds(24 * 3600),
  /** How long an unfinished call's key blocks duplicates before it counts as abandoned (a crash mid-call). */
  FLIX_IDEMPOTENCY_LEASE_SECONDS: durationSeconds(60),
} as const;

/** The settings every service has once read: serviceEnv, its database and (all but identity) the JWKS URL. */
export type BaseServiceConfig = z.infer<z.ZodObject<typeof serviceEnv>> &
  Partial<z.infer<z.ZodObject<typeof resilienceEnv>>> & { MONGO_DB: string; FLIX_JWKS_URL?: string };

/** Services other than identity verify tokens against identity's published keys. */
export const jwksEnv = {
  FLIX_JWKS_URL: z.url().default('http://127.0.0.1:8081/.well-known/jwks.json'),
} as const;
export { runWhenMain } from './run.js';

/**
 * The base of every service's config: serviceEnv and jwksEnv with the service's own default
 * ports and database name. Identity, which signs the tokens, leaves FLIX_JWKS_URL out.
 */
export function serviceConfigShape(defaults: { database: string; grpcPort: number; httpPort: number }) {
  return {
    ...serviceEnv,
    ...resilienceEnv,
    ...jwksEnv,
    GRPC_PORT: port(defaults.grpcPort),
    HTTP_PORT: port(defaults.httpPort),
    MONGO_DB: z.string().min(1).default(defaults.database),
  };
}

/** Another service's gRPC address. */
export const grpcAddress = (fallback: string) => z.string().regex(/^[\w.-]+:\d+$/, 'must be host:port').default(fallback);

/**
 * A third-party API's credentials: required, unless the URL of its local emulator is set, in
 * which case the missing ones get the emulator's stand-ins.
 */
export function credentialsOrEmulator<K extends string>(
  cfg: { readonly [P in NoInfer<K>]?: string | undefined },
  standIns: Record<K, string>,
  emulator: { api: string; variable: string; url: string | undefined },
): Record<K, string> {
  const names = Object.keys(standIns) as K[];
  const missing = names.filter((k) => !cfg[k]);
  if (missing.length > 0 && !emulator.url) {
    const why = `${emulator.api} credentials; or set ${emulator.variable} to the local ${emulator.api} emulator`;
    throw new ConfigError(`bad configuration: ${missing.map((k) => `${k} is required (${why})`).join('; ')}`);
  }
  return Object.fromEntries(names.map((k) => [k, cfg[k] || standIns[k]])) as Record<K, string>;
}
