import { isIPv4, isIPv6 } from 'node:net';
import { DomainError } from '@flix/errors';
import type { IdentityEvent } from './events.js';
import type { LoginAttemptRepository, ThrottleCounter } from './ports.js';

/**
 * How failed sign-ins slow further attempts, after OWASP's authentication and credential-stuffing
 * guidance: a progressive delay per (account, client address) pair and a coarser one per address,
 * never a lockout a stranger can impose on the owner.
 */
export interface LoginThrottlePolicy {
  /** Failures of one (account, address) pair answered without any delay. */
  freeFailures: number;
  /** The delay after the first failure beyond the free ones; each further failure doubles it. */
  baseDelaySeconds: number;
  /** No delay grows beyond this. */
  maxDelaySeconds: number;
  /** Failures from one address, over every account, within a window before that address is slowed too. */
  ipFailureLimit: number;
  /** Failures on one account, from every address, within a window that raise an operator warning. */
  accountAlertFailures: number;
  /**
   * A pair's failures are forgotten this long after its delay has run out with no new failure;
   * an address's and an account's count in fixed windows of this length.
   */
  windowSeconds: number;
}

/** Which counters an attempt touches. */
export interface AttemptKeys {
  pair: string;
  ip: string;
  account: string;
}

export type Admission = { kind: 'admitted'; keys: AttemptKeys } | { kind: 'refused'; retryAfterSeconds: number };

/** A counter that delays after `free` failures and forgets them either after a quiet spell or when its window ends. */
interface CounterRule {
  free: number;
  forget: 'after-quiet' | 'fixed-window';
}

/** Seconds to wait after the `failures`-th failure: none while free, then base·2^k up to the cap. */
export function delaySeconds(failures: number, free: number, policy: Pick<LoginThrottlePolicy, 'baseDelaySeconds' | 'maxDelaySeconds'>): number {
  if (failures <= free) return 0;
  // 2 ** large is Infinity, which the cap absorbs.
  return Math.min(policy.maxDelaySeconds, policy.baseDelaySeconds * 2 ** (failures - free - 1));
}

/** Whole seconds until the counter lets the next attempt through; 0 when it does now. */
export function secondsToWait(counter: ThrottleCounter | undefined, now: Date): number {
  if (!counter) return 0;
  const ms = counter.blockedUntil.getTime() - now.getTime();
  return ms > 0 ? Math.ceil(ms / 1000) : 0;
}

function isForgotten(counter: ThrottleCounter, now: Date, rule: CounterRule, windowMs: number): boolean {
  const from = rule.forget === 'after-quiet' ? counter.blockedUntil : counter.windowStart;
  return now.getTime() >= from.getTime() + windowMs;
}

/** The counter after one more failure at `now`, and when it may be deleted. */
export function countFailure(
  current: ThrottleCounter | undefined,
  now: Date,
  rule: CounterRule,
  policy: LoginThrottlePolicy,
): { next: ThrottleCounter; expiresAt: Date } {
  const windowMs = policy.windowSeconds * 1000;
  const live = current && !isForgotten(current, now, rule, windowMs) ? current : undefined;
  const failures = (live?.failures ?? 0) + 1;
  const windowStart = live?.windowStart ?? now;
  const blockedUntil = new Date(now.getTime() + delaySeconds(failures, rule.free, policy) * 1000);
  const forgetAt = rule.forget === 'after-quiet' ? blockedUntil.getTime() + windowMs : windowStart.getTime() + windowMs;
  return { next: { failures, windowStart, blockedUntil }, expiresAt: new Date(Math.max(forgetAt, blockedUntil.getTime())) };
}

export function loginThrottled(retryAfterSeconds: number): DomainError {
  // The same words whether or not the account exists, and whichever counter refused.
  return new DomainError(
    'resource_exhausted',
    'LOGIN_THROTTLED',
    `too many failed sign-in attempts; try again in ${retryAfterSeconds} ${retryAfterSeconds === 1 ? 'second' : 'seconds'}`,
    [],
    { retryAfterSeconds: String(retryAfterSeconds) },
    retryAfterSeconds,
  );
}

/** An account failing from many addresses: worth an operator's look, never a lockout. */
export interface AccountUnderAttack {
  account: string;
  failures: number;
  windowSeconds: number;
}

