import { Metadata, status as Code, type ServiceError } from '@grpc/grpc-js';
import { DomainError, type ErrorKind, type FieldViolation } from '@flix/errors';
import { Any } from '@flix/proto/google/protobuf/any';
import { BadRequest, ErrorInfo, RetryInfo } from '@flix/proto/google/rpc/error_details';
import { Status } from '@flix/proto/google/rpc/status';

/** The one mapping from domain error kinds to gRPC codes. The gateway maps codes to HTTP. */
export const CODE_BY_KIND: Record<ErrorKind, Code> = {
  invalid_argument: Code.INVALID_ARGUMENT,
  failed_precondition: Code.FAILED_PRECONDITION,
  unauthenticated: Code.UNAUTHENTICATED,
  permission_denied: Code.PERMISSION_DENIED,
  not_found: Code.NOT_FOUND,
  already_exists: Code.ALREADY_EXISTS,
  aborted: Code.ABORTED,
  resource_exhausted: Code.RESOURCE_EXHAUSTED,
  unavailable: Code.UNAVAILABLE,
  internal: Code.INTERNAL,
};

const KIND_BY_CODE = new Map<number, ErrorKind>(Object.entries(CODE_BY_KIND).map(([k, c]) => [c, k as ErrorKind]));

const TYPE_PREFIX = 'type.googleapis.com/';

/** RetryInfo for an UNAVAILABLE that did not say how long to wait (an upstream that is down, say). */
export const DEFAULT_UNAVAILABLE_RETRY_SECONDS = 1;
const pack = (typeName: string, value: Uint8Array): Any => ({ typeUrl: TYPE_PREFIX + typeName, value: Buffer.from(value) });

/**
 * Turns a domain error into a gRPC error whose `grpc-status-details-bin` trailer carries a
 * google.rpc.Status with ErrorInfo (reason), BadRequest (field violations) and RetryInfo — what
 * Envoy's convert_grpc_status renders as the JSON error body.
 */
export function toServiceError(given: DomainError, domain: string): Partial<ServiceError> {
  const err = bounded(given);
  const code = CODE_BY_KIND[err.kind];
  const details: Any[] = [
    pack('google.rpc.ErrorInfo', ErrorInfo.encode({ reason: err.reason, domain, metadata: err.metadata }).finish()),
  ];
  if (err.fieldViolations.length > 0) {
    details.push(
      pack(
        'google.rpc.BadRequest',
        BadRequest.encode({
          fieldViolations: err.fieldViolations.map((v) => ({
            field: v.field,
            description: v.description,
            reason: '',
            localizedMessage: undefined,
          })),
        }).finish(),
      ),
    );
  }
  // Every UNAVAILABLE tells the client when to try again, so it backs off instead of hammering.
  const retryAfterSeconds = err.retryAfterSeconds ?? (err.kind === 'unavailable' ? DEFAULT_UNAVAILABLE_RETRY_SECONDS : undefined);
  if (retryAfterSeconds !== undefined) {
    details.push(
      pack(
        'google.rpc.RetryInfo',
        RetryInfo.encode({ retryDelay: { seconds: Math.ceil(retryAfterSeconds), nanos: 0 } }).finish(),
      ),
    );
  }
  const metadata = new Metadata();
  // Envoy's transcoder passes it on as an HTTP header (a trailers-only answer's trailers are headers);
  // it does not derive Retry-After from RetryInfo itself.
  if (err.retryAfterSeconds !== undefined) metadata.set('retry-after', String(Math.max(1, Math.ceil(err.retryAfterSeconds))));
  metadata.set('grpc-status-details-bin', Buffer.from(Status.encode({ code, message: err.message, details }).finish()));
  return { code, details: err.message, metadata };
}

/**
 * Messages often quote what the client sent. Unbounded, a huge value makes the trailers exceed
 * HTTP/2's header-list limit: they are never delivered and the caller waits for its deadline.
 */
const MAX_MESSAGE = 1024;
const MAX_DESCRIPTION = 512;
const MAX_METADATA_VALUE = 256;
const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

function bounded(err: DomainError): DomainError {
  const tooLong =
    err.message.length > MAX_MESSAGE ||
    err.fieldViolations.some((v) => v.field.length > MAX_DESCRIPTION || v.description.length > MAX_DESCRIPTION) ||
    Object.values(err.metadata).some((v) => v.length > MAX_METADATA_VALUE);
  if (!tooLong) return err;
  return new DomainError(
    err.kind,
    err.reason,
    cut(err.message, MAX_MESSAGE),
    err.fieldViolations.map((v) => ({ field: cut(v.field, MAX_DESCRIPTION), description: cut(v.description, MAX_DESCRIPTION) })),
    Object.fromEntries(Object.entries(err.metadata).map(([k, v]) => [k, cut(v, MAX_METADATA_VALUE)])),
    err.retryAfterSeconds,
  );
}

export const internalError = (): Partial<ServiceError> => ({ code: Code.INTERNAL, details: 'internal error' });

/** Client side: rebuilds a DomainError from a gRPC error so callers keep typed errors across hops. */
export function fromServiceError(err: ServiceError): DomainError {
  const kind = KIND_BY_CODE.get(err.code) ?? (err.code === Code.DEADLINE_EXCEEDED ? 'unavailable' : 'internal');
  let reason = Code[err.code] ?? 'UNKNOWN';
  let metadata: Record<string, string> = {};
  let violations: FieldViolation[] = [];
  let retryAfterSeconds: number | undefined;
  const raw = err.metadata?.get('grpc-status-details-bin')[0];
  if (raw instanceof Buffer) {
    for (const any of Status.decode(raw).details) {
      if (any.typeUrl === TYPE_PREFIX + 'google.rpc.ErrorInfo') {
        const info = ErrorInfo.decode(any.value);
        reason = info.reason;
        metadata = info.metadata;
      } else if (any.typeUrl === TYPE_PREFIX + 'google.rpc.BadRequest') {
        violations = BadRequest.decode(any.value).fieldViolations.map((v) => ({ field: v.field, description: v.description }));
      } else if (any.typeUrl === TYPE_PREFIX + 'google.rpc.RetryInfo') {
        retryAfterSeconds = RetryInfo.decode(any.value).retryDelay?.seconds;
      }
    }
  }
  // An upstream that could not be reached at all sent no details: still a retryable outage.
  if (kind === 'unavailable' && retryAfterSeconds === undefined) retryAfterSeconds = DEFAULT_UNAVAILABLE_RETRY_SECONDS;
  return new DomainError(kind, reason, err.details || err.message, violations, metadata, retryAfterSeconds);
}
