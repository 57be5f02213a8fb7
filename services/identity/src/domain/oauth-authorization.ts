import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { requireUser, type Principal } from '@flix/auth';
import { DomainError } from '@flix/errors';
import type { IdentityEvent } from './events.js';
import type { RequestMeta, TokenPair, UserRecord } from './model.js';
import { describeScope, type OAuthApplication, type OAuthApplications } from './oauth-clients.js';
import { oauthError } from './oauth-errors.js';
import type { AuthorizationCodeRepository, ConsentRepository } from './oauth-ports.js';
import type { Clock, RefreshTokenRepository } from './ports.js';
import type { DelegatedGrant } from './sessions.js';

/** The query of an authorization request (RFC 6749 §4.1.1 + RFC 7636), as the browser brought it. */
export interface AuthorizationRequest {
  responseType: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  state: string;
  codeChallenge: string;
  codeChallengeMethod: string;
}

/** A request whose every parameter checked out. */
export interface ValidAuthorization {
  app: OAuthApplication;
  redirectUri: string;
  scopes: string[];
  state: string;
  codeChallenge: string;
}

export interface AuthorizationPreview {
  app: OAuthApplication;
  scopes: { name: string; description: string }[];
  consentGiven: boolean;
}

/** The token request of the authorization code grant (RFC 6749 §4.1.3 + RFC 7636 §4.5). */
export interface CodeExchange {
  clientId: string;
  /** From HTTP Basic or the form; null for a public client. */
  clientSecret: string | null;
  code: string;
  redirectUri: string;
  codeVerifier: string;
}

/** Issues tokens for a user: Sessions.issue, which starts (or continues) a refresh family. */
export interface TokenIssuer {
  issue(user: UserRecord, meta: RequestMeta, familyId: string, events: IdentityEvent[], grant: DelegatedGrant): Promise<TokenPair>;
}

export interface AuthorizationPolicy {
  /** The `iss` in every authorization response (RFC 9207); the discovery document's issuer. */
  issuer: string;
  codeTtlSeconds: number;
}

export const hashOAuthSecret = (value: string) => createHash('sha256').update(value).digest('base64url');
/** RFC 7636 §4.2: BASE64URL(SHA-256(ASCII(code_verifier))). */
export const s256 = (verifier: string) => createHash('sha256').update(verifier, 'ascii').digest('base64url');

// RFC 7636 §4.1: 43 to 128 unreserved characters. An S256 challenge is 32 bytes in base64url.
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const MAX_STATE = 2048;

/** Splits and checks a `scope` parameter against the application's allowed scopes. */
export function checkScopes(app: OAuthApplication, scope: string, field = 'scope'): string[] {
  const asked = [...new Set(scope.split(' ').filter(Boolean))];
  if (asked.length === 0) return app.scopes;
  const refused = asked.filter((s) => !app.scopes.includes(s));
  if (refused.length > 0) throw oauthError('invalid_scope', `scope ${refused.join(' ')} is not allowed for client ${app.id} (allowed: ${app.scopes.join(' ')})`, field);
  return asked;
}

/**
 * The authorization code grant with PKCE (OAuth 2.1 §4.1): checks authorization requests, issues
 * single-use codes bound to the client, redirect URI, user, scopes and code challenge, records
 * consent for third-party clients, and exchanges codes for tokens.
 */
export class OAuthAuthorizations {
  constructor(
    private readonly deps: {
      apps: OAuthApplications;
      codes: AuthorizationCodeRepository;
      consents: ConsentRepository;
      refreshTokens: RefreshTokenRepository;
      users: { findById(id: string): Promise<UserRecord | null> };
      tokens: TokenIssuer;
      clock: Clock;
      policy: AuthorizationPolicy;
    },
  ) {}

