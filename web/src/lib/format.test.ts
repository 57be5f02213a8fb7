import { describe, expect, it } from 'vitest';
import { enumLabel, formatCountdown, formatMoney, formatPosition, formatRuntime, maturityLabel } from './format';

describe('format', () => {
  it('prices from minor units as proto3 JSON sends them', () => {
    expect(formatMoney({ amountMinor: '399', currency: 'USD' }, 'en-US')).toBe('$3.99');
    expect(formatMoney({ amountMinor: '500', currency: 'JPY' }, 'en-US')).toBe('¥500');
    expect(formatMoney(undefined)).toBe('');
  });
  it('positions and runtimes', () => {
    expect(formatPosition(125)).toBe('2:05');
    expect(formatPosition(3729)).toBe('1:02:09');
    expect(formatRuntime(112)).toBe('1h 52m');
    expect(formatRuntime(48)).toBe('48m');
  });
  it('countdowns', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    expect(formatCountdown(new Date('2026-12-03T03:00:00Z'), now)).toBe('2 days 3 h left');
    expect(formatCountdown(new Date('2026-12-01T05:12:30Z'), now)).toBe('5 h 12 min left');
    expect(formatCountdown(new Date('2026-11-30T00:00:00Z'), now)).toBe('expired');
  });
  it('enum names', () => {
    expect(enumLabel('PLAN_TIER_PREMIUM', 'PLAN_TIER_')).toBe('Premium');
    expect(enumLabel('SUBSCRIPTION_STATUS_PAST_DUE', 'SUBSCRIPTION_STATUS_')).toBe('Past due');
    expect(maturityLabel('MATURITY_RATING_PG13')).toBe('PG-13');
  });
});
