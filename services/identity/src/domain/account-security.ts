import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DomainError, invalidArgument, notFound, Violations } from '@flix/errors';
import { requireUser, type Principal } from '@flix/auth';
import { PasswordChangeMethod } from '@flix/proto/flix/identity/v1/events';
import { normaliseEmail } from './email.js';
import type { IdentityEvent } from './events.js';
import type { DeviceRecord } from './devices.js';
import type { PendingEmailVerification, RequestMeta, UserRecord } from './model.js';
import { passwordProblem } from './password-policy.js';
import type { Clock, PasswordHasher, RefreshTokenRepository, UserRepository } from './ports.js';
import { hashRefreshToken, type Sessions } from './sessions.js';

/** Storage for account recovery, verification and devices (storage/account-security-store.ts). */
export interface AccountSecurityStore {
  findByResetTokenHash(hash: string): Promise<UserRecord | null>;
  findByVerificationTokenHash(hash: string): Promise<UserRecord | null>;
  /**
   * Compare-and-set on `expectedVersion` (CONCURRENT_MODIFICATION otherwise). In the same
   * transaction, when `revokeSessions` is given, revokes every refresh-token family of the user
   * but `keep`, and writes `events(revokedFamilies)`. An address already in use is ALREADY_EXISTS
   * (EMAIL_TAKEN) naming `emailField`.
   */
  update(
    user: UserRecord,
    expectedVersion: number,
    opts: { revokeSessions?: { keep: string | null; at: Date }; emailField?: string },
    events: (revokedFamilies: number) => IdentityEvent[],
  ): Promise<{ user: UserRecord; revoked: number }>;
  /** The user's families with a live token, most recently used first, after `after`. */
  devices(userId: string, query: { limit: number; after?: { lastUsedAt: Date; id: string }; now: Date }): Promise<DeviceRecord[]>;
  /** True when `familyId` is the user's and still has a live token. */
  isLiveFamily(userId: string, familyId: string, now: Date): Promise<boolean>;
}

export interface AccountSecurityPolicy {
  passwordResetTtlMinutes: number;
  emailVerificationTtlHours: number;
  /** Reset and verification mails per account per hour; more requests are answered but send nothing. */
  mailsPerHour: number;
  /** RequestPasswordReset never answers sooner than this (see requestPasswordReset). */
  resetAnswerFloorMs: number;
}

const HOUR_MS = 3_600_000;

/** 256 random bits, base64url (43 characters): safe in a URL, unguessable. */
const newToken = () => randomBytes(32).toString('base64url');
/** Tokens are stored as their SHA-256: a database leak yields no usable link. */
export const hashAccountToken = (token: string) => createHash('sha256').update(token).digest('base64url');

/** A fresh verification link for the user's current address, and the event that mails it. */
export function issueEmailVerification(
  user: Pick<UserRecord, 'id' | 'email' | 'displayName' | 'preferredLanguage'>,
  now: Date,
  ttlHours: number,
  reason: PendingEmailVerification['reason'],
): { pending: PendingEmailVerification; event: IdentityEvent } {
  const token = newToken();
  const expiresAt = new Date(now.getTime() + ttlHours * HOUR_MS);
  return {
    pending: { tokenHash: hashAccountToken(token), expiresAt, email: user.email, reason },
    event: {
      subject: 'identity.user.email_verification_requested',
      payload: { userId: user.id, email: user.email, displayName: user.displayName, preferredLanguage: user.preferredLanguage, token, expireTime: expiresAt },
    },
  };
}

const tokenError = (reason: string, description: string) =>
  new DomainError('invalid_argument', reason, `token: ${description}`, [{ field: 'token', description }]);

/**
 * What an account whose address is not verified may not do (the one rule, enforced here and
 * written in the proto and the README): it cannot change its address AGAIN before proving the
 * one it changed to. A fresh sign-up may fix a mistyped address once without verifying; after
 * an e-mail change, the new address must be proven first. This keeps an account from being used
 * to send verification mail to address after address, and keeps the account's address history
 * a chain of proven addresses. Everything else (browsing, watching, paying) is allowed; the
 * access token's `email_verified` claim lets another service add its own rule later.
 */
export function emailChangeBlocked(user: UserRecord): boolean {
  return user.emailVerifiedAt == null && user.emailVerification?.reason === 'change';
}

/**
 * Forgot/reset password, password change, e-mail verification and signed-in devices.
 */
export class AccountSecurity {
  constructor(
    private readonly deps: {
      users: UserRepository;
      store: AccountSecurityStore;
      refreshTokens: RefreshTokenRepository;
      sessions: Sessions;
      /** Hashes new passwords (a PasswordWork lane). */
      hasher: PasswordHasher;
      clock: Clock;
      policy: AccountSecurityPolicy;
    },
  ) {}

