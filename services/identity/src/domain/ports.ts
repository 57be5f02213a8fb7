import type { IdentityEvent } from './events.js';
import type { SessionSummary, UserRecord } from './model.js';

/** Persistence the domain needs; implemented over MongoDB in storage/. Events are written atomically with the change. */
export interface UserRepository {
  /** Throws DomainError already_exists (EMAIL_TAKEN) when the e-mail is in use. */
  create(user: UserRecord, events: IdentityEvent[]): Promise<void>;
  findById(id: string): Promise<UserRecord | null>;
  findByEmail(email: string): Promise<UserRecord | null>;
  /** Compare-and-set on `expectedVersion`; returns the stored record (version bumped). */
  replace(user: UserRecord, expectedVersion: number, events: IdentityEvent[]): Promise<UserRecord>;
  /** Newest first; `after` is the position returned with the previous page. */
  list(query: { limit: number; after?: { createdAt: Date; id: string }; emailPrefix?: string }): Promise<UserRecord[]>;
  count(query: { emailPrefix?: string }): Promise<number>;
}

export interface RefreshTokenRecord {
  /** SHA-256 of the opaque token; the token itself is never stored. */
  hash: string;
  familyId: string;
  userId: string;
  roles: string[];
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
  clientIp: string;
  /** The device's User-Agent when it was sent (absent on tokens issued before it was recorded). */
  userAgent?: string;
  /** Set on an OAuth application's tokens: its client id and the scope the user granted it. */
  clientId?: string;
  scope?: string;
}

export type ConsumeResult =
  | { kind: 'ok'; record: RefreshTokenRecord }
  | { kind: 'reused'; record: RefreshTokenRecord }
  | { kind: 'invalid' };

export interface RefreshTokenRepository {
  insert(record: RefreshTokenRecord, events: IdentityEvent[]): Promise<void>;
  /** Atomically marks an unused, unrevoked, unexpired token as used. */
  consume(hash: string, now: Date): Promise<ConsumeResult>;
  /**
   * Spends `old` and stores `next` in one step, so a crash cannot leave a family without a live
   * token. A token already spent at or after `graceSince` is accepted once more: the family's
   * live token (the lost answer's) is revoked and `next` takes its place.
   */
  rotate(oldHash: string, next: RefreshTokenRecord, now: Date, graceSince: Date): Promise<ConsumeResult>;
  findByHash(hash: string): Promise<RefreshTokenRecord | null>;
  /** Revokes every token of the family; `events` gets the number of tokens revoked. */
  revokeFamily(familyId: string, now: Date, events: (revoked: number) => IdentityEvent[]): Promise<number>;
  /**
   * The user's sign-ins (one per family), newest first; `after` is the last family of the
   * previous page. `now` decides which are still active.
   */
  sessionsOf(userId: string, query: { limit: number; after?: { createdAt: Date; familyId: string }; now: Date }): Promise<SessionSummary[]>;
  /** Revokes every live token of the user; returns (and passes to `events`) the number of families revoked. */
  revokeAllForUser(userId: string, now: Date, events: (families: number) => IdentityEvent[]): Promise<number>;
}

/** A failed-sign-in counter: how many, since when, and until when the next attempt must wait. */
export interface ThrottleCounter {
  failures: number;
  windowStart: Date;
  /** Equal to the last failure's time when no delay is due. */
  blockedUntil: Date;
}

export interface LoginAttemptRepository {
  /** The counters stored under `keys`, each with its revision (absent: none, or expired). */
  read(keys: string[]): Promise<Map<string, ThrottleCounter & { rev: number }>>;
  /**
   * Stores `next` under `key` if the key still holds revision `expectedRev` (null: if absent);
   * false when another attempt changed it first. The store may drop it after `expiresAt`.
   */
  compareAndSet(key: string, expectedRev: number | null, next: ThrottleCounter, expiresAt: Date): Promise<boolean>;
  /** Audit events of a refused or failed attempt. */
  recordFailure(events: IdentityEvent[]): Promise<void>;
  /** A successful login forgets its (account, address) counter and records the audit event. */
  recordSuccess(clearKey: string, events: IdentityEvent[]): Promise<void>;
}

export interface StoredSigningKey {
  kid: string;
  /** Ed25519 JWKs. The private one never leaves identity. */
  privateJwk: Record<string, unknown>;
  publicJwk: Record<string, unknown>;
  createdAt: Date;
  /** When it starts signing; until then it is only published. */
  activatesAt: Date;
}

export interface SigningKeyRepository {
  all(): Promise<StoredSigningKey[]>;
  insert(key: StoredSigningKey): Promise<void>;
  delete(kids: string[]): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Hashes and checks passwords (argon2id, in security/password-hasher.ts). */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** True when the hash was made with weaker parameters than today's. */
  needsRehash(hash: string): boolean;
}

/** Signs access tokens with the current signing key (the jose KeyRing in security/key-ring.ts). */
export interface TokenSigner {
  sign(claims: Record<string, unknown>, subject: string, audience: string, issuer: string, ttlSeconds: number, jti: string): Promise<string>;
}
