import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { DomainError, invalidArgument, unauthenticated } from '@flix/errors';

/** Who is calling, as established from a verified access token. */
export interface Principal {
  /** Account id (`sub`) — or the OAuth client id for client_credentials tokens. */
  subject: string;
  roles: string[];
  /** Space-separated OAuth scopes, split. */
  scopes: string[];
  /** True for machine (client_credentials) tokens. */
  isService: boolean;
  tokenId: string;
  expiresAt: Date;
}

/**
 * A verified caller as the server hands it to the domain: who they are, and the access token
 * they sent, which the domain forwards when it asks another service on their behalf.
 */
export interface Caller {
  readonly principal: Principal;
  readonly accessToken: string;
}

export const ADMIN_ROLE = 'admin';
export const SERVICE_ROLE = 'service';

export interface VerifierOptions {
  issuer: string;
  audience: string;
  /** Remote JWKS (other services) or a key set resolver (identity verifies with its own keys). */
  keys: { jwksUrl: string } | { getKey: JWTVerifyGetKey } | { jwks: JSONWebKeySet };
  /** Clock tolerance for exp/nbf, seconds. */
  clockToleranceSeconds?: number;
}

export type AccessTokenVerifier = (token: string) => Promise<Principal>;

/**
 * Verifies EdDSA access tokens: signature against the JWKS (fetched once, cached, refetched on
 * an unknown kid), issuer, audience, expiry. Any failure is UNAUTHENTICATED with a reason.
 */
export function createAccessTokenVerifier(opts: VerifierOptions): AccessTokenVerifier {
  const getKey: JWTVerifyGetKey =
    'jwksUrl' in opts.keys
      ? createRemoteJWKSet(new URL(opts.keys.jwksUrl), { cooldownDuration: 5_000, cacheMaxAge: 10 * 60_000 })
      : 'jwks' in opts.keys
        ? createLocalJWKSet(opts.keys.jwks)
        : opts.keys.getKey;
  // Players and pages send the same token over and over (a heartbeat every few seconds): a
  // verified token is remembered until it expires, so the EdDSA check runs once per token.
  const verified = new Map<string, Principal>();
  const CACHE_MAX = 20_000;
  return async (token) => {
    const hit = verified.get(token);
    if (hit) {
      if (hit.expiresAt.getTime() > Date.now()) return hit;
      verified.delete(token);
    }
    const principal = await verifyOnce(token);
    if (verified.size >= CACHE_MAX) verified.delete(verified.keys().next().value!);
    verified.set(token, principal);
    return principal;
  };

  async function verifyOnce(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        issuer: opts.issuer,
        audience: opts.audience,
        algorithms: ['EdDSA'],
        clockTolerance: opts.clockToleranceSeconds ?? 30,
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch (e) {
      throw tokenError(e);
    }
    return principalFromClaims(payload);
  }
}

function tokenError(e: unknown): DomainError {
  if (e instanceof joseErrors.JWTExpired) return unauthenticated('access token has expired', 'TOKEN_EXPIRED');
  if (e instanceof joseErrors.JWTClaimValidationFailed)
    return unauthenticated(`access token rejected: ${e.claim} claim check failed`, 'TOKEN_INVALID');
  if (e instanceof joseErrors.JWKSNoMatchingKey)
    return unauthenticated('access token signed by an unknown key', 'TOKEN_INVALID');
  if (e instanceof joseErrors.JOSEAlgNotAllowed)
    return unauthenticated('access token uses a disallowed algorithm', 'TOKEN_INVALID');
  if (e instanceof joseErrors.JWKSTimeout || (e instanceof Error && /fetch|ECONNREFUSED/i.test(e.message)))
    return new DomainError('unavailable', 'JWKS_UNAVAILABLE', 'cannot fetch signing keys to verify the token');
  return unauthenticated('access token is invalid', 'TOKEN_INVALID');
}

export function principalFromClaims(payload: JWTPayload): Principal {
  const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
  const scope = typeof payload.scope === 'string' ? payload.scope : '';
  return {
    subject: String(payload.sub),
    roles,
    scopes: scope ? scope.split(' ') : [],
    isService: roles.includes(SERVICE_ROLE),
    tokenId: typeof payload.jti === 'string' ? payload.jti : '',
    expiresAt: new Date(Number(payload.exp) * 1000),
  };
}

/** Extracts the token from an `authorization: Bearer …` value; undefined when absent. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw unauthenticated('authorization header must be "Bearer <token>"', 'MALFORMED_AUTHORIZATION');
  return m[1];
}

export function requireAdmin(principal: Principal | undefined): Principal {
  if (!principal) throw unauthenticated('sign in first');
  if (!principal.roles.includes(ADMIN_ROLE))
    throw new DomainError('permission_denied', 'ADMIN_ONLY', 'this operation needs the admin role');
  return principal;
}

/** A signed-in human account (not a service token). */
export function requireUser(principal: Principal | undefined): Principal {
  if (!principal) throw unauthenticated('sign in first');
  if (principal.isService)
    throw new DomainError('permission_denied', 'USER_TOKEN_REQUIRED', 'this operation needs a user token');
  return principal;
}

/** A signed-in human caller (not a service token), with the token to act on their behalf. */
export function requireUserCaller(caller: Caller | undefined): Caller {
  if (!caller) throw unauthenticated('sign in first');
  requireUser(caller.principal);
  return caller;
}

// Identity gives accounts randomUUID() ids (the tokens' subjects); anything else cannot name one,
// so an admin call naming it is a client mistake (400), not a 404.
const ACCOUNT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An account id taken from a request (admin routes name other users), checked before any lookup. */
export function checkUserId(userId: string, field = 'userId'): string {
  const id = userId.trim();
  if (id === '') throw invalidArgument(field, 'is required');
  if (!ACCOUNT_ID.test(id)) throw invalidArgument(field, 'must be an account ID (a UUID)');
  return id.toLowerCase();
}