  /**
   * Mails a reset link when an account has the address; answers the same either way.
   *
   * No enumeration: the answer is empty for a known address, an unknown one, and a known one over
   * its hourly mail limit, and only a malformed address is an error (which says nothing about
   * accounts). Timing: both paths look the account up; only the known path then writes (the token
   * hash and the outbox event, a few milliseconds). So the answer is held until a fixed floor
   * (FLIX_PASSWORD_RESET_ANSWER_FLOOR_MS, 250 ms by default) after the request arrived, far above
   * that work: every outcome answers in the same timing class, the floor, unless the database is
   * so slow that the work itself exceeds it (then both paths are slow alike, too).
   */
  async requestPasswordReset(rawEmail: string, meta: RequestMeta): Promise<void> {
    const started = performance.now();
    const email = normaliseEmail(rawEmail);
    try {
      await this.sendResetIfKnown(email, meta);
    } finally {
      const left = this.deps.policy.resetAnswerFloorMs - (performance.now() - started);
      if (left > 0) await sleep(left);
    }
  }

  private async sendResetIfKnown(email: string, meta: RequestMeta): Promise<void> {
    const { users, store, clock, policy } = this.deps;
    for (let attempt = 0; ; attempt++) {
      const user = await users.findByEmail(email);
      if (!user) return;
      const now = clock.now();
      const recent = recentMails(user, now);
      // Over the limit: silently nothing (the owner still has the earlier, live link).
      if (recent.length >= policy.mailsPerHour) return;
      const token = newToken();
      const expiresAt = new Date(now.getTime() + policy.passwordResetTtlMinutes * 60_000);
      const next: UserRecord = {
        ...user,
        // One live link: this one replaces any earlier one.
        passwordReset: { tokenHash: hashAccountToken(token), expiresAt },
        accountMailTimes: [...recent, now],
      };
      const event: IdentityEvent = {
        subject: 'identity.user.password_reset_requested',
        payload: { userId: user.id, email: user.email, displayName: user.displayName, preferredLanguage: user.preferredLanguage, token, expireTime: expiresAt, clientIp: meta.clientIp },
      };
      try {
        await store.update(next, user.version, {}, () => [event]);
        return;
      } catch (e) {
        if (!isConflict(e) || attempt >= 3) throw e;
      }
    }
  }

  /**
   * Sets a new password with a reset token: the token is spent, every device signed out. Following
   * the link also proves the address, so an unverified one becomes verified.
   */
  async resetPassword(token: string, newPassword: string): Promise<{ revokedSessions: number }> {
    if (token.trim() === '') throw invalidArgument('token', 'is required');
    if (newPassword === '') throw invalidArgument('newPassword', 'is required');
    const { store, clock, hasher } = this.deps;
    const hash = hashAccountToken(token.trim());
    let passwordHash: string | undefined;
    for (let attempt = 0; ; attempt++) {
      const user = await store.findByResetTokenHash(hash);
      const now = clock.now();
      if (!user || !user.passwordReset) throw tokenError('RESET_TOKEN_INVALID', 'is not a valid reset link (it may have been used already or replaced by a newer one); ask for a new one');
      if (user.passwordReset.expiresAt <= now) throw tokenError('RESET_TOKEN_EXPIRED', 'has expired; ask for a new reset link');
      const problem = passwordProblem(newPassword, user.email);
      if (problem) throw invalidArgument('newPassword', problem);
      passwordHash ??= await hasher.hash(newPassword);
      const verifiedNow = user.emailVerifiedAt == null;
      const next: UserRecord = {
        ...user,
        passwordHash,
        passwordReset: null,
        emailVerifiedAt: user.emailVerifiedAt ?? now,
        emailVerification: verifiedNow ? null : user.emailVerification ?? null,
        updatedAt: now,
      };
      try {
        const { revoked } = await store.update(next, user.version, { revokeSessions: { keep: null, at: now } }, (revokedFamilies) => [
          ...(verifiedNow ? [{ subject: 'identity.user.email_verified' as const, payload: { userId: user.id, email: user.email } }] : []),
          passwordChanged(user, PasswordChangeMethod.PASSWORD_CHANGE_METHOD_RESET, revokedFamilies),
        ]);
        return { revokedSessions: revoked };
      } catch (e) {
        if (!isConflict(e) || attempt >= 3) throw e;
      }
    }
  }