  /**
   * The parameters a browser cannot be sent back over (RFC 6749 §4.1.2.1): an unknown client or
   * a redirect URI it did not register is shown to the person, never redirected to.
   */
  checkClient(req: Pick<AuthorizationRequest, 'clientId' | 'redirectUri'>): { app: OAuthApplication; redirectUri: string } {
    if (req.clientId === '') throw oauthError('invalid_request', 'client_id is required', 'clientId');
    const app = this.deps.apps.find(req.clientId);
    if (!app) throw oauthError('invalid_request', `client_id ${req.clientId} is not a registered client`, 'clientId');
    if (req.redirectUri === '') throw oauthError('invalid_request', 'redirect_uri is required', 'redirectUri');
    // Exact string comparison (OAuth 2.1 §2.3.1): no normalisation an attacker could play with.
    if (!app.redirectUris.includes(req.redirectUri))
      throw oauthError('invalid_request', `redirect_uri ${req.redirectUri} is not registered for client ${app.id}`, 'redirectUri');
    return { app, redirectUri: req.redirectUri };
  }

  /**
   * Every parameter. The first two problems throw as checkClient does; the others throw errors
   * that belong in the redirect (`redirectable` tells them apart).
   */
  validate(req: AuthorizationRequest): ValidAuthorization {
    const { app, redirectUri } = this.checkClient(req);
    if (req.state.length > MAX_STATE) throw oauthError('invalid_request', `state is longer than ${MAX_STATE} characters`, 'state');
    if (!app.grants.includes('authorization_code'))
      throw oauthError('unauthorized_client', `client ${app.id} may not use the authorization code flow`, 'clientId');
    if (req.responseType !== 'code')
      throw oauthError('unsupported_response_type', req.responseType === '' ? 'response_type is required (code)' : `response_type ${req.responseType} is not supported (only code)`, 'responseType');
    if (req.codeChallenge === '') throw oauthError('invalid_request', 'code_challenge is required (PKCE, RFC 7636)', 'codeChallenge');
    if (req.codeChallengeMethod !== 'S256')
      throw oauthError('invalid_request', 'code_challenge_method must be S256 (plain is not accepted)', 'codeChallengeMethod');
    if (!CHALLENGE.test(req.codeChallenge))
      throw oauthError('invalid_request', 'code_challenge must be BASE64URL(SHA-256(code_verifier)): 43 characters', 'codeChallenge');
    const scopes = checkScopes(app, req.scope);
    return { app, redirectUri, scopes, state: req.state, codeChallenge: req.codeChallenge };
  }

  /** What the consent page shows. Every problem throws (the page shows it and may offer the redirect). */
  async preview(principal: Principal | undefined, req: AuthorizationRequest): Promise<AuthorizationPreview> {
    const user = requireUser(principal);
    let valid: ValidAuthorization;
    try {
      valid = this.validate(req);
    } catch (e) {
      // The client is known and its redirect URI registered: the page may send the browser back
      // with the error (ErrorInfo metadata redirectTo) instead of stranding the person.
      const { redirectUri } = this.checkClient(req);
      const err = e as DomainError;
      const redirectTo = this.errorRedirect(redirectUri, req.state.length > MAX_STATE ? '' : req.state, err);
      throw new DomainError(err.kind, err.reason, err.message, err.fieldViolations, { ...err.metadata, redirectTo }, err.retryAfterSeconds);
    }
    return { app: valid.app, scopes: valid.scopes.map((name) => ({ name, description: describeScope(name) })), consentGiven: await this.consentGiven(user.subject, valid) };
  }

