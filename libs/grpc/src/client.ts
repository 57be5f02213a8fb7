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
  /** Default deadline for each call. */
  deadlineMs?: number;
  /** Attempts for calls failing with UNAVAILABLE (grpc-js retry policy); 1 disables. */
  maxAttempts?: number;
}

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
  };
  const client = new Client(address, credentials.createInsecure(), {
    'grpc.service_config': JSON.stringify(serviceConfig),
    'grpc.enable_retries': (options.maxAttempts ?? 4) > 1 ? 1 : 0,
    'grpc.keepalive_time_ms': 30_000,
  });
  const defaultDeadline = options.deadlineMs ?? 5_000;
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
          { deadline: Date.now() + (callOptions.deadlineMs ?? defaultDeadline) },
          (err: ServiceError | null, value?: unknown) => (err ? reject(fromServiceError(err)) : resolve(value)),
        );
      });
  }
  return out as PromiseClient<D>;
}
