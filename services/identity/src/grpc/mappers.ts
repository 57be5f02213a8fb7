import { MaturityRating, Role, UserSessionState, type Profile, type User, type UserDetail, type UserSession } from '@flix/proto/flix/identity/v1/resources';
import { MATURITY_LEVELS, type Maturity, type ProfileRecord, type RoleName, type SessionSummary, type UserRecord } from '../domain/model.js';

const ROLE_TO_PROTO: Record<RoleName, Role> = { viewer: Role.ROLE_VIEWER, admin: Role.ROLE_ADMIN };
const ROLE_FROM_PROTO = new Map<Role, RoleName>([
  [Role.ROLE_VIEWER, 'viewer'],
  [Role.ROLE_ADMIN, 'admin'],
]);

const MATURITY_TO_PROTO: Record<Maturity, MaturityRating> = {
  G: MaturityRating.MATURITY_RATING_G,
  PG: MaturityRating.MATURITY_RATING_PG,
  PG13: MaturityRating.MATURITY_RATING_PG13,
  R: MaturityRating.MATURITY_RATING_R,
  NC17: MaturityRating.MATURITY_RATING_NC17,
};

export function userToProto(u: UserRecord): User {
  return {
    id: u.id,
    email: u.email,
    displayName: u.displayName,
    preferredLanguage: u.preferredLanguage,
    roles: u.roles.map((r) => ROLE_TO_PROTO[r]),
    createTime: u.createdAt,
    updateTime: u.updatedAt,
    favouriteGenres: u.favouriteGenres,
    emailVerified: u.emailVerifiedAt != null,
  };
}

export const userDetailToProto = (u: UserRecord): UserDetail => ({ user: userToProto(u), profiles: u.profiles.map(profileToProto) });

const SESSION_STATE_TO_PROTO: Record<SessionSummary['state'], UserSessionState> = {
  active: UserSessionState.USER_SESSION_STATE_ACTIVE,
  revoked: UserSessionState.USER_SESSION_STATE_REVOKED,
  expired: UserSessionState.USER_SESSION_STATE_EXPIRED,
};

export function sessionToProto(s: SessionSummary): UserSession {
  return {
    id: s.familyId,
    userAgent: s.userAgent,
    clientIp: s.clientIp,
    createTime: s.createdAt,
    lastUseTime: s.lastUsedAt,
    expireTime: s.expiresAt,
    revokeTime: s.revokedAt ?? undefined,
    state: SESSION_STATE_TO_PROTO[s.state],
  };
}

export function profileToProto(p: ProfileRecord): Profile {
  return { id: p.id, name: p.name, kids: p.kids, maxMaturity: MATURITY_TO_PROTO[p.maxMaturity], avatarUrl: p.avatarUrl, createTime: p.createdAt };
}

/** Unknown enum numbers come back as a name the domain rejects, so the client hears about them. */
export function roleFromProto(r: Role): string {
  return ROLE_FROM_PROTO.get(r) ?? `ROLE_${r}`;
}

export function maturityFromProto(m: MaturityRating): Maturity | undefined {
  if (m === MaturityRating.MATURITY_RATING_UNSPECIFIED) return undefined;
  return MATURITY_LEVELS[m - 1] ?? ('UNKNOWN' as Maturity);
}

/** FieldMask paths arrive in proto field names (snake_case); the domain speaks camelCase. */
export const maskToFields = (paths: string[] | undefined): string[] =>
  (paths ?? []).map((p) => p.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