  /**
   * Changes the signed-in user's password; every other device is signed out. `thisDevice` is the
   * refresh token the caller sent (body or cookie) or the `sid` of its access token.
   */
  async changePassword(
    principal: Principal | undefined,
    input: { currentPassword: string; newPassword: string; thisDevice: { refreshToken?: string; sessionId?: string } },
    meta: RequestMeta,
  ): Promise<{ revokedSessions: number }> {
    const p = requireUser(principal);
    const user = await this.userOf(p);
    const v = new Violations();
    if (input.currentPassword === '') v.add('currentPassword', 'is required');
    const problem = passwordProblem(input.newPassword, user.email);
    if (problem) v.add('newPassword', problem);
    else if (input.newPassword === input.currentPassword) v.add('newPassword', 'must differ from the current password');
    v.throwIfAny();
    await this.deps.sessions.checkPassword(user, input.currentPassword, meta, 'currentPassword');
    const keep = await this.familyOf(p.subject, input.thisDevice);
    const passwordHash = await this.deps.hasher.hash(input.newPassword);
    for (let attempt = 0; ; attempt++) {
      const current = attempt === 0 ? user : await this.userOf(p);
      const now = this.deps.clock.now();
      const next: UserRecord = { ...current, passwordHash, passwordReset: null, updatedAt: now };
      try {
        const { revoked } = await this.deps.store.update(next, current.version, { revokeSessions: { keep, at: now } }, (n) => [
          passwordChanged(current, PasswordChangeMethod.PASSWORD_CHANGE_METHOD_CHANGE, n),
        ]);
        return { revokedSessions: revoked };
      } catch (e) {
        if (!isConflict(e) || attempt >= 3) throw e;
      }
    }
  }

  /** Proves the address the token was sent to. */
  async verifyEmail(token: string): Promise<UserRecord> {
    if (token.trim() === '') throw invalidArgument('token', 'is required');
    const hash = hashAccountToken(token.trim());
    for (let attempt = 0; ; attempt++) {
      const user = await this.deps.store.findByVerificationTokenHash(hash);
      const now = this.deps.clock.now();
      const pending = user?.emailVerification;
      // A link for an address the account no longer has proves nothing.
      if (!user || !pending || pending.email !== user.email)
        throw tokenError('EMAIL_VERIFICATION_TOKEN_INVALID', 'is not a valid verification link (it may have been used already or replaced by a newer one)');
      if (pending.expiresAt <= now) throw tokenError('EMAIL_VERIFICATION_TOKEN_EXPIRED', 'has expired; sign in and ask for a new verification e-mail');
      const next: UserRecord = { ...user, emailVerifiedAt: now, emailVerification: null, updatedAt: now };
      try {
        const { user: saved } = await this.deps.store.update(next, user.version, {}, () => [
          { subject: 'identity.user.email_verified', payload: { userId: user.id, email: user.email } },
        ]);
        return saved;
      } catch (e) {
        if (!isConflict(e) || attempt >= 3) throw e;
      }
    }
  }

  /** Mails a new verification link to the current, unverified address (the earlier link stops working). */
  async sendVerificationEmail(principal: Principal | undefined): Promise<void> {
    const p = requireUser(principal);
    for (let attempt = 0; ; attempt++) {
      const user = await this.userOf(p);
      if (user.emailVerifiedAt != null) throw new DomainError('failed_precondition', 'EMAIL_ALREADY_VERIFIED', `${user.email} is already verified`);
      const now = this.deps.clock.now();
      const recent = this.underMailLimit(user, now);
      const { pending, event } = issueEmailVerification(user, now, this.deps.policy.emailVerificationTtlHours, user.emailVerification?.reason ?? 'signup');
      const next: UserRecord = { ...user, emailVerification: pending, accountMailTimes: [...recent, now], updatedAt: now };
      try {
        await this.deps.store.update(next, user.version, {}, () => [event]);
        return;
      } catch (e) {
        if (!isConflict(e) || attempt >= 3) throw e;
      }
    }
  }

