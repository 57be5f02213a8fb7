/**
 * Typed domain errors. Domain code throws these; the gRPC boundary (@flix/grpc) maps each kind
 * to exactly one status code, and the gateway maps that to HTTP. Nothing else chooses codes.
 */
export type ErrorKind =
  | 'invalid_argument'
  | 'failed_precondition'
  | 'unauthenticated'
  | 'permission_denied'
  | 'not_found'
  | 'already_exists'
  | 'aborted'
  | 'resource_exhausted'
  | 'unavailable'
  | 'internal';

export interface FieldViolation {
  /** Field path as the client spells it (lowerCamelCase), e.g. `profile.name`. */
  field: string;
  description: string;
}

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly kind: ErrorKind,
    /** Stable UPPER_SNAKE_CASE machine-readable reason, e.g. `EMAIL_TAKEN`. */
    readonly reason: string,
    message: string,
    readonly fieldViolations: FieldViolation[] = [],
    /** Extra machine-readable facts (strings only), e.g. `{ limit: "4" }`. */
    readonly metadata: Record<string, string> = {},
    /** For resource_exhausted: when the caller may try again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export const invalidArgument = (field: string, description: string, reason = 'INVALID_ARGUMENT') =>
  new DomainError('invalid_argument', reason, `${field}: ${description}`, [{ field, description }]);

/** Collects field violations so a request reports every bad field at once. */
export class Violations {
  private readonly list: FieldViolation[] = [];
  add(field: string, description: string): this {
    this.list.push({ field, description });
    return this;
  }
  get empty(): boolean {
    return this.list.length === 0;
  }
  throwIfAny(reason = 'INVALID_ARGUMENT'): void {
    if (this.list.length === 0) return;
    const message = this.list.map((v) => `${v.field}: ${v.description}`).join('; ');
    throw new DomainError('invalid_argument', reason, message, this.list);
  }
}

export const notFound = (what: string, id: string) =>
  new DomainError('not_found', `${what.toUpperCase()}_NOT_FOUND`, `${what} ${id} not found`);

export const permissionDenied = (message: string, reason = 'PERMISSION_DENIED') =>
  new DomainError('permission_denied', reason, message);

export const unauthenticated = (message: string, reason = 'UNAUTHENTICATED') =>
  new DomainError('unauthenticated', reason, message);

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;
