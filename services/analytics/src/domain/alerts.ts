import type { SignalCounter } from './model.js';

export type AlertKindName = 'payment_failure_rate' | 'login_failure_rate' | 'dead_letters';

export interface AlertRule {
  kind: AlertKindName;
  threshold: number;
}

export interface AlertSettings {
  windowSeconds: number;
  paymentFailureRate: number;
  loginFailureRate: number;
  deadLetters: number;
  minSamples: number;
}

/** Sums of the per-minute signal counters over the sliding window. */
export type WindowCounts = Record<SignalCounter, number>;

export interface Measurement {
  kind: AlertKindName;
  value: number;
  threshold: number;
  sampleSize: number;
  /** The value is at or above the threshold with enough samples to mean it. */
  breached: boolean;
}

/** What the window says for each watched rate. */
export function measure(counts: WindowCounts, s: AlertSettings): Measurement[] {
  const rate = (kind: AlertKindName, bad: number, good: number, threshold: number): Measurement => {
    const n = bad + good;
    const value = n === 0 ? 0 : bad / n;
    return { kind, value, threshold, sampleSize: n, breached: n >= s.minSamples && value >= threshold };
  };
  return [
    rate('payment_failure_rate', counts.paymentsFailed, counts.paymentsSucceeded, s.paymentFailureRate),
    rate('login_failure_rate', counts.loginsFailed, counts.loginsSucceeded, s.loginFailureRate),
    {
      kind: 'dead_letters',
      value: counts.deadLetters,
      threshold: s.deadLetters,
      sampleSize: counts.deadLetters,
      breached: counts.deadLetters >= s.deadLetters,
    },
  ];
}

export type Transition = 'raise' | 'resolve' | null;

/**
 * Raise once when a rate crosses its threshold, resolve once when it is back under it: while an
 * incident is open, more bad events change nothing, so one incident is one alert.
 */
export function transition(open: boolean, m: Measurement): Transition {
  if (!open && m.breached) return 'raise';
  if (open && !m.breached) return 'resolve';
  return null;
}
