import type {
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

/**
 * What identity announces. The domain decides which events a change produces; storage writes
 * them to the outbox in the same transaction as the change itself.
 * event_id and occur_time are filled in by the outbox.
 */
type Payload<T> = Omit<T, 'eventId' | 'occurTime'>;

export type IdentityEvent =
  | { subject: 'identity.user.registered'; payload: Payload<UserRegistered> }
  | { subject: 'identity.user.updated'; payload: Payload<UserUpdated> }
  | { subject: 'identity.user.roles_changed'; payload: Payload<UserRolesChanged> }
  | { subject: 'identity.profile.created'; payload: Payload<ProfileCreated> }
  | { subject: 'identity.profile.deleted'; payload: Payload<ProfileDeleted> }
  | { subject: 'identity.auth.login_succeeded'; payload: Payload<LoginSucceeded> }
  | { subject: 'identity.auth.login_failed'; payload: Payload<LoginFailed> }
  | { subject: 'identity.auth.logged_out'; payload: Payload<LoggedOut> }
  | { subject: 'identity.auth.refresh_reuse_detected'; payload: Payload<RefreshReuseDetected> };
