import { describe, expect, it } from 'vitest';
import { countFailure, delaySeconds, throttledAddress, type LoginThrottlePolicy } from './login-throttle.js';

const policy: LoginThrottlePolicy = { freeFailures: 3, baseDelaySeconds: 1, maxDelaySeconds: 900, ipFailureLimit: 50, accountAlertFailures: 100, windowSeconds: 900 };
const at = (s: number) => new Date(Date.UTC(2030, 0, 1) + s * 1000);

describe('login throttle arithmetic', () => {
  it('is free for the first failures, then doubles up to the cap (and never overflows)', () => {
    expect([1, 2, 3, 4, 5, 6, 13, 14, 15, 5000].map((n) => delaySeconds(n, 3, policy))).toEqual([0, 0, 0, 1, 2, 4, 512, 900, 900, 900]);
  });

  it("forgets a pair's failures a window after its delay ran out, not before", () => {
    const pair = { free: 3, forget: 'after-quiet' as const };
    let c = countFailure(undefined, at(0), pair, policy).next;
    for (let i = 1; i < 14; i++) c = countFailure(c, at(i), pair, policy).next;
    expect(c.failures).toBe(14);
    expect(c.blockedUntil).toEqual(at(13 + 900));
    // Still remembered at the end of the delay plus almost a window: the next failure waits the cap again.
    expect(countFailure(c, at(13 + 900 + 899), pair, policy).next.failures).toBe(15);
    expect(countFailure(c, at(13 + 900 + 900), pair, policy).next.failures).toBe(1);
  });

  it("counts an address's failures in fixed windows, so a shared address recovers", () => {
    const ip = { free: 50, forget: 'fixed-window' as const };
    const first = countFailure(undefined, at(0), ip, policy);
    expect(first.expiresAt).toEqual(at(900));
    const later = countFailure(first.next, at(899), ip, policy).next;
    expect(later).toMatchObject({ failures: 2, windowStart: at(0) });
    expect(countFailure(later, at(900), ip, policy).next).toMatchObject({ failures: 1, windowStart: at(900) });
  });

  it('counts IPv6 clients per /64 network (one host can rotate through it), IPv4 per address', () => {
    expect(throttledAddress('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(throttledAddress('2001:0DB8:0001:0002:ffff:ffff:ffff:fffe')).toBe('2001:db8:1:2::/64');
    expect(throttledAddress('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(throttledAddress('::1')).toBe('0:0:0:0::/64');
    expect(throttledAddress('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(throttledAddress('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(throttledAddress('203.0.113.9')).toBe('203.0.113.9');
    expect(throttledAddress('not-an-address')).toBe('not-an-address');
  });
});
