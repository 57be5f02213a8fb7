import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { requireUser, type Principal } from '@flix/auth';
import { DomainError, isDomainError } from '@flix/errors';
import type { RequestMeta, TokenPair, UserRecord } from './model.js';
import { checkScopes, hashOAuthSecret, type TokenIssuer } from './oauth-authorization.js';
import type { OAuthApplication, OAuthApplications } from './oauth-clients.js';
import { oauthError } from './oauth-errors.js';
import type { DeviceAuthorizationRecord, DeviceAuthorizationRepository, UserCodeAttemptRepository } from './oauth-ports.js';
import type { Clock } from './ports.js';

/**
 * RFC 8628 §6.1: consonants only (no vowels, so no words) and none that look alike. 20^8 codes
 * (2.6·10^10) against a handful of guesses per account and address per window.
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;
/** RFC 8628 §3.5: each slow_down adds five seconds to the interval, for good. */
export const SLOW_DOWN_SECONDS = 5;

export interface DevicePolicy {
  /** Where the person types the code: `<public>/activate`. */
  verificationUri: string;
  codeTtlSeconds: number;
  intervalSeconds: number;
  /** Wrong user codes allowed per account, and per client address, per window. */
  accountAttempts: number;
  addressAttempts: number;
  attemptWindowSeconds: number;
}

export interface DeviceAuthorizationStart {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string;
  expiresIn: number;
  interval: number;
}

export interface DeviceAuthorizationView {
  userCode: string;
  app: OAuthApplication;
  scopes: string[];
  state: 'pending' | 'approved' | 'denied';
  expiresAt: Date;
}

/** "WDJBMJHT" → "WDJB-MJHT". */
export const formatUserCode = (code: string) => `${code.slice(0, 4)}-${code.slice(4)}`;

/** What the person typed, as stored: case, dashes and spaces do not matter. Null if it cannot be a code. */
export function normaliseUserCode(typed: string): string | null {
  const code = typed.toUpperCase().replace(/[\s-]/g, '');
  if (code.length !== USER_CODE_LENGTH) return null;
  return [...code].every((c) => USER_CODE_ALPHABET.includes(c)) ? code : null;
}

function newUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

/**
 * The device authorization grant (RFC 8628): a TV asks for a code, shows it, and polls; the
 * person signs in on a phone, types the code and approves; the TV's next poll gets tokens.
 */
export class DeviceAuthorizations {
  constructor(
    private readonly deps: {
      apps: OAuthApplications;
      devices: DeviceAuthorizationRepository;
      attempts: UserCodeAttemptRepository;
      users: { findById(id: string): Promise<UserRecord | null> };
      tokens: TokenIssuer;
      clock: Clock;
      policy: DevicePolicy;
    },
  ) {}

  /** POST /oauth/device_authorization (RFC 8628 §3.1–3.2). */
  async start(req: { clientId: string; clientSecret: string | null; scope: string }): Promise<DeviceAuthorizationStart> {
    const app = this.client(req.clientId, req.clientSecret);
    const scopes = checkScopes(app, req.scope);
    const { policy, clock, devices } = this.deps;
    const deviceCode = randomBytes(32).toString('base64url');
    const now = clock.now();
    // A user code is short: on the rare clash with a live one, draw another.
    for (let attempt = 0; ; attempt++) {
      const userCode = newUserCode();
      try {
        await devices.insert({
          deviceCodeHash: hashOAuthSecret(deviceCode),
          userCode,
          clientId: app.id,
          scopes,
          createdAt: now,
          expiresAt: new Date(now.getTime() + policy.codeTtlSeconds * 1000),
          interval: policy.intervalSeconds,
          lastPolledAt: null,
          status: 'pending',
          userId: null,
          decidedAt: null,
        });
        const shown = formatUserCode(userCode);
        return {
          deviceCode,
          userCode: shown,
          verificationUri: policy.verificationUri,
          verificationUriComplete: `${policy.verificationUri}?user_code=${shown}`,
          expiresIn: policy.codeTtlSeconds,
          interval: policy.intervalSeconds,
        };
      } catch (e) {
        if (attempt < 5 && isDomainError(e) && e.reason === 'USER_CODE_TAKEN') continue;
        throw e;
      }
    }
  }

  /** The device's poll at the token endpoint (RFC 8628 §3.4–3.5). */
  async poll(req: { clientId: string; clientSecret: string | null; deviceCode: string }, meta: RequestMeta): Promise<TokenPair & { scope: string }> {
    const app = this.client(req.clientId, req.clientSecret);
    if (req.deviceCode === '') throw oauthError('invalid_request', 'device_code is required', 'deviceCode');
    const { devices, clock } = this.deps;
    const now = clock.now();
    const hash = hashOAuthSecret(req.deviceCode);
    const record = await devices.poll(hash, now);
    if (!record || record.clientId !== app.id) throw oauthError('invalid_grant', 'device_code is invalid', 'deviceCode');
    if (record.status === 'redeemed') throw oauthError('invalid_grant', 'device_code was already used', 'deviceCode');
    if (record.expiresAt <= now) throw oauthError('expired_token', 'device_code has expired; start again with a new code', 'deviceCode');
    if (record.lastPolledAt && now.getTime() - record.lastPolledAt.getTime() < record.interval * 1000) {
      await devices.slowDown(hash, SLOW_DOWN_SECONDS);
      const interval = record.interval + SLOW_DOWN_SECONDS;
      throw oauthError('slow_down', `polling too fast: wait at least ${interval} seconds between requests`, 'deviceCode', { interval: String(interval) });
    }
    if (record.status === 'denied') throw oauthError('access_denied', 'the user refused', 'deviceCode');
    if (record.status === 'pending') throw oauthError('authorization_pending', 'the user has not approved this device yet', 'deviceCode');
    const user = record.userId ? await this.deps.users.findById(record.userId) : null;
    if (!user) throw oauthError('invalid_grant', 'the account that approved this device no longer exists', 'deviceCode');
    if (!(await devices.redeem(hash))) throw oauthError('invalid_grant', 'device_code was already used', 'deviceCode');
    const scope = record.scopes.join(' ');
    // A new refresh family: the TV shows up as a device of its own in the account's list.
    const tokens = await this.deps.tokens.issue(user, meta, randomUUID(), [], { clientId: app.id, scope });
    return { ...tokens, scope };
  }

