export { GrpcServer, type AddServiceOptions, type GrpcServerOptions, type ServiceHandlers, type UnaryHandler } from './server.js';
export { createClient, type CallOptions, type ClientOptions, type PromiseClient } from './client.js';
export { type CallContext, clientIpFrom } from './context.js';
export { CODE_BY_KIND, toServiceError, fromServiceError } from './status.js';
export {
  IDEMPOTENCY_DEFAULTS,
  IDEMPOTENCY_KEY_HEADER,
  REPLAYED_HEADER,
  MemoryIdempotencyKeyStore,
  type IdempotencyKeyStore,
  type IdempotencyOptions,
  type IdempotencyRecord,
  type IdempotencySettings,
  type NewClaim,
} from './idempotency.js';
export { classifyDependencyError, dependencyUnavailable, unavailableDependency, type Dependency } from './dependency-errors.js';
