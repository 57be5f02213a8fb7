/**
 * @flix/service: the host every Flix service runs in. A service's main.ts reads its config and
 * composes its parts in `build`; runService owns connections, streams, the outbox relay, token
 * verification, gRPC (health, reflection), the ops HTTP server, readiness and ordered shutdown.
 */
export type { BaseServiceConfig } from '@flix/config';
export { grpcService, runService, type GrpcRegistration, type Listening, type ServiceContext, type ServiceHandle, type ServiceParts, type ServiceSpec } from './host.js';
export { PeriodicTask, SHUTDOWN_PHASES, ShutdownPlan, type Closeable, type ShutdownPhase, type Stoppable } from './lifecycle.js';
export {
  ErasedUsers,
  ERASED_USERS_COLLECTION,
  forgetPublishedEvents,
  jsonSafe,
  jwksVerifierRefusingErased,
  personalDataService,
  pseudonymOf,
  refuseErasedUsers,
  startUserDeletedConsumer,
  userDeletedHandler,
  type EraseUser,
  type ExportPersonalData,
} from './privacy.js';