  /**
   * The person decided: returns where to send the browser. An unknown client or redirect URI
   * throws; any other problem, and a refusal, go back to the client in the redirect.
   */
  async authorize(principal: Principal | undefined, req: AuthorizationRequest, deny: boolean): Promise<string> {
    const user = requireUser(principal);
    let valid: ValidAuthorization;
    try {
      valid = this.validate(req);
    } catch (e) {
      const { redirectUri } = this.checkClient(req);
      return this.errorRedirect(redirectUri, req.state.length > MAX_STATE ? '' : req.state, e as DomainError);
    }
    if (deny) return this.errorRedirect(valid.redirectUri, valid.state, oauthError('access_denied', 'the user refused'));
    const now = this.deps.clock.now();
    const code = randomBytes(32).toString('base64url');
    await this.deps.codes.insert({
      hash: hashOAuthSecret(code),
      clientId: valid.app.id,
      redirectUri: valid.redirectUri,
      userId: user.subject,
      scopes: valid.scopes,
      codeChallenge: valid.codeChallenge,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.deps.policy.codeTtlSeconds * 1000),
      usedAt: null,
      familyId: null,
    });
    if (!valid.app.firstParty) await this.deps.consents.grant(user.subject, valid.app.id, valid.scopes, now);
    return this.redirect(valid.redirectUri, { code, ...(valid.state ? { state: valid.state } : {}), iss: this.deps.policy.issuer });
  }

  /** The authorization_code grant at the token endpoint. */
  async exchange(req: CodeExchange, meta: RequestMeta): Promise<TokenPair & { scope: string }> {
    const { apps, codes, clock } = this.deps;
    if (req.clientId === '') throw oauthError('invalid_request', 'client_id is required', 'clientId');
    const app = apps.authenticate(req.clientId, req.clientSecret);
    if (!app) throw oauthError('invalid_client', 'client authentication failed (unknown client_id, or a wrong or missing client_secret)', 'clientId');
    if (req.code === '') throw oauthError('invalid_request', 'code is required', 'code');
    if (req.redirectUri === '') throw oauthError('invalid_request', 'redirect_uri is required', 'redirectUri');
    if (req.codeVerifier === '') throw oauthError('invalid_request', 'code_verifier is required (PKCE)', 'codeVerifier');
    if (!VERIFIER.test(req.codeVerifier)) throw oauthError('invalid_request', 'code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~', 'codeVerifier');
    const now = clock.now();
    const hash = hashOAuthSecret(req.code);
    const record = await codes.findByHash(hash);
    if (!record) throw oauthError('invalid_grant', 'code is invalid or expired', 'code');
    if (record.usedAt) return this.replayed(record);
    // Checked before the code is spent: a wrong guess with a stolen code does not burn it for its owner.
    if (record.expiresAt <= now) throw oauthError('invalid_grant', 'code is invalid or expired', 'code');
    if (record.clientId !== app.id) throw oauthError('invalid_grant', 'code was issued to another client', 'code');
    if (record.redirectUri !== req.redirectUri) throw oauthError('invalid_grant', 'redirect_uri does not match the one of the authorization request', 'redirectUri');
    if (s256(req.codeVerifier) !== record.codeChallenge) throw oauthError('invalid_grant', 'code_verifier does not match the code_challenge', 'codeVerifier');
    const user = await this.deps.users.findById(record.userId);
    if (!user) throw oauthError('invalid_grant', 'the account that approved this code no longer exists', 'code');
    const familyId = randomUUID();
    const redeemed = await codes.redeem(hash, now, familyId);
    if (redeemed.kind === 'already_used') return this.replayed(redeemed.record);
    const scope = record.scopes.join(' ');
    const tokens = await this.deps.tokens.issue(user, meta, familyId, [], { clientId: app.id, scope });
    return { ...tokens, scope };
  }

  /** RFC 6749 §4.1.2: a code used twice is refused, and the tokens issued from it are revoked. */
  private async replayed(record: { familyId: string | null }): Promise<never> {
    if (record.familyId) await this.deps.refreshTokens.revokeFamily(record.familyId, this.deps.clock.now(), () => []);
    throw oauthError('invalid_grant', 'code was already used; the tokens issued from it are revoked', 'code');
  }

  private async consentGiven(userId: string, valid: ValidAuthorization): Promise<boolean> {
    if (valid.app.firstParty) return true;
    const granted = await this.deps.consents.grantedScopes(userId, valid.app.id);
    return valid.scopes.every((s) => granted.includes(s));
  }

  /** redirect_uri with `error`, `error_description`, `state` and `iss` (RFC 6749 §4.1.2.1, RFC 9207). */
  errorRedirect(redirectUri: string, state: string, e: DomainError): string {
    const error = e.metadata.oauthError ?? 'server_error';
    return this.redirect(redirectUri, { error, error_description: e.message, ...(state ? { state } : {}), iss: this.deps.policy.issuer });
  }

  private redirect(redirectUri: string, params: Record<string, string>): string {
    const url = new URL(redirectUri);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url.toString();
  }
}
