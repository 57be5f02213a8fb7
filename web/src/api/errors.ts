import type { BadRequest_FieldViolation, ErrorInfo } from './gen/google/rpc/error_details';

/** gRPC status codes the UI tells apart (google.rpc.Code). */
export const Code = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export type FieldViolation = Pick<BadRequest_FieldViolation, 'field' | 'description'>;

/**
 * A failed API call, read from the google.rpc.Status body the gateway and services send:
 * `{code, message, details: [ErrorInfo, BadRequest, RetryInfo…]}` in proto3 JSON (each detail
 * is an Any, i.e. its fields plus "@type").
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** HTTP status (0 when the request never got an answer). */
    readonly status: number,
    /** google.rpc.Code. */
    readonly code: number,
    message: string,
    readonly reason: string | undefined,
    readonly fieldViolations: FieldViolation[],
    /** From RetryInfo (or Retry-After), when the server says when to try again. */
    readonly retryAfterSeconds: number | undefined,
    readonly metadata: Record<string, string> = {},
  ) {
    super(message);
  }

  /** The violation message for one request field, e.g. `email` or `profile.name`. */
  fieldError(field: string): string | undefined {
    return this.fieldViolations.find((v) => v.field === field || v.field.endsWith(`.${field}`))?.description;
  }
}

const TYPE_PREFIX = 'type.googleapis.com/google.rpc.';

interface AnyJson {
  '@type'?: string;
  [key: string]: unknown;
}

/** Proto3 JSON of google.protobuf.Duration: "899s" or "1.5s". */
export function parseDurationSeconds(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(-?\d+(?:\.\d+)?)s$/.exec(value.trim());
  return m ? Number(m[1]) : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const HTTP_TO_CODE: Record<number, number> = {
  400: Code.INVALID_ARGUMENT,
  401: Code.UNAUTHENTICATED,
  403: Code.PERMISSION_DENIED,
  404: Code.NOT_FOUND,
  409: Code.ABORTED,
  413: Code.RESOURCE_EXHAUSTED,
  429: Code.RESOURCE_EXHAUSTED,
  503: Code.UNAVAILABLE,
  504: Code.DEADLINE_EXCEEDED,
};

/** Builds an ApiError from a non-2xx response body (JSON Status, or whatever a proxy sent). */
export function errorFromResponse(status: number, body: unknown, retryAfterHeader?: string | null): ApiError {
  const fallbackCode = HTTP_TO_CODE[status] ?? 2;
  if (!isRecord(body)) {
    const text = typeof body === 'string' && body.trim() ? body.trim().slice(0, 200) : `The server answered ${status}.`;
    return new ApiError(status, fallbackCode, text, undefined, [], retryAfterHeader ? Number(retryAfterHeader) || undefined : undefined);
  }
  const code = typeof body.code === 'number' ? body.code : fallbackCode;
  const message = typeof body.message === 'string' && body.message ? body.message : `The server answered ${status}.`;
  let reason: string | undefined;
  let metadata: Record<string, string> = {};
  const violations: FieldViolation[] = [];
  let retryAfter = retryAfterHeader ? Number(retryAfterHeader) || undefined : undefined;
  for (const d of Array.isArray(body.details) ? (body.details as AnyJson[]) : []) {
    if (!isRecord(d)) continue;
    const type = String(d['@type'] ?? '');
    if (type === `${TYPE_PREFIX}ErrorInfo`) {
      const info = d as unknown as Partial<ErrorInfo>;
      reason = info.reason || reason;
      if (isRecord(info.metadata)) metadata = info.metadata as Record<string, string>;
    } else if (type === `${TYPE_PREFIX}BadRequest`) {
      for (const v of Array.isArray(d.fieldViolations) ? d.fieldViolations : []) {
        if (isRecord(v) && typeof v.field === 'string') violations.push({ field: v.field, description: String(v.description ?? '') });
      }
    } else if (type === `${TYPE_PREFIX}RetryInfo`) {
      retryAfter = parseDurationSeconds(d.retryDelay) ?? retryAfter;
    }
  }
  return new ApiError(status, code, message, reason, violations, retryAfter, metadata);
}

/**
 * The services' messages name the field first, for developers ("movieId: your rental of this
 * title has expired"); a person reads "Your rental of this title has expired."
 */
export function readableMessage(message: string): string {
  const text = message.replace(/^[A-Za-z_][\w.]*:\s+/, '').trim();
  if (!text) return '';
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** A message fit for a person, for errors that have no better place on the page. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 0) return 'Flix cannot be reached. Check your connection and try again.';
    if (err.code === Code.UNAVAILABLE) return 'Flix is busy or restarting. Please try again in a moment.';
    return readableMessage(err.message);
  }
  if (err instanceof Error) return err.message;
  return 'Something went wrong.';
}
