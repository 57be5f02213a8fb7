import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { DomainError, invalidArgument, notFound, unauthenticated, Violations } from '@flix/errors';
import { LoginFailureReason } from '@flix/proto/flix/identity/v1/events';
import { checkUserId, requireAdmin, type Principal } from '@flix/auth';
import { normaliseEmail } from './email.js';
import type { IdentityEvent } from './events.js';
import { LoginThrottle, loginThrottled, type AccountUnderAttack, type LoginThrottlePolicy } from './login-throttle.js';
import type { RequestMeta, SessionSummary, TokenPair, UserRecord } from './model.js';
import type { Clock, LoginAttemptRepository, PasswordHasher, RefreshTokenRecord, RefreshTokenRepository, TokenSigner, UserRepository } from './ports.js';

export interface SessionPolicy {
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  /**
   * A token spent this recently may be presented once more and is rotated again instead of
   * counting as reuse: a browser that reloads while a refresh is in flight never receives the
   * rotated cookie, and would otherwise lose the whole sign-in. 0 turns the leeway off.
   */
  refreshReuseGraceSeconds: number;
  loginThrottle: LoginThrottlePolicy;
}

/** An OAuth application's tokens for a user: what the user granted it. */
export interface DelegatedGrant {
  clientId: string;
  /** Space-separated scopes. */
  scope: string;
}

export interface OAuthClient {
  id: string;
  secret: string;
  scopes: string[];
}

// The same generic answer for an unknown e-mail and a wrong password: no account enumeration.
const BAD_CREDENTIALS = () => unauthenticated('e-mail or password is incorrect', 'INVALID_CREDENTIALS');
const BAD_REFRESH = () => unauthenticated('refresh token is invalid, expired or revoked; sign in again', 'INVALID_REFRESH_TOKEN');

export const hashRefreshToken = (token: string) => createHash('sha256').update(token).digest('base64url');

/**
 * Sign-in, token issuance and rotation. Access tokens are short-lived EdDSA JWTs; refresh tokens
 * are opaque, stored hashed, single-use, and grouped in families so that replaying a spent one
 * revokes every token descended from the same sign-in.
 */
export class Sessions {
  private dummyHash: Promise<string>;
  private readonly throttle: LoginThrottle;

  constructor(
    private readonly deps: {
      users: UserRepository;
      refreshTokens: RefreshTokenRepository;
      attempts: LoginAttemptRepository;
      hasher: PasswordHasher;
      keys: TokenSigner;
      clock: Clock;
      policy: SessionPolicy;
      clients: OAuthClient[];
      /** Told when one account keeps failing from many addresses (a log line for operators). */
      onAccountUnderAttack?: (alert: AccountUnderAttack) => void;
    },
  ) {
    this.throttle = new LoginThrottle(deps.attempts, deps.policy.loginThrottle, deps.onAccountUnderAttack);
    // Verifying against a real hash when the account does not exist keeps both paths equally slow.
    this.dummyHash = deps.hasher.hash(randomBytes(16).toString('hex'));
  }

  async login(rawEmail: string, password: string, meta: RequestMeta): Promise<{ user: UserRecord; tokens: TokenPair }> {
    const v = new Violations();
    if (rawEmail.trim() === '') v.add('email', 'is required');
    if (password === '') v.add('password', 'is required');
    v.throwIfAny();
    const email = normaliseEmail(rawEmail);
    const { users, attempts, hasher, clock } = this.deps;
    const now = clock.now();
    // Decided before the account is looked up: a known and an unknown e-mail are throttled alike.
    const admission = await this.throttle.admit(email, meta.clientIp, now);
    const user = await users.findByEmail(email);
    if (admission.kind === 'refused') {
      await attempts.recordFailure([loginFailed(email, user?.id ?? '', meta, LoginFailureReason.LOGIN_FAILURE_REASON_THROTTLED)]);
      throw loginThrottled(admission.retryAfterSeconds);
    }
    const ok = user ? await hasher.verify(user.passwordHash, password) : (await hasher.verify(await this.dummyHash, password), false);
    if (!user || !ok) {
      await this.throttle.failed(admission.keys, now);
      await attempts.recordFailure([loginFailed(email, user?.id ?? '', meta, LoginFailureReason.LOGIN_FAILURE_REASON_BAD_CREDENTIALS)]);
      throw BAD_CREDENTIALS();
    }
    let current = user;
    if (hasher.needsRehash(user.passwordHash)) {
      // Parameters were raised since this hash was made: upgrade it while we know the password.
      current = await users
        .replace({ ...user, passwordHash: await hasher.hash(password), updatedAt: now }, user.version, [])
        .catch(() => user);
    }
    await this.throttle.succeeded(admission.keys, [
      { subject: 'identity.auth.login_succeeded', payload: { userId: user.id, clientIp: meta.clientIp, method: 'password' } },
    ]);
    return { user: current, tokens: await this.issue(current, meta, randomUUID()) };
  }

