import { describe, expect, it } from 'vitest';
import { measure, transition, type AlertSettings, type WindowCounts } from './alerts.js';

const settings: AlertSettings = { windowSeconds: 300, paymentFailureRate: 0.25, loginFailureRate: 0.5, deadLetters: 5, minSamples: 20 };
const counts = (c: Partial<WindowCounts>): WindowCounts => ({ paymentsSucceeded: 0, paymentsFailed: 0, loginsSucceeded: 0, loginsFailed: 0, deadLetters: 0, ...c });
const byKind = (c: Partial<WindowCounts>) => Object.fromEntries(measure(counts(c), settings).map((m) => [m.kind, m]));

describe('alert measurement', () => {
  it('needs the minimum sample before a rate counts as breached', () => {
    expect(byKind({ paymentsFailed: 19 }).payment_failure_rate).toMatchObject({ value: 1, sampleSize: 19, breached: false });
    expect(byKind({ paymentsFailed: 5, paymentsSucceeded: 15 }).payment_failure_rate).toMatchObject({ value: 0.25, sampleSize: 20, breached: true });
    expect(byKind({ paymentsFailed: 4, paymentsSucceeded: 16 }).payment_failure_rate.breached).toBe(false);
  });

  it('measures login failures and dead letters on their own thresholds', () => {
    const m = byKind({ loginsFailed: 10, loginsSucceeded: 10, deadLetters: 5 });
    expect(m.login_failure_rate).toMatchObject({ value: 0.5, breached: true });
    expect(m.dead_letters).toMatchObject({ value: 5, breached: true });
    expect(m.payment_failure_rate).toMatchObject({ value: 0, sampleSize: 0, breached: false });
  });

  it('raises only when closed and resolves only when open', () => {
    const high = byKind({ paymentsFailed: 20 }).payment_failure_rate;
    const low = byKind({ paymentsSucceeded: 20 }).payment_failure_rate;
    expect(transition(false, high)).toBe('raise');
    expect(transition(true, high)).toBeNull();
    expect(transition(true, low)).toBe('resolve');
    expect(transition(false, low)).toBeNull();
  });
});
