import { randomUUID } from 'node:crypto';
import { DomainError, notFound, Violations } from '@flix/errors';
import { checkUserId, requireAdmin, requireUser, type Principal } from '@flix/auth';
import { issueEmailVerification } from './account-security.js';
import { normaliseEmail } from './email.js';
import {
  KIDS_MAX_MATURITY,
  MATURITY_LEVELS,
  MAX_PROFILES,
  ROLE_NAMES,
  type Maturity,
  type ProfileRecord,
  type RequestMeta,
  type RoleName,
  type TokenPair,
  type UserRecord,
} from './model.js';
import { passwordProblem } from './password-policy.js';
import type { Clock, PasswordHasher, UserRepository } from './ports.js';
import type { Sessions } from './sessions.js';

export interface RegisterInput {
  email: string;
  password: string;
  displayName: string;
  preferredLanguage: string;
  favouriteGenres: string[];
}

export interface UserPatch {
  displayName?: string;
  preferredLanguage?: string;
  favouriteGenres?: string[];
}

export interface ProfileInput {
  name?: string;
  kids?: boolean;
  maxMaturity?: Maturity;
  avatarUrl?: string;
}

export const UPDATABLE_USER_FIELDS = ['displayName', 'preferredLanguage', 'favouriteGenres'] as const;
export const UPDATABLE_PROFILE_FIELDS = ['name', 'kids', 'maxMaturity', 'avatarUrl'] as const;

// BCP 47 primary language with optional script/region, e.g. "en", "pt-BR", "zh-Hant-TW".
const LANGUAGE_TAG = /^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|\d{3}))?$/;

/** Accounts and their viewer profiles. */
export class Accounts {
  constructor(
    private readonly deps: { users: UserRepository; hasher: PasswordHasher; sessions: Sessions; clock: Clock; emailVerificationTtlHours?: number },
  ) {}

