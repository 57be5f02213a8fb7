import { defineEvent } from '@flix/events';
import {
  EmailChanged,
  EmailVerificationRequested,
  EmailVerified,
  LoggedOut,
  LoginFailed,
  LoginSucceeded,
  PasswordChanged,
  PasswordResetRequested,
  ProfileCreated,
  ProfileDeleted,
  RefreshReuseDetected,
  UserDeleted,
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
  emailVerificationRequested: defineEvent({ subject: 'identity.user.email_verification_requested', type: 'flix.identity.v1.EmailVerificationRequested', codec: EmailVerificationRequested }),
  emailVerified: defineEvent({ subject: 'identity.user.email_verified', type: 'flix.identity.v1.EmailVerified', codec: EmailVerified }),
  emailChanged: defineEvent({ subject: 'identity.user.email_changed', type: 'flix.identity.v1.EmailChanged', codec: EmailChanged }),
  passwordResetRequested: defineEvent({ subject: 'identity.user.password_reset_requested', type: 'flix.identity.v1.PasswordResetRequested', codec: PasswordResetRequested }),
  passwordChanged: defineEvent({ subject: 'identity.user.password_changed', type: 'flix.identity.v1.PasswordChanged', codec: PasswordChanged }),
  userDeleted: defineEvent({ subject: 'identity.user.deleted', type: 'flix.identity.v1.UserDeleted', codec: UserDeleted }),
});

/** Stream that holds identity's events. */
export const IDENTITY_STREAM = 'IDENTITY';
