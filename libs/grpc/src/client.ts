import {
  Client,
  credentials,
  Metadata,
  type MethodDefinition,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { fromServiceError } from './status.js';

export interface CallOptions {
  /** Per-call deadline; defaults to the client's. */
  deadlineMs?: number;
  /** Propagated metadata: authorization, x-request-id, traceparent… */
  metadata?: Record<string, string | undefined>;
}

/** A promise-returning client for every unary method of a ts-proto service definition. */
export type PromiseClient<D extends ServiceDefinition> = {
  [K in keyof D]: D[K] extends MethodDefinition<infer Req, infer Res> ? (request: Req, options?: CallOptions) => Promise<Res> : never;
} & { close(): void };

export interface ClientOptions {
  /** Default deadline for each call (ms, default 5000); every call has one. */
  deadlineMs?: number;
  /** Attempts for calls failing with UNAVAILABLE (grpc-js retry policy); 1 disables. */
  maxAttempts?: number;
}

/**
 * The retry budget (gRFC A6 retry throttling): each failure costs a token, each success gives
 * back `tokenRatio`; below half of `maxTokens` no call is retried. When the server is down for
 * good, retries stop after a handful of failures instead of multiplying the load on it.
 */
export const RETRY_THROTTLING = { maxTokens: 10, tokenRatio: 0.1 } as const;

/** Longest wait between reconnect attempts to a server that went away (grpc-js defaults to 120 s). */
const MAX_RECONNECT_BACKOFF_MS = 5_000;
/** No call waits longer than this, whatever the caller asked. */
const MAX_DEADLINE_MS = 60_000;

/**
 * Builds a client whose calls have deadlines, retry on UNAVAILABLE with exponential backoff
 * (grpc-js's own retry policy from the service config), and throw DomainErrors rebuilt from the
 * status details so errors keep their reason across services.
 */
export function createClient<D extends ServiceDefinition>(
  definition: D,
  address: string,
  options: ClientOptions = {},
): PromiseClient<D> {
  const serviceConfig = {
    methodConfig: [
      {
        name: [{}],
        retryPolicy: {
          maxAttempts: Math.max(2, options.maxAttempts ?? 4),
          initialBackoff: '0.05s',
          maxBackoff: '1s',
          backoffMultiplier: 2,
          retryableStatusCodes: ['UNAVAILABLE'],
        },
      },
    ],
    retryThrottling: RETRY_THROTTLING,
  };
  const client = new Client(address, credentials.createInsecure(), {
    'grpc.service_config': JSON.stringify(serviceConfig),
    'grpc.enable_retries': (options.maxAttempts ?? 4) > 1 ? 1 : 0,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.initial_reconnect_backoff_ms': 250,
    'grpc.max_reconnect_backoff_ms': MAX_RECONNECT_BACKOFF_MS,
  });
  const defaultDeadline = boundedDeadline(options.deadlineMs ?? 5_000);
  const out: Record<string, unknown> = { close: () => client.close() };
  for (const key of Object.keys(definition)) {
    const m = definition[key] as MethodDefinition<unknown, unknown>;
    out[key] = (request: unknown, callOptions: CallOptions = {}) =>
      new Promise((resolve, reject) => {
        const md = new Metadata();
        for (const [k, v] of Object.entries(callOptions.metadata ?? {})) if (v !== undefined) md.set(k, v);
        client.makeUnaryRequest(
          m.path,
          m.requestSerialize,
          m.responseDeserialize,
          request,
          md,
          { deadline: Date.now() + (callOptions.deadlineMs === undefined ? defaultDeadline : boundedDeadline(callOptions.deadlineMs)) },
          (err: ServiceError | null, value?: unknown) => (err ? reject(fromServiceError(err)) : resolve(value)),
        );
      });
  }
  return out as PromiseClient<D>;
}

/** A deadline in (0, MAX_DEADLINE_MS]: a missing, infinite or absurd one never leaves a call waiting forever. */
function boundedDeadline(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_DEADLINE_MS) : MAX_DEADLINE_MS;
}