  /**
   * Issues an access token and the first refresh token of a new (or given) family. `grant` is set
   * for an OAuth application acting for the user: its tokens carry the granted scope and its id,
   * and keep them across refreshes.
   */
  async issue(user: UserRecord, meta: RequestMeta, familyId: string, events: IdentityEvent[] = [], grant?: DelegatedGrant): Promise<TokenPair> {
    const refresh = this.newRefreshToken(user.id, user.roles, familyId, meta, grant);
    await this.deps.refreshTokens.insert(refresh.record, events);
    return { accessToken: await this.accessToken(user, familyId, grant), refreshToken: refresh.token, expiresIn: this.deps.policy.accessTokenTtlSeconds, tokenType: 'Bearer' };
  }

  async refresh(token: string, meta: RequestMeta): Promise<TokenPair> {
    if (token.trim() === '') throw invalidArgument('refreshToken', 'is required');
    const { refreshTokens, users, clock } = this.deps;
    const now = clock.now();
    const existing = await refreshTokens.findByHash(hashRefreshToken(token));
    if (!existing) throw BAD_REFRESH();
    const user = await users.findById(existing.userId);
    if (!user) throw BAD_REFRESH();
    const grant = existing.clientId ? { clientId: existing.clientId, scope: existing.scope ?? '' } : undefined;
    const next = this.newRefreshToken(user.id, user.roles, existing.familyId, meta, grant);
    const graceSince = new Date(now.getTime() - this.deps.policy.refreshReuseGraceSeconds * 1000);
    const result = await refreshTokens.rotate(existing.hash, next.record, now, graceSince);
    if (result.kind === 'reused') {
      await refreshTokens.revokeFamily(result.record.familyId, now, () => [
        {
          subject: 'identity.auth.refresh_reuse_detected',
          payload: { userId: result.record.userId, familyId: result.record.familyId, clientIp: meta.clientIp },
        },
      ]);
      throw unauthenticated('refresh token was already used; every session from that sign-in has been revoked', 'REFRESH_TOKEN_REUSED');
    }
    if (result.kind === 'invalid') throw BAD_REFRESH();
    return { accessToken: await this.accessToken(user, existing.familyId, grant), refreshToken: next.token, expiresIn: this.deps.policy.accessTokenTtlSeconds, tokenType: 'Bearer' };
  }

  /** Revokes the family of the given refresh token (it must be the caller's), or all of them. */
  async logout(principal: Principal, refreshToken: string, allSessions: boolean): Promise<number> {
    const { refreshTokens, clock } = this.deps;
    const now = clock.now();
    const event = (revoked: number): IdentityEvent => ({
      subject: 'identity.auth.logged_out',
      payload: { userId: principal.subject, revokedSessions: revoked },
    });
    if (allSessions) return refreshTokens.revokeAllForUser(principal.subject, now, (n) => [event(n)]);
    if (refreshToken === '') throw invalidArgument('refreshToken', 'is required unless allSessions is true');
    const record = await refreshTokens.findByHash(hashRefreshToken(refreshToken));
    // Someone else's token is treated like an unknown one: nothing to reveal, nothing revoked.
    if (!record || record.userId !== principal.subject) throw BAD_REFRESH();
    await refreshTokens.revokeFamily(record.familyId, now, () => [event(1)]);
    return 1;
  }

  /** Admin: an account's sign-ins, newest first. NOT_FOUND for an unknown account. */
  async listForUser(principal: Principal | undefined, userId: string, query: { limit: number; after?: { createdAt: Date; familyId: string } }): Promise<SessionSummary[]> {
    requireAdmin(principal);
    const id = checkUserId(userId);
    if (!(await this.deps.users.findById(id))) throw notFound('user', id);
    return this.deps.refreshTokens.sessionsOf(id, { ...query, now: this.deps.clock.now() });
  }