  async register(input: RegisterInput, meta: RequestMeta): Promise<{ user: UserRecord; tokens: TokenPair }> {
    const v = new Violations();
    let email = '';
    try {
      email = normaliseEmail(input.email);
    } catch (e) {
      v.add('email', (e as DomainError).fieldViolations[0]?.description ?? 'is invalid');
    }
    const pw = passwordProblem(input.password, email);
    if (pw) v.add('password', pw);
    checkUserFields(v, { displayName: input.displayName, preferredLanguage: input.preferredLanguage || 'en', favouriteGenres: input.favouriteGenres }, true);
    v.throwIfAny();

    const now = this.deps.clock.now();
    const displayName = input.displayName.trim();
    const user: UserRecord = {
      id: randomUUID(),
      email,
      passwordHash: await this.deps.hasher.hash(input.password),
      displayName,
      preferredLanguage: input.preferredLanguage || 'en',
      favouriteGenres: normaliseGenres(input.favouriteGenres),
      roles: ['viewer'],
      profiles: [{ id: randomUUID(), name: displayName.slice(0, 30), kids: false, maxMaturity: 'NC17', avatarUrl: '', createdAt: now }],
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    // The address is unproven until the link mailed to it is followed.
    const verification = issueEmailVerification(user, now, this.deps.emailVerificationTtlHours ?? 24, 'signup');
    user.emailVerification = verification.pending;
    user.accountMailTimes = [now];
    await this.deps.users.create(user, [
      {
        subject: 'identity.user.registered',
        payload: {
          userId: user.id,
          email: user.email,
          displayName: user.displayName,
          preferredLanguage: user.preferredLanguage,
          favouriteGenres: user.favouriteGenres,
        },
      },
      verification.event,
    ]);
    const tokens = await this.deps.sessions.issue(user, meta, randomUUID(), [
      { subject: 'identity.auth.login_succeeded', payload: { userId: user.id, clientIp: meta.clientIp, method: 'register' } },
    ]);
    return { user, tokens };
  }

  async me(principal: Principal | undefined): Promise<UserRecord> {
    const p = requireUser(principal);
    const user = await this.deps.users.findById(p.subject);
    if (!user) throw notFound('user', p.subject);
    return user;
  }

  async updateMe(principal: Principal | undefined, patch: UserPatch, mask: string[]): Promise<UserRecord> {
    const fields = resolveMask(mask, UPDATABLE_USER_FIELDS, patch, 'updateMask');
    const v = new Violations();
    checkUserFields(v, pick(patch, fields), false);
    v.throwIfAny();
    return this.mutate(principal, (user) => {
      const next = { ...user };
      if (fields.includes('displayName')) next.displayName = patch.displayName!.trim();
      if (fields.includes('preferredLanguage')) next.preferredLanguage = patch.preferredLanguage!;
      if (fields.includes('favouriteGenres')) next.favouriteGenres = normaliseGenres(patch.favouriteGenres ?? []);
      return {
        user: next,
        events: [
          {
            subject: 'identity.user.updated',
            payload: { userId: user.id, displayName: next.displayName, preferredLanguage: next.preferredLanguage, favouriteGenres: next.favouriteGenres },
          },
        ],
      };
    });
  }

  async createProfile(principal: Principal | undefined, input: ProfileInput): Promise<ProfileRecord> {
    const v = new Violations();
    checkProfile(v, input, true);
    v.throwIfAny();
    let created: ProfileRecord | undefined;
    await this.mutate(principal, (user) => {
      if (user.profiles.length >= MAX_PROFILES)
        throw new DomainError('failed_precondition', 'PROFILE_LIMIT_REACHED', `an account can have at most ${MAX_PROFILES} profiles`, [], { limit: String(MAX_PROFILES) });
      const name = input.name!.trim();
      if (user.profiles.some((p) => p.name.toLowerCase() === name.toLowerCase()))
        throw new DomainError('already_exists', 'PROFILE_NAME_TAKEN', `profile.name: a profile named "${name}" already exists`, [{ field: 'profile.name', description: 'already used by another profile' }]);
      const kids = input.kids ?? false;
      created = {
        id: randomUUID(),
        name,
        kids,
        maxMaturity: kids ? capKids(input.maxMaturity) : (input.maxMaturity ?? 'NC17'),
        avatarUrl: input.avatarUrl ?? '',
        createdAt: this.deps.clock.now(),
      };
      return { user: { ...user, profiles: [...user.profiles, created] }, events: [{ subject: 'identity.profile.created', payload: { userId: user.id, profile: toProfileEvent(created) } }] };
    });
    return created!;
  }

  async updateProfile(principal: Principal | undefined, profileId: string, input: ProfileInput, mask: string[]): Promise<ProfileRecord> {
    const fields = resolveMask(mask, UPDATABLE_PROFILE_FIELDS, input, 'updateMask');
    const v = new Violations();
    checkProfile(v, pick(input, fields), false);
    v.throwIfAny();
    let updated: ProfileRecord | undefined;
    await this.mutate(principal, (user) => {
      const existing = user.profiles.find((p) => p.id === profileId);
      if (!existing) throw notFound('profile', profileId);
      const next: ProfileRecord = { ...existing, ...pick(input, fields) };
      if (fields.includes('name')) next.name = input.name!.trim();
      if (user.profiles.some((p) => p.id !== profileId && p.name.toLowerCase() === next.name.toLowerCase()))
        throw new DomainError('already_exists', 'PROFILE_NAME_TAKEN', `profile.name: a profile named "${next.name}" already exists`, [{ field: 'profile.name', description: 'already used by another profile' }]);
      if (next.kids) next.maxMaturity = capKids(next.maxMaturity);
      updated = next;
      return { user: { ...user, profiles: user.profiles.map((p) => (p.id === profileId ? next : p)) }, events: [] };
    });
    return updated!;
  }

  async deleteProfile(principal: Principal | undefined, profileId: string): Promise<void> {
    await this.mutate(principal, (user) => {
      if (!user.profiles.some((p) => p.id === profileId)) throw notFound('profile', profileId);
      if (user.profiles.length === 1)
        throw new DomainError('failed_precondition', 'LAST_PROFILE', 'an account keeps at least one profile');
      return {
        user: { ...user, profiles: user.profiles.filter((p) => p.id !== profileId) },
        events: [{ subject: 'identity.profile.deleted', payload: { userId: user.id, profileId } }],
      };
    });
  }

  async listUsers(principal: Principal | undefined, query: { limit: number; after?: { createdAt: Date; id: string }; emailPrefix: string }): Promise<{ users: UserRecord[]; total: number }> {
    requireAdmin(principal);
    const emailPrefix = query.emailPrefix.trim().toLowerCase() || undefined;
    const [users, total] = await Promise.all([
      this.deps.users.list({ limit: query.limit, after: query.after, emailPrefix }),
      this.deps.users.count({ emailPrefix }),
    ]);
    return { users, total };
  }

  /** Admin: any account by id, profiles included. */
  async getUser(principal: Principal | undefined, userId: string): Promise<UserRecord> {
    requireAdmin(principal);
    const id = checkUserId(userId);
    const user = await this.deps.users.findById(id);
    if (!user) throw notFound('user', id);
    return user;
  }

  async setRoles(principal: Principal | undefined, userId: string, roles: string[]): Promise<UserRecord> {
    const admin = requireAdmin(principal);
    const v = new Violations();
    if (userId.trim() === '') v.add('userId', 'is required');
    if (roles.length === 0) v.add('roles', 'must name at least one role');
    const unknown = roles.filter((r) => !ROLE_NAMES.includes(r as RoleName));
    if (unknown.length > 0) v.add('roles', `unknown role(s): ${unknown.join(', ')}`);
    v.throwIfAny();
    if (userId === admin.subject && !roles.includes('admin'))
      throw new DomainError('failed_precondition', 'CANNOT_DROP_OWN_ADMIN', 'you cannot remove your own admin role; ask another admin');
    const next = [...new Set(roles as RoleName[])].sort();
    return this.mutateUser(userId, (user) => ({
      user: { ...user, roles: next },
      events: [{ subject: 'identity.user.roles_changed', payload: { userId, roles: next.map(roleToProto), changedBy: admin.subject } }],
    }));
  }

  /** The first admin, from configuration. Idempotent: an existing account just gains the role. */
  async ensureAdmin(email: string, password: string): Promise<'created' | 'promoted' | 'unchanged'> {
    const normalised = normaliseEmail(email, 'FLIX_ADMIN_EMAIL');
    const existing = await this.deps.users.findByEmail(normalised);
    if (existing) {
      if (existing.roles.includes('admin')) return 'unchanged';
      await this.mutateUser(existing.id, (u) => ({ user: { ...u, roles: [...u.roles, 'admin'] }, events: [] }));
      return 'promoted';
    }
    const problem = passwordProblem(password, normalised);
    if (problem) throw new DomainError('invalid_argument', 'WEAK_ADMIN_PASSWORD', `FLIX_ADMIN_PASSWORD ${problem}`);
    const { user } = await this.register({ email: normalised, password, displayName: 'Administrator', preferredLanguage: 'en', favouriteGenres: [] }, { clientIp: '127.0.0.1' });
    await this.mutateUser(user.id, (u) => ({ user: { ...u, roles: ['admin', 'viewer'] }, events: [] }));
    return 'created';
  }

  private mutate(principal: Principal | undefined, change: Mutation): Promise<UserRecord> {
    return this.mutateUser(requireUser(principal).subject, change);
  }

  /** Read, change, compare-and-set; retried a few times when another request won the race. */
  private async mutateUser(userId: string, change: Mutation): Promise<UserRecord> {
    for (let attempt = 0; ; attempt++) {
      const user = await this.deps.users.findById(userId);
      if (!user) throw notFound('user', userId);
      const { user: next, events } = change(user);
      try {
        return await this.deps.users.replace({ ...next, updatedAt: this.deps.clock.now() }, user.version, events);
      } catch (e) {
        if (!(e instanceof DomainError && e.reason === 'CONCURRENT_MODIFICATION') || attempt >= 3) throw e;
      }
    }
  }
}

type Mutation = (user: UserRecord) => { user: UserRecord; events: import('./events.js').IdentityEvent[] };

function checkUserFields(v: Violations, f: UserPatch, creating: boolean): void {
  if (f.displayName !== undefined || creating) {
    const name = (f.displayName ?? '').trim();
    if (name === '') v.add('displayName', 'is required');
    else if ([...name].length > 60) v.add('displayName', 'must be at most 60 characters');
  }
  if (f.preferredLanguage !== undefined && !LANGUAGE_TAG.test(f.preferredLanguage))
    v.add('preferredLanguage', 'must be a BCP 47 language tag such as "en" or "pt-BR"');
  if (f.favouriteGenres !== undefined) {
    if (f.favouriteGenres.length > 20) v.add('favouriteGenres', 'at most 20 genres');
    if (f.favouriteGenres.some((g) => g.trim() === '' || g.length > 40)) v.add('favouriteGenres', 'each genre must be 1 to 40 characters');
  }
}

function checkProfile(v: Violations, p: ProfileInput, creating: boolean): void {
  if (p.name !== undefined || creating) {
    const name = (p.name ?? '').trim();
    if (name === '') v.add('profile.name', 'is required');
    else if ([...name].length > 30) v.add('profile.name', 'must be at most 30 characters');
  }
  if (p.maxMaturity !== undefined && !MATURITY_LEVELS.includes(p.maxMaturity)) v.add('profile.maxMaturity', 'is not a maturity rating');
  if (p.avatarUrl !== undefined && p.avatarUrl !== '' && !/^https?:\/\/\S+$/.test(p.avatarUrl)) v.add('profile.avatarUrl', 'must be an http(s) URL');
}

/**
 * AIP-134: an explicit mask names the fields to change (unknown ones are an error); no mask
 * means "every updatable field present in the request".
 */
function resolveMask<F extends string>(mask: string[], allowed: readonly F[], present: object, field: string): F[] {
  if (mask.length === 0) {
    const fields = allowed.filter((f) => (present as Record<string, unknown>)[f] !== undefined);
    if (fields.length === 0) new Violations().add(field, 'nothing to update').throwIfAny();
    return fields;
  }
  const unknown = mask.filter((m) => !allowed.includes(m as F));
  if (unknown.length > 0) {
    new Violations().add(field, `cannot update ${unknown.join(', ')}; updatable: ${allowed.join(', ')}`).throwIfAny();
  }
  return mask as F[];
}

function pick<T extends object, K extends string>(obj: T, keys: readonly K[]): Partial<T> {
  const out: Partial<T> = {};
  for (const k of keys) if ((obj as Record<string, unknown>)[k] !== undefined) (out as Record<string, unknown>)[k] = (obj as Record<string, unknown>)[k];
  return out;
}

const capKids = (m: Maturity | undefined): Maturity =>
  m && MATURITY_LEVELS.indexOf(m) < MATURITY_LEVELS.indexOf(KIDS_MAX_MATURITY) ? m : KIDS_MAX_MATURITY;

const normaliseGenres = (genres: string[]) => [...new Set(genres.map((g) => g.trim().toLowerCase()))];

/** Proto enum numbers for roles (ROLE_VIEWER = 1, ROLE_ADMIN = 2). */
export const roleToProto = (r: RoleName) => (r === 'admin' ? 2 : 1);

function toProfileEvent(p: ProfileRecord) {
  return { id: p.id, name: p.name, kids: p.kids, maxMaturity: MATURITY_LEVELS.indexOf(p.maxMaturity) + 1, avatarUrl: p.avatarUrl, createTime: p.createdAt };
}
