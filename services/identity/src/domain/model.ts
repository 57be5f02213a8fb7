import type { Maturity } from '@flix/profiles/maturity';

/** Roles as they appear in the access token's `roles` claim. */
export type RoleName = 'viewer' | 'admin';
export const ROLE_NAMES: readonly RoleName[] = ['viewer', 'admin'];

/** Ordered from the youngest audience up; a profile may watch up to its limit. */
export { MATURITY_LEVELS, type Maturity } from '@flix/profiles/maturity';
export const KIDS_MAX_MATURITY: Maturity = 'PG';
export const MAX_PROFILES = 5;

export interface ProfileRecord {
  id: string;
  name: string;
  kids: boolean;
  maxMaturity: Maturity;
  avatarUrl: string;
  createdAt: Date;
}

export interface UserRecord {
  id: string;
  email: string;
  passwordHash: string;
  displayName: string;
  preferredLanguage: string;
  favouriteGenres: string[];
  roles: RoleName[];
  profiles: ProfileRecord[];
  createdAt: Date;
  updatedAt: Date;
  /** When the current address was proven; absent until then (accounts from before verification existed too). */
  emailVerifiedAt?: Date | null;
  /** The address waiting to be proven: the SHA-256 of its single-use link token (never the token). */
  emailVerification?: PendingEmailVerification | null;
  /** The live password-reset link, if any (one at a time: a new request replaces it). */
  passwordReset?: PendingToken | null;
  /** When reset/verification mails were sent, for the per-account hourly limit (older ones dropped). */
  accountMailTimes?: Date[];
  /** Compare-and-set version; every write bumps it. */
  version: number;
}

/** A single-use token identity sent by e-mail: only its hash is kept. */
export interface PendingToken {
  tokenHash: string;
  expiresAt: Date;
}

export interface PendingEmailVerification extends PendingToken {
  /** The address the link proves (a later e-mail change makes an earlier link useless). */
  email: string;
  /** Why the address is unproven: a fresh sign-up, or an e-mail change (see the verification rule). */
  reason: 'signup' | 'change';
}

/** One sign-in as an operator sees it: a refresh-token family summed up. */
export interface SessionSummary {
  familyId: string;
  userAgent: string;
  clientIp: string;
  createdAt: Date;
  /** The latest rotation (or the sign-in itself when it was never refreshed). */
  lastUsedAt: Date;
  /** Of the newest refresh token. */
  expiresAt: Date;
  revokedAt: Date | null;
  state: 'active' | 'revoked' | 'expired';
}

/** Who asked, from where: for throttling and the audit trail. */
export interface RequestMeta {
  clientIp: string;
  userAgent?: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: 'Bearer';
}
