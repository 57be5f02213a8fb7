import { DomainError } from '@flix/errors';
import type { PasswordHasher } from '../domain/ports.js';

/**
 * argon2 is deliberately expensive: unbounded, a flood of sign-ups queues so much hashing that
 * sign-ins time out behind it, and work whose caller already gave up keeps the CPU busy. So
 * password work runs in two lanes with a bounded number of slots and a bounded wait:
 * registration may use only part of the slots and sign-ins go first when a slot frees up.
 */
export type PasswordLane = 'login' | 'register';

export interface PasswordWorkLimits {
  /** argon2 computations at once, over both lanes (about the number of cores). */
  concurrency: number;
  /** Of those, at most this many for registration: sign-ins always keep the rest. */
  registerConcurrency: number;
  /** Callers waiting per lane; one more is turned away at once. */
  maxQueued: number;
  /** A caller waiting longer than this is turned away (its client is likely gone by then). */
  maxWaitMs: number;
}

interface Waiter {
  start(): void;
  timer: NodeJS.Timeout;
}

const RETRY_AFTER_SECONDS = 1;

function overloaded(lane: PasswordLane): DomainError {
  const what = lane === 'register' ? 'too many sign-ups at once' : 'too many sign-ins at once';
  return new DomainError('unavailable', 'PASSWORD_WORK_OVERLOADED', `${what}; try again in ${RETRY_AFTER_SECONDS} second`, [], {}, RETRY_AFTER_SECONDS);
}

export class PasswordWork {
  private readonly running: Record<PasswordLane, number> = { login: 0, register: 0 };
  private readonly waiting: Record<PasswordLane, Waiter[]> = { login: [], register: [] };
  /** Turned away since start, per lane (tests and the docs' figures read it). */
  readonly shed: Record<PasswordLane, number> = { login: 0, register: 0 };

  constructor(private readonly limits: PasswordWorkLimits) {}

  async run<T>(lane: PasswordLane, task: () => Promise<T>): Promise<T> {
    await this.acquire(lane);
    try {
      return await task();
    } finally {
      this.running[lane]--;
      this.pump();
    }
  }

  /** A hasher whose work goes through `lane`. */
  hasher(inner: PasswordHasher, lane: PasswordLane): PasswordHasher {
    return {
      hash: (password) => this.run(lane, () => inner.hash(password)),
      verify: (hash, password) => this.run(lane, () => inner.verify(hash, password)),
      needsRehash: (hash) => inner.needsRehash(hash),
    };
  }

  private canStart(lane: PasswordLane): boolean {
    const total = this.running.login + this.running.register;
    if (total >= this.limits.concurrency) return false;
    return lane === 'login' || this.running.register < this.limits.registerConcurrency;
  }

  private acquire(lane: PasswordLane): Promise<void> {
    // Nobody overtakes those already waiting in the same lane.
    if (this.waiting[lane].length === 0 && this.canStart(lane)) {
      this.running[lane]++;
      return Promise.resolve();
    }
    if (this.waiting[lane].length >= this.limits.maxQueued) {
      this.shed[lane]++;
      return Promise.reject(overloaded(lane));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          clearTimeout(waiter.timer);
          this.running[lane]++;
          resolve();
        },
        timer: setTimeout(() => {
          const queue = this.waiting[lane];
          queue.splice(queue.indexOf(waiter), 1);
          this.shed[lane]++;
          reject(overloaded(lane));
        }, this.limits.maxWaitMs),
      };
      this.waiting[lane].push(waiter);
    });
  }

  /** Hands free slots to waiters, sign-ins first. */
  private pump(): void {
    for (const lane of ['login', 'register'] as const) {
      while (this.waiting[lane].length > 0 && this.canStart(lane)) this.waiting[lane].shift()!.start();
    }
  }
}
