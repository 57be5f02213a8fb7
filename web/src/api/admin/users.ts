import type * as identity from '../gen/flix/identity/v1/identity_service';
import type { Role, User } from '../gen/flix/identity/v1/resources';
import { enc, q, type AdminRequests, type Params } from './requests';

/** Studio → Users: identity's (and billing's, for a user's subscription) admin calls. */
export const usersAdmin = ({ get, post }: AdminRequests) => ({
  users: (params: Params<identity.ListUsersRequest>) => get<identity.ListUsersResponse>('/v1/admin/users', q(params)),
  /** Replaces the account's roles; identity refuses dropping your own admin role. */
  setRoles: (userId: string, roles: Role[]) => post<User>(`/v1/admin/users/${enc(userId)}:setRoles`, { roles }),
});
