/**
 * Errors in Stripe's v1 shape: `{ "error": { "type", "code"?, "message", "param"?, "doc_url"? } }`.
 * The SDK picks its error class from the status (400/404 → InvalidRequest, or Idempotency when
 * type is idempotency_error; 401 → Authentication; 402 → Card), so status and type must agree.
 */
export type StripeErrorType = 'invalid_request_error' | 'idempotency_error' | 'card_error' | 'api_error' | 'authentication_error';

export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
  doc_url?: string;
  /** Card errors carry the failed charge and payment intent ids, as Stripe's do. */
  charge?: string;
  payment_intent?: unknown;
}

export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
  ) {
    super(body.message);
    this.name = 'StripeApiError';
  }

  toJSON(): { error: StripeErrorBody } {
    return { error: this.body };
  }
}

const doc = (code: string): string => `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;

export function invalidRequest(message: string, param?: string, code?: string): StripeApiError {
  return new StripeApiError(400, {
    type: 'invalid_request_error',
    message,
    ...(code ? { code, doc_url: doc(code) } : {}),
    ...(param ? { param } : {}),
  });
}

export const missingParam = (param: string): StripeApiError => invalidRequest(`Missing required param: ${param}.`, param, 'parameter_missing');

export const unknownParam = (param: string): StripeApiError =>
  invalidRequest(`Received unknown parameter: ${param}`, param, 'parameter_unknown');

/** 404 for the object in the URL; 400 (with the param's name) for one referenced in a body. */
export function noSuch(kind: string, id: string, param?: string): StripeApiError {
  return new StripeApiError(param ? 400 : 404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    doc_url: doc('resource_missing'),
    message: `No such ${kind}: '${id}'`,
    param: param ?? 'id',
  });
}

export function unrecognizedUrl(method: string, path: string): StripeApiError {
  return new StripeApiError(404, {
    type: 'invalid_request_error',
    message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
  });
}