  /** Changes the address (password required); the new one is unverified until its link is followed. */
  async changeEmail(principal: Principal | undefined, input: { newEmail: string; currentPassword: string }, meta: RequestMeta): Promise<UserRecord> {
    const p = requireUser(principal);
    const v = new Violations();
    let email = '';
    try {
      email = normaliseEmail(input.newEmail, 'newEmail');
    } catch (e) {
      v.add('newEmail', (e as DomainError).fieldViolations[0]?.description ?? 'is invalid');
    }
    if (input.currentPassword === '') v.add('currentPassword', 'is required');
    v.throwIfAny();
    const user = await this.userOf(p);
    if (emailChangeBlocked(user))
      throw new DomainError(
        'failed_precondition',
        'EMAIL_NOT_VERIFIED',
        `verify ${user.email} (follow the link sent to it, or ask for a new one) before changing your e-mail address again`,
        [],
        { email: user.email },
      );
    if (email === user.email) throw invalidArgument('newEmail', 'is already your e-mail address');
    await this.deps.sessions.checkPassword(user, input.currentPassword, meta, 'currentPassword');
    for (let attempt = 0; ; attempt++) {
      const current = attempt === 0 ? user : await this.userOf(p);
      const now = this.deps.clock.now();
      const recent = this.underMailLimit(current, now);
      const changed = { ...current, email };
      const { pending, event } = issueEmailVerification(changed, now, this.deps.policy.emailVerificationTtlHours, 'change');
      const next: UserRecord = {
        ...changed,
        emailVerifiedAt: null,
        emailVerification: pending,
        // A reset link mailed to the old address must not work any more.
        passwordReset: null,
        accountMailTimes: [...recent, now],
        updatedAt: now,
      };
      try {
        const { user: saved } = await this.deps.store.update(next, current.version, { emailField: 'newEmail' }, () => [
          { subject: 'identity.user.email_changed', payload: { userId: current.id, oldEmail: current.email, newEmail: email } },
          event,
        ]);
        return saved;
      } catch (e) {
        if (!isConflict(e) || attempt >= 3) throw e;
      }
    }
  }

  /** The caller's signed-in devices, most recently used first; `current` marks the one calling. */
  async listDevices(
    principal: Principal | undefined,
    query: { limit: number; after?: { lastUsedAt: Date; id: string }; thisDevice: { refreshToken?: string; sessionId?: string } },
  ): Promise<{ devices: DeviceRecord[]; currentId: string | null }> {
    const p = requireUser(principal);
    const [devices, currentId] = await Promise.all([
      this.deps.store.devices(p.subject, { limit: query.limit, after: query.after, now: this.deps.clock.now() }),
      this.familyOf(p.subject, query.thisDevice),
    ]);
    return { devices, currentId };
  }

  /** Signs one of the caller's devices out. Another account's device is NOT_FOUND, and untouched. */
  async signOutDevice(principal: Principal | undefined, deviceId: string): Promise<void> {
    const p = requireUser(principal);
    const id = deviceId.trim();
    if (id === '') throw invalidArgument('deviceId', 'is required');
    const now = this.deps.clock.now();
    if (!(await this.deps.store.isLiveFamily(p.subject, id, now))) throw notFound('device', id);
    await this.deps.refreshTokens.revokeFamily(id, now, (n) => [{ subject: 'identity.auth.logged_out', payload: { userId: p.subject, revokedSessions: n > 0 ? 1 : 0 } }]);
  }

  private async userOf(p: Principal): Promise<UserRecord> {
    const user = await this.deps.users.findById(p.subject);
    if (!user) throw notFound('user', p.subject);
    return user;
  }

  /** The refresh-token family of the calling device: its refresh token's, else its access token's `sid`. */
  private async familyOf(userId: string, device: { refreshToken?: string; sessionId?: string }): Promise<string | null> {
    if (device.refreshToken) {
      const record = await this.deps.refreshTokens.findByHash(hashRefreshToken(device.refreshToken));
      if (record && record.userId === userId) return record.familyId;
    }
    return device.sessionId || null;
  }

  /** The mails of the last hour; RESOURCE_EXHAUSTED when the account may send no more yet. */
  private underMailLimit(user: UserRecord, now: Date): Date[] {
    const recent = recentMails(user, now);
    if (recent.length >= this.deps.policy.mailsPerHour) {
      const retryAfterSeconds = Math.max(1, Math.ceil((recent[0]!.getTime() + HOUR_MS - now.getTime()) / 1000));
      throw new DomainError(
        'resource_exhausted',
        'ACCOUNT_MAIL_LIMIT',
        `at most ${this.deps.policy.mailsPerHour} account e-mails per hour; try again in ${Math.ceil(retryAfterSeconds / 60)} minutes`,
        [],
        { limit: String(this.deps.policy.mailsPerHour) },
        retryAfterSeconds,
      );
    }
    return recent;
  }
}

function recentMails(user: UserRecord, now: Date): Date[] {
  return (user.accountMailTimes ?? []).filter((t) => now.getTime() - t.getTime() < HOUR_MS).sort((a, b) => a.getTime() - b.getTime());
}

function passwordChanged(user: UserRecord, method: PasswordChangeMethod, revokedSessions: number): IdentityEvent {
  return { subject: 'identity.user.password_changed', payload: { userId: user.id, email: user.email, method, revokedSessions } };
}

const isConflict = (e: unknown) => e instanceof DomainError && e.reason === 'CONCURRENT_MODIFICATION';
