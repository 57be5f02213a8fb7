import { DomainError } from '@flix/errors';

/** Seconds a client is told to wait before retrying a call refused for a missing dependency. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 1;

export type Dependency = 'mongodb' | 'nats';

/**
 * Driver and client errors that mean "the dependency is away for now", by error name (the
 * classes live in packages @flix/grpc does not depend on). Names are what the MongoDB driver 7
 * and nats.js 3 give their classes; subclasses keep their own names, so each is listed.
 */
const DEPENDENCY_BY_ERROR_NAME: ReadonlyMap<string, Dependency> = new Map([
  ['MongoServerSelectionError', 'mongodb'],
  ['MongoNetworkError', 'mongodb'],
  ['MongoNetworkTimeoutError', 'mongodb'],
  ['MongoPoolClearedError', 'mongodb'],
  ['MongoNotConnectedError', 'mongodb'],
  ['MongoTopologyClosedError', 'mongodb'],
  ['MongoOperationTimeoutError', 'mongodb'],
  ['ConnectionError', 'nats'],
  ['ClosedConnectionError', 'nats'],
  ['DrainingConnectionError', 'nats'],
  ['TimeoutError', 'nats'],
  ['NoResponders', 'nats'],
  ['JetStreamNotEnabled', 'nats'],
]);

/** Which dependency an error says is away, looking through `cause` chains; undefined if none. */
export function unavailableDependency(err: unknown): Dependency | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    // Thrown by @flix/events' runInTransaction when it refuses to retry into an outage.
    if (e.name === 'DependencyUnavailableError' && isDependency((e as Error & { dependency?: unknown }).dependency)) return (e as Error & { dependency: Dependency }).dependency;
    const byName = DEPENDENCY_BY_ERROR_NAME.get(e.name);
    if (byName) return byName;
  }
  return undefined;
}

const isDependency = (v: unknown): v is Dependency => v === 'mongodb' || v === 'nats';

/** The error a caller gets while `dependency` is away: UNAVAILABLE, ErrorInfo naming it, RetryInfo. */
export function dependencyUnavailable(dependency: Dependency): DomainError {
  const what = dependency === 'mongodb' ? 'the database (MongoDB)' : 'the event bus (NATS)';
  return new DomainError(
    'unavailable',
    'DEPENDENCY_UNAVAILABLE',
    `${what} is unreachable for the moment; retry shortly`,
    [],
    { dependency },
    DEPENDENCY_RETRY_AFTER_SECONDS,
  );
}

/** The one classification the gRPC server applies to an unexpected error: a DomainError for an outage, else undefined. */
export function classifyDependencyError(err: unknown): DomainError | undefined {
  const dependency = unavailableDependency(err);
  return dependency ? dependencyUnavailable(dependency) : undefined;
}
