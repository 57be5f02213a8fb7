import type * as billing from '../gen/flix/billing/v1/billing_service';
import type { Subscription } from '../gen/flix/billing/v1/resources';
import type * as identity from '../gen/flix/identity/v1/identity_service';
import type { Role, User, UserDetail } from '../gen/flix/identity/v1/resources';
import { enc, q, type AdminRequests, type Params } from './requests';

/** Studio → Users: identity's (and billing's, for a user's subscription) admin calls. */
export const usersAdmin = ({ get, post }: AdminRequests) => ({
  users: (params: Params<identity.ListUsersRequest>) => get<identity.ListUsersResponse>('/v1/admin/users', q(params)),
  /** One account with its roles and profiles (404 for an unknown one). */
  user: (userId: string) => get<UserDetail>(`/v1/admin/users/${enc(userId)}`),
  /** The account's sign-ins (refresh-token families), newest first. */
  userSessions: (userId: string, params: Params<identity.ListUserSessionsRequest, 'userId'> = {}) =>
    get<identity.ListUserSessionsResponse>(`/v1/admin/users/${enc(userId)}/sessions`, q(params)),
  /** Billing's view of the account: its current subscription (404 when it never subscribed). */
  userSubscription: (userId: string) => get<Subscription>(`/v1/admin/users/${enc(userId)}/subscription`),
  /** The account's receipts, newest first. */
  userPayments: (userId: string, params: Params<billing.ListUserPaymentsRequest, 'userId'> = {}) =>
    get<billing.ListUserPaymentsResponse>(`/v1/admin/users/${enc(userId)}/payments`, q(params)),
  /** Replaces the account's roles; identity refuses dropping your own admin role. */
  setRoles: (userId: string, roles: Role[]) => post<User>(`/v1/admin/users/${enc(userId)}:setRoles`, { roles }),
});
