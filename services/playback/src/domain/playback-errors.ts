import { DomainError } from '@flix/errors';
import type { EntitlementDecision, PlaybackSession } from './model.js';

/** Billing's refusal reasons, as the viewer reads them. */
const ENTITLEMENT_MESSAGES: Record<string, string> = {
  NO_SUBSCRIPTION: 'this account has no active subscription and no rental of this title',
  TIER_TOO_LOW: 'your plan does not include this title; upgrade your plan or rent it',
  PAST_GRACE: 'your last payment failed and the grace period is over; update your payment method',
  SUBSCRIPTION_EXPIRED: 'your subscription has ended',
  PAYMENT_INCOMPLETE: 'your subscription payment has not completed yet',
  RENTAL_EXPIRED: 'your rental of this title has expired',
  RENTAL_REQUIRED: 'this title is not in any plan; rent it to watch',
  TITLE_NOT_FOUND: 'billing does not know this title',
};

/** Refusing a start. */
export function notEntitled(d: EntitlementDecision): DomainError {
  const message = ENTITLEMENT_MESSAGES[d.reason] ?? `this account may not watch this title (${d.reason})`;
  return new DomainError('permission_denied', 'NOT_ENTITLED', `movieId: ${message}`, [], { reason: d.reason });
}

/** Ending a playing session when billing's answer turns to no. */
export function entitlementEnded(d: EntitlementDecision): DomainError {
  return new DomainError('permission_denied', 'ENTITLEMENT_ENDED', `the session has ended: ${ENTITLEMENT_MESSAGES[d.reason] ?? `not entitled (${d.reason})`}`, [], { reason: d.reason });
}

export const noSuchSession = (id: string) =>
  new DomainError('not_found', 'SESSION_NOT_FOUND', `sessionId: no playback session ${id}`, [{ field: 'sessionId', description: 'no such session of yours' }]);

export const sessionEnded = (s: PlaybackSession) =>
  new DomainError(
    s.endReason === 'revoked' ? 'permission_denied' : 'failed_precondition',
    s.endReason === 'revoked' ? 'ENTITLEMENT_ENDED' : 'SESSION_ENDED',
    `sessionId: session ${s.id} has ended (${s.endReason ?? 'ended'}); start a new one`,
    [{ field: 'sessionId', description: 'session has ended' }],
    { reason: s.endReason ?? '' },
  );
