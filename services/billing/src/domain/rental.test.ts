import { describe, expect, it } from 'vitest';
import { DAY_MS, type RentalRecord } from './model.js';
import { activate, effectiveStatus, expire, returnRental, startClock } from './rental.js';

const t0 = new Date('2026-01-01T00:00:00Z');
const W = { windowMs: 30 * DAY_MS, playMs: 48 * 3600_000 };
const pending: RentalRecord = {
  id: 'r1', userId: 'u1', movieId: 'm1', movieTitle: 'M', status: 'pending', price: { amountMinor: 399, currency: 'USD' }, checkoutSessionId: 'cs_1', paymentId: '',
  paidAt: null, expiresAt: null, playStartedAt: null, playExpiresAt: null, endsAt: null, returnedAt: null, createdAt: t0, updatedAt: t0, version: 1,
};
const at = (ms: number) => new Date(t0.getTime() + ms);

describe('rental state machine', () => {
  it('pending → active for 30 days; paying twice changes nothing', () => {
    const active = activate(pending, t0, 'pi_1', W, t0)!;
    expect(active).toMatchObject({ status: 'active', expiresAt: at(30 * DAY_MS), endsAt: at(30 * DAY_MS) });
    expect(activate(active, t0, 'pi_1', W, t0)).toBeNull();
    expect(effectiveStatus(active, at(30 * DAY_MS - 1))).toBe('active');
    expect(effectiveStatus(active, at(30 * DAY_MS))).toBe('expired');
    expect(expire(active, at(30 * DAY_MS))).toMatchObject({ status: 'expired' });
    expect(expire(active, at(DAY_MS))).toBeNull();
  });

  it('the first playback starts a 48-hour window; only the first counts; the 30-day end still caps it', () => {
    const active = activate(pending, t0, 'pi_1', W, t0)!;
    const started = startClock(active, at(DAY_MS), W, at(DAY_MS))!;
    expect(started.endsAt).toEqual(at(DAY_MS + 48 * 3600_000));
    expect(startClock(started, at(2 * DAY_MS), W, at(2 * DAY_MS))).toBeNull();
    const late = startClock(active, at(29 * DAY_MS), W, at(29 * DAY_MS))!;
    expect(late.endsAt).toEqual(at(30 * DAY_MS));
    expect(startClock(active, at(31 * DAY_MS), W, at(31 * DAY_MS))).toBeNull();
  });

  it('returning ends an active rental; a pending or expired one cannot be returned', () => {
    const active = activate(pending, t0, 'pi_1', W, t0)!;
    expect(returnRental(active, at(DAY_MS))).toMatchObject({ status: 'returned', returnedAt: at(DAY_MS) });
    expect(() => returnRental(pending, t0)).toThrow(/pending/);
    expect(() => returnRental(active, at(31 * DAY_MS))).toThrow(/expired/);
  });
});
