import { defineEvent } from '@flix/events';
import {
  LoggedOut,
  LoginFailed,
  LoginSucceeded,
  ProfileCreated,
  ProfileDeleted,
  RefreshReuseDetected,
  UserRegistered,
  UserRolesChanged,
  UserUpdated,
} from '@flix/proto/flix/identity/v1/events';
import { producedBy } from './contract.js';

/**
 * Identity's events: the single definition of each subject ↔ proto type pairing, shared by the
 * producer (identity) and every consumer, so no service re-declares another's event types.
 */
export const identityEvents = producedBy('identity', {
  userRegistered: defineEvent({ subject: 'identity.user.registered', type: 'flix.identity.v1.UserRegistered', codec: UserRegistered }),
  userUpdated: defineEvent({ subject: 'identity.user.updated', type: 'flix.identity.v1.UserUpdated', codec: UserUpdated }),
  userRolesChanged: defineEvent({ subject: 'identity.user.roles_changed', type: 'flix.identity.v1.UserRolesChanged', codec: UserRolesChanged }),
  profileCreated: defineEvent({ subject: 'identity.profile.created', type: 'flix.identity.v1.ProfileCreated', codec: ProfileCreated }),
  profileDeleted: defineEvent({ subject: 'identity.profile.deleted', type: 'flix.identity.v1.ProfileDeleted', codec: ProfileDeleted }),
  loginSucceeded: defineEvent({ subject: 'identity.auth.login_succeeded', type: 'flix.identity.v1.LoginSucceeded', codec: LoginSucceeded }),
  loginFailed: defineEvent({ subject: 'identity.auth.login_failed', type: 'flix.identity.v1.LoginFailed', codec: LoginFailed }),
  loggedOut: defineEvent({ subject: 'identity.auth.logged_out', type: 'flix.identity.v1.LoggedOut', codec: LoggedOut }),
  refreshReuseDetected: defineEvent({ subject: 'identity.auth.refresh_reuse_detected', type: 'flix.identity.v1.RefreshReuseDetected', codec: RefreshReuseDetected }),
});

/** Stream that holds identity's events. */
export const IDENTITY_STREAM = 'IDENTITY';
