import { DomainError, type ErrorKind } from '@flix/errors';

/** The error codes of RFC 6749 §4.1.2.1 / §5.2 and RFC 8628 §3.5. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token';

const KIND: Record<OAuthErrorCode, ErrorKind> = {
  invalid_request: 'invalid_argument',
  invalid_client: 'unauthenticated',
  invalid_grant: 'invalid_argument',
  unauthorized_client: 'invalid_argument',
  unsupported_response_type: 'invalid_argument',
  invalid_scope: 'invalid_argument',
  access_denied: 'permission_denied',
  authorization_pending: 'failed_precondition',
  slow_down: 'failed_precondition',
  expired_token: 'failed_precondition',
};

/**
 * An OAuth error as a DomainError: gRPC callers get the kind and the field (camelCase, as in the
 * proto); the HTTP endpoints answer `{error, error_description}` from `metadata.oauthError`.
 * The message names the parameter as OAuth spells it (`code_challenge`), which is what both the
 * client developer and the consent page see.
 */
export function oauthError(code: OAuthErrorCode, description: string, field?: string, extra: Record<string, string> = {}): DomainError {
  return new DomainError(
    KIND[code],
    code.toUpperCase(),
    description,
    field ? [{ field, description }] : [],
    { oauthError: code, ...extra },
  );
}

export const oauthErrorCode = (e: DomainError): OAuthErrorCode | undefined => e.metadata.oauthError as OAuthErrorCode | undefined;
