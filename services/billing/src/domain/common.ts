import { DomainError, type Violations } from '@flix/errors';
import { projectEntitlement } from './entitlement.js';
import type { BillingEvent } from './events.js';
import { DAY_MS } from './model.js';
import { DuplicateRecordError, type BillingStore, type BillingTx, type Clock, type MovieDirectory, type PaymentProvider } from './ports.js';
import type { RentalWindows } from './rental.js';

/** What every billing use case shares; the pieces are split along aggregates, the helpers live here once. */

export interface BillingSettings {
  graceDays: number;
  rentalWindowDays: number;
  rentalPlayHours: number;
  defaultReturnUrl: string;
}

export interface BillingDeps {
  store: BillingStore;
  stripe: PaymentProvider;
  movies: MovieDirectory;
  clock: Clock;
  settings: BillingSettings;
  /** Warnings the domain wants an operator to see (ignored regressions, unknown ids). */
  warn?: (fields: Record<string, unknown>, message: string) => void;
}

export const rentalWindows = (s: BillingSettings): RentalWindows => ({ windowMs: s.rentalWindowDays * DAY_MS, playMs: s.rentalPlayHours * 3600 * 1000 });

export interface PageRequest {
  size: number;
  after?: { t: number; id: string };
}

export interface Page<T> {
  items: T[];
  next?: { t: number; id: string };
}

/** One page out of `size + 1` rows read (the extra row only says that there is more), keyed by creation time and id. */
export function pageOf<T extends { id: string; createdAt: Date }>(rows: T[], size: number): Page<T> {
  const shown = rows.slice(0, size);
  const last = shown[shown.length - 1];
  return { items: shown, next: rows.length > size && last ? { t: last.createdAt.getTime(), id: last.id } : undefined };
}

export const invalidField = (name: string, description: string, reason = 'INVALID_ARGUMENT') =>
  new DomainError('invalid_argument', reason, `${name}: ${description}`, [{ field: name, description }]);

/** Return URLs are optional (the default applies), but when given they must be absolute http(s). */
export function checkUrl(v: Violations, name: string, value: string): void {
  if (!value) return;
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') v.add(name, 'must be an http(s) URL');
  } catch {
    v.add(name, 'must be an absolute http(s) URL');
  }
}

/**
 * The next free checkout slot under `<user>:<kind>:<plan or movie>:`: settled sessions are
 * counted, so the slot (and with it the Stripe idempotency key) changes once a session is done.
 */
export async function nextCheckoutSlot(store: BillingStore, slotPrefix: string, now: Date): Promise<{ slot: string; n: number }> {
  const n = await store.countSettledCheckouts(slotPrefix, now);
  return { slot: `${slotPrefix}${n}`, n };
}

/** Inserts something unique together with its events; false when it already existed. */
export async function insertOnce(store: BillingStore, insert: (tx: BillingTx) => Promise<void>, events: BillingEvent[]): Promise<boolean> {
  try {
    await store.transact(async (tx) => {
      await insert(tx);
      if (events.length) await tx.emit(events);
    });
    return true;
  } catch (e) {
    if (e instanceof DuplicateRecordError) return false;
    throw e;
  }
}

/** Rewrites the account's entitlement document in the transaction that changed its subscriptions or rentals. */
export async function refreshEntitlement(tx: BillingTx, userId: string, clock: Clock): Promise<void> {
  const [subs, rentals] = await Promise.all([tx.subscriptionsOf(userId), tx.rentalsOf(userId)]);
  await tx.saveEntitlement(projectEntitlement(userId, subs, rentals, clock.now()));
}