  /** What the code on the TV asks for, for the signed-in person about to approve it. */
  async get(principal: Principal | undefined, userCode: string, meta: RequestMeta): Promise<DeviceAuthorizationView> {
    const user = requireUser(principal);
    const record = await this.lookUp(user.subject, userCode, meta);
    return this.view(record);
  }

  /** The signed-in person approves (or refuses) the device showing `userCode`. */
  async decide(principal: Principal | undefined, userCode: string, deny: boolean, meta: RequestMeta): Promise<DeviceAuthorizationView> {
    const user = requireUser(principal);
    const record = await this.lookUp(user.subject, userCode, meta);
    if (record.status !== 'pending') throw alreadyDecided(record);
    const decision = deny ? 'denied' : 'approved';
    if (!(await this.deps.devices.decide(record.deviceCodeHash, decision, user.subject, this.deps.clock.now()))) {
      const now = await this.deps.devices.findByUserCode(record.userCode);
      throw alreadyDecided(now ?? record);
    }
    return this.view({ ...record, status: decision });
  }

  private client(clientId: string, clientSecret: string | null): OAuthApplication {
    if (clientId === '') throw oauthError('invalid_request', 'client_id is required', 'clientId');
    const app = this.deps.apps.authenticate(clientId, clientSecret);
    if (!app) throw oauthError('invalid_client', 'client authentication failed (unknown client_id, or a wrong or missing client_secret)', 'clientId');
    if (!app.grants.includes('device_code')) throw oauthError('unauthorized_client', `client ${app.id} may not use the device authorization grant`, 'clientId');
    return app;
  }

  /**
   * Finds a live code, counting wrong ones per account and per address: a signed-in person
   * cannot walk the code space to approve someone else's TV for their own account (or read it).
   */
  private async lookUp(userId: string, typed: string, meta: RequestMeta): Promise<DeviceAuthorizationRecord> {
    if (typed.trim() === '') throw oauthError('invalid_request', 'userCode is required', 'userCode');
    const { attempts, policy, clock, devices } = this.deps;
    const now = clock.now();
    const keys = [
      { key: `account:${userId}`, userId, limit: policy.accountAttempts },
      { key: `address:${meta.clientIp}`, limit: policy.addressAttempts },
    ];
    const counters = await attempts.read(keys.map((k) => k.key), now);
    const blocked = counters.filter((c) => c.failures >= keys.find((k) => k.key === c.key)!.limit);
    if (blocked.length > 0) {
      const until = Math.max(...blocked.map((c) => c.windowEnd.getTime()));
      const retryAfter = Math.max(1, Math.ceil((until - now.getTime()) / 1000));
      throw new DomainError('resource_exhausted', 'USER_CODE_ATTEMPTS_EXCEEDED', `too many wrong codes; try again in ${retryAfter} seconds`, [{ field: 'userCode', description: 'too many wrong codes' }], {}, retryAfter);
    }
    const code = normaliseUserCode(typed);
    const record = code ? await devices.findByUserCode(code) : null;
    // A redeemed code stays visible (as approved) until it expires: the phone's page may reload.
    if (!record || record.expiresAt <= now) {
      await attempts.recordFailure(keys.map(({ key, userId: id }) => (id ? { key, userId: id } : { key })), now, policy.attemptWindowSeconds);
      const shown = code ? formatUserCode(code) : typed.trim();
      throw new DomainError('not_found', 'USER_CODE_NOT_FOUND', `userCode ${shown} not found (it may have expired; the TV shows a new one)`, [{ field: 'userCode', description: 'no device is waiting with this code' }]);
    }
    return record;
  }

  private view(record: DeviceAuthorizationRecord): DeviceAuthorizationView {
    const app = this.deps.apps.find(record.clientId);
    if (!app) throw new DomainError('failed_precondition', 'CLIENT_UNREGISTERED', `client ${record.clientId} is no longer registered`);
    const state = record.status === 'redeemed' ? 'approved' : record.status;
    return { userCode: formatUserCode(record.userCode), app, scopes: record.scopes, state, expiresAt: record.expiresAt };
  }
}

function alreadyDecided(record: DeviceAuthorizationRecord): DomainError {
  const what = record.status === 'denied' ? 'denied' : 'approved';
  return new DomainError('failed_precondition', 'DEVICE_ALREADY_DECIDED', `userCode ${formatUserCode(record.userCode)} was already ${what}`, [{ field: 'userCode', description: `already ${what}` }]);
}
