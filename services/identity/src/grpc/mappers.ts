import { MaturityRating, Role, type Profile, type User } from '@flix/proto/flix/identity/v1/resources';
import { MATURITY_LEVELS, type Maturity, type ProfileRecord, type RoleName, type UserRecord } from '../domain/model.js';

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