  /** RFC 6749 §4.4: internal services authenticate as themselves. */
  async clientCredentials(clientId: string, clientSecret: string, requestedScopes: string[]): Promise<{ accessToken: string; expiresIn: number; scope: string }> {
    const client = this.deps.clients.find((c) => c.id === clientId);
    if (!client || !safeEqual(client.secret, clientSecret)) throw unauthenticated('client authentication failed', 'INVALID_CLIENT');
    const scopes = requestedScopes.length > 0 ? requestedScopes : client.scopes;
    const notAllowed = scopes.filter((s) => !client.scopes.includes(s));
    if (notAllowed.length > 0)
      throw new DomainError('invalid_argument', 'INVALID_SCOPE', `scope not allowed for this client: ${notAllowed.join(' ')}`);
    const { policy, keys } = this.deps;
    const accessToken = await keys.sign({ roles: ['service'], scope: scopes.join(' '), client_id: client.id }, client.id, policy.audience, policy.issuer, policy.accessTokenTtlSeconds, randomUUID());
    return { accessToken, expiresIn: policy.accessTokenTtlSeconds, scope: scopes.join(' ') };
  }

  /**
   * Checks the signed-in user's password before a sensitive change (password, e-mail), under the
   * same throttling as sign-in: guessing it through ChangePassword is as slow as through Login.
   * A wrong one is INVALID_ARGUMENT (WRONG_PASSWORD) naming `field`.
   */
  async checkPassword(user: UserRecord, password: string, meta: RequestMeta, field: string): Promise<void> {
    const { attempts, hasher, clock } = this.deps;
    const now = clock.now();
    const admission = await this.throttle.admit(user.email, meta.clientIp, now);
    if (admission.kind === 'refused') {
      await attempts.recordFailure([loginFailed(user.email, user.id, meta, LoginFailureReason.LOGIN_FAILURE_REASON_THROTTLED)]);
      throw loginThrottled(admission.retryAfterSeconds);
    }
    if (!(await hasher.verify(user.passwordHash, password))) {
      await this.throttle.failed(admission.keys, now);
      await attempts.recordFailure([loginFailed(user.email, user.id, meta, LoginFailureReason.LOGIN_FAILURE_REASON_BAD_CREDENTIALS)]);
      throw new DomainError('invalid_argument', 'WRONG_PASSWORD', `${field}: is not this account's password`, [{ field, description: "is not this account's password" }]);
    }
    await this.throttle.succeeded(admission.keys, []);
  }

  /**
   * `sid` names the refresh-token family the token was issued with, so that a call can tell which
   * signed-in device makes it (the browser's refresh cookie only travels to /v1/auth/*);
   * `email_verified` lets other services apply the verification rule without asking identity.
   * Tokens from before either claim simply lack it.
   */
  private accessToken(user: UserRecord, familyId: string, grant?: DelegatedGrant): Promise<string> {
    const { policy, keys } = this.deps;
    const claims = {
      roles: user.roles,
      sid: familyId,
      email_verified: user.emailVerifiedAt != null,
      ...(grant ? { scope: grant.scope, client_id: grant.clientId } : {}),
    };
    return keys.sign(claims, user.id, policy.audience, policy.issuer, policy.accessTokenTtlSeconds, randomUUID());
  }

  private newRefreshToken(userId: string, roles: string[], familyId: string, meta: RequestMeta, grant?: DelegatedGrant): { token: string; record: RefreshTokenRecord } {
    const token = randomBytes(32).toString('base64url');
    const now = this.deps.clock.now();
    return {
      token,
      record: {
        hash: hashRefreshToken(token),
        familyId,
        userId,
        roles,
        createdAt: now,
        expiresAt: new Date(now.getTime() + this.deps.policy.refreshTokenTtlDays * 86_400_000),
        usedAt: null,
        revokedAt: null,
        clientIp: meta.clientIp,
        ...(meta.userAgent ? { userAgent: meta.userAgent.slice(0, 512) } : {}),
        ...(grant ? { clientId: grant.clientId, scope: grant.scope } : {}),
      },
    };
  }
}

function loginFailed(email: string, userId: string, meta: RequestMeta, reason: LoginFailureReason): IdentityEvent {
  return { subject: 'identity.auth.login_failed', payload: { email, userId, clientIp: meta.clientIp, reason } };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