/**
 * The address a counter is kept for. An IPv6 client usually holds a whole /64 and can pick a new
 * address for every guess, so IPv6 counts per /64 network; an IPv4-mapped address is its IPv4.
 */
export function throttledAddress(clientIp: string): string {
  const ip = clientIp.trim().toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  const bare = ip.split('%')[0]!;
  if (!isIPv6(bare)) return ip;
  const [head = '', tail] = bare.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail only occurs past the first 64 bits, which are all that is kept.
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

// Counters are compare-and-set; this many lost races on one key in a row is itself a flood.
const MAX_RACES = 8;

/**
 * Counts failed sign-ins in three ways (see LoginThrottlePolicy). Counters live in the
 * repository (MongoDB with TTL), so every identity replica sees the same ones and a restart
 * forgets nothing.
 */
export class LoginThrottle {
  private readonly pairRule: CounterRule;
  private readonly ipRule: CounterRule;
  private readonly accountRule: CounterRule;

  constructor(
    private readonly attempts: LoginAttemptRepository,
    private readonly policy: LoginThrottlePolicy,
    private readonly onAccountUnderAttack: (alert: AccountUnderAttack) => void = () => {},
  ) {
    this.pairRule = { free: policy.freeFailures, forget: 'after-quiet' };
    this.ipRule = { free: policy.ipFailureLimit, forget: 'fixed-window' };
    // Counted for the operator warning only: an account-wide delay would let a botnet lock the owner out.
    this.accountRule = { free: Number.POSITIVE_INFINITY, forget: 'fixed-window' };
  }

  static keys(email: string, clientIp: string): AttemptKeys {
    const from = throttledAddress(clientIp);
    return { pair: `pair:${from}|${email}`, ip: `ip:${from}`, account: `account:${email}` };
  }

  /**
   * Refuses while the pair or the address has to wait. Otherwise the attempt is counted as a
   * failure of its pair before the password is checked, so that guesses sent in parallel cannot
   * all slip in before the first answer; a success takes it back (`succeeded`).
   */
  async admit(email: string, clientIp: string, now: Date): Promise<Admission> {
    const keys = LoginThrottle.keys(email, clientIp);
    for (let race = 0; race < MAX_RACES; race++) {
      const counters = await this.attempts.read([keys.pair, keys.ip]);
      const pair = counters.get(keys.pair);
      const wait = Math.max(secondsToWait(pair, now), secondsToWait(counters.get(keys.ip), now));
      if (wait > 0) return { kind: 'refused', retryAfterSeconds: wait };
      const { next, expiresAt } = countFailure(pair, now, this.pairRule, this.policy);
      if (await this.attempts.compareAndSet(keys.pair, pair?.rev ?? null, next, expiresAt)) return { kind: 'admitted', keys };
    }
    return { kind: 'refused', retryAfterSeconds: 1 };
  }

  /** The right password: the pair's failures (this attempt's included) are forgotten. */
  async succeeded(keys: AttemptKeys, events: IdentityEvent[]): Promise<void> {
    await this.attempts.recordSuccess(keys.pair, events);
  }

  /** A wrong password (or no such account): the address and the account count it too. */
  async failed(keys: AttemptKeys, now: Date): Promise<void> {
    await this.count(keys.ip, now, this.ipRule);
    const account = await this.count(keys.account, now, this.accountRule);
    const threshold = this.policy.accountAlertFailures;
    // Once at the threshold and again at each multiple of it: a signal, not a log flood.
    if (account && account.failures >= threshold && account.failures % threshold === 0) {
      this.onAccountUnderAttack({ account: keys.account.slice('account:'.length), failures: account.failures, windowSeconds: this.policy.windowSeconds });
    }
  }

  private async count(key: string, now: Date, rule: CounterRule): Promise<ThrottleCounter | null> {
    for (let race = 0; race < MAX_RACES; race++) {
      const current = (await this.attempts.read([key])).get(key);
      const { next, expiresAt } = countFailure(current, now, rule, this.policy);
      if (await this.attempts.compareAndSet(key, current?.rev ?? null, next, expiresAt)) return next;
    }
    // Lost to a flood of concurrent failures on the same key: those are being counted anyway.
    return null;
  }
}
