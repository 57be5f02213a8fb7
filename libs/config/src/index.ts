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

/** Services other than identity verify tokens against identity's published keys. */
export const jwksEnv = {
  FLIX_JWKS_URL: z.url().default('http://127.0.0.1:8081/.well-known/jwks.json'),
} as const;
export { runWhenMain } from './run.js';
