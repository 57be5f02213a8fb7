import { DomainError } from '@flix/errors';
import type { RentalRecord, RentalStatus } from './model.js';

/**
 * The rental lifecycle: pending (checkout open) → active (paid) → expired | returned.
 * An active rental ends at the earlier of paid + window and first play + play window; the
 * stored status catches up through the sweeper, so readers use effectiveStatus.
 */
export interface RentalWindows {
  windowMs: number;
  playMs: number;
}

export function effectiveStatus(r: RentalRecord, now: Date): RentalStatus {
  if (r.status === 'active' && r.endsAt && r.endsAt.getTime() <= now.getTime()) return 'expired';
  return r.status;
}

const endsAt = (expiresAt: Date | null, playExpiresAt: Date | null): Date | null => {
  if (!expiresAt) return playExpiresAt;
  if (!playExpiresAt) return expiresAt;
  return expiresAt.getTime() <= playExpiresAt.getTime() ? expiresAt : playExpiresAt;
};

/** Payment confirmed: playable from `paidAt` for the window. Re-activation is a no-op. */
export function activate(r: RentalRecord, paidAt: Date, paymentId: string, w: RentalWindows, now: Date): RentalRecord | null {
  if (r.status !== 'pending') return null;
  const expiresAt = new Date(paidAt.getTime() + w.windowMs);
  return { ...r, status: 'active', paidAt, paymentId, expiresAt, endsAt: endsAt(expiresAt, null), updatedAt: now };
}

/** First playback: the shorter play window starts. Only the first start counts. */
export function startClock(r: RentalRecord, at: Date, w: RentalWindows, now: Date): RentalRecord | null {
  if (effectiveStatus(r, now) !== 'active' || r.playStartedAt) return null;
  const playExpiresAt = new Date(at.getTime() + w.playMs);
  return { ...r, playStartedAt: at, playExpiresAt, endsAt: endsAt(r.expiresAt, playExpiresAt), updatedAt: now };
}

export function returnRental(r: RentalRecord, now: Date): RentalRecord {
  const status = effectiveStatus(r, now);
  if (status === 'returned') return r;
  if (status !== 'active')
    throw new DomainError('failed_precondition', `RENTAL_${status.toUpperCase()}`, `rental ${r.id} is ${status}; only an active rental can be returned`);
  return { ...r, status: 'returned', returnedAt: now, endsAt: now, updatedAt: now };
}

/** The sweeper's move; null when the rental is not (yet) over. */
export function expire(r: RentalRecord, now: Date): RentalRecord | null {
  if (r.status !== 'active' || effectiveStatus(r, now) !== 'expired') return null;
  return { ...r, status: 'expired', updatedAt: now };
}

/** Refunded in full: access ends at once (recorded as returned). */
export function refund(r: RentalRecord, now: Date): RentalRecord | null {
  if (r.status === 'returned' || r.status === 'expired') return null;
  return { ...r, status: 'returned', returnedAt: now, endsAt: now, updatedAt: now };
}
