/**
 * The webhook delivery loop the provider emulators share: each delivery is recorded, POSTed with a
 * timeout, and a non-2xx answer (or none) is retried with exponential backoff (doubling from 1 s,
 * capped at 60 s) until it is accepted or it is older than the provider's `giveUpAfterMs` (Stripe
 * retries for 3 days, Mux for 24 hours), as the real providers do. A receiver that was down for an
 * hour therefore still gets every event, within a minute of coming back. First attempts go out one
 * at a time in the order they were sent, so the happy path is deterministic; retries run on their
 * own schedule, so (as with the real providers) a retried event can arrive after later ones.
 * Closing cancels timers and in-flight attempts and settles waiters.
 *
 * Deliveries are persisted by their owner (snapshot()/restore()): a pending one is attempted again
 * at once after a restart, its age still counted from `createdAt` and its backoff continuing from
 * `attemptCount`, so a restart neither resets nor extends how long it is retried.
 *
 * What differs per provider is a parameter: the headers (signature included) built afresh for each
 * attempt, the log prefix, retry settings and history size, and the record's own fields. A subclass
 * says how a delivery is made (send()) and adds provider-only controls on top.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

export interface Logger {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export interface WebhookAttempt {
  at: string;
  /** HTTP status of the receiver's answer; null when there was none (refused, timed out). */
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * Attempt records kept per delivery. A delivery retried for 3 days makes ~4,300 attempts; keeping
 * every record would grow memory and the state file without bound, and the latest ones say why it
 * is failing. `attemptCount` keeps the total.
 */
export const MAX_ATTEMPT_RECORDS = 20;

/**
 * One delivery. `Parked` names extra statuses a provider uses for deliveries that wait outside the
 * queue (only `pending` ones are attempted; only delivered/failed/no_endpoint ones are dropped from history).
 */
export interface WebhookDelivery<Parked extends string = never> {
  /** Id of this delivery (one event can be delivered more than once, see redeliver()). */
  id: string;
  /** The event's own `id` and `type`, when the body is a JSON event. */
  eventId: string | null;
  type: string | null;
  /** Where it went; null when no webhook URL was configured at the time. */
  url: string | null;
  /** The raw body, byte for byte what was signed and sent. */
  body: string;
  status: 'pending' | 'delivered' | 'failed' | 'no_endpoint' | Parked;
  /** The last MAX_ATTEMPT_RECORDS attempts, oldest first. */
  attempts: WebhookAttempt[];
  /** Attempts made in all (the records of older ones are dropped). */
  attemptCount: number;
  /** When the next retry is due, while one is scheduled; null otherwise. */
  nextAttemptAt: string | null;
  /** Retries stop once a delivery is `giveUpAfterMs` older than this, restarts or not. */
  createdAt: string;
}

export interface WebhookRetryPolicy {
  /** A delivery still not accepted this long after it was created is given up on (status `failed`). */
  giveUpAfterMs: number;
  /** Optional cap on attempts in all, the first included (tests use it to fail fast); none by default. */
  maxAttempts?: number;
  /** Delay before the second attempt; doubles for each further one. */
  initialDelayMs: number;
  /** Backoff cap: a receiver that comes back is served within this long. */
  maxDelayMs: number;
  /** How long one attempt waits for the receiver's answer. */
  attemptTimeoutMs: number;
}

const HOUR_MS = 3_600_000;

/**
 * Backoff doubling from 1 s, capped at 60 s so a local receiver that comes back (a restarted
 * service) is served within a minute; real providers back off to hours, which would leave a dev
 * stack waiting. Given up after 24 hours, Mux's window; Stripe uses STRIPE_GIVE_UP_AFTER_MS.
 */
export const DEFAULT_RETRY: WebhookRetryPolicy = { giveUpAfterMs: 24 * HOUR_MS, initialDelayMs: 1_000, maxDelayMs: 60_000, attemptTimeoutMs: 10_000 };

/** Stripe retries an undelivered webhook for up to 3 days. */
export const STRIPE_GIVE_UP_AFTER_MS = 72 * HOUR_MS;
/** Mux retries an undelivered webhook for up to 24 hours. */
export const MUX_GIVE_UP_AFTER_MS = 24 * HOUR_MS;

/** The policy with `overrides` applied, checked; an invalid value throws naming `webhookRetry.<field>`. */
export function retryPolicy(base: WebhookRetryPolicy, overrides: Partial<WebhookRetryPolicy> = {}): WebhookRetryPolicy {
  const p: WebhookRetryPolicy = { ...base, ...overrides };
  const check = (field: keyof WebhookRetryPolicy, ok: boolean, what: string) => {
    if (!ok) throw new Error(`webhookRetry.${field} must be ${what} (got ${String(p[field])})`);
  };
  check('giveUpAfterMs', Number.isFinite(p.giveUpAfterMs) && p.giveUpAfterMs > 0, 'a positive number of milliseconds');
  check('initialDelayMs', Number.isFinite(p.initialDelayMs) && p.initialDelayMs >= 0, 'a non-negative number of milliseconds');
  check('maxDelayMs', Number.isFinite(p.maxDelayMs) && p.maxDelayMs >= p.initialDelayMs, 'a number of milliseconds no smaller than initialDelayMs');
  check('attemptTimeoutMs', Number.isFinite(p.attemptTimeoutMs) && p.attemptTimeoutMs > 0, 'a positive number of milliseconds');
  check('maxAttempts', p.maxAttempts === undefined || (Number.isInteger(p.maxAttempts) && p.maxAttempts >= 1), 'a whole number of at least 1, or absent');
  return p;
}

/** `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>`, the scheme both Stripe and Mux sign with; `t` in unix seconds. */
export function signTimestamped(secret: string, payload: string, t = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/** Time as the queue sees it: ages, record times and retry timers. Tests inject virtual time. */
export interface QueueClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` after `ms`; returns what cancels it. */
  schedule(fn: () => void, ms: number): () => void;
}

export const systemClock: QueueClock = {
  now: () => Date.now(),
  schedule(fn, ms) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

export interface WebhookQueueOptions<D> {
  /** Read per attempt, so changing it redirects retries too. */
  url: () => string | undefined;
  retry: WebhookRetryPolicy;
  logger: Logger;
  /** Starts every log message, e.g. `mux-emulator`. */
  logPrefix: string;
  /** Deliveries kept in history; the oldest finished ones go first. */
  maxKept: number;
  /** The request headers for one attempt of `d`, signature included; called afresh per attempt. */
  headers: (d: D) => Record<string, string>;
  /** Called after every state change, so the owner can persist. */
  changed: () => void;
  /** Defaults to the wall clock and setTimeout. */
  clock?: QueueClock;
}

type OwnFields<D> = Omit<D, keyof WebhookDelivery<string>> & { status: D extends WebhookDelivery<infer P> ? 'pending' | P : never };

/** Failed attempts logged one by one; past these, one line every LOG_EVERY, so days of retries do not flood the log. */
const LOG_FIRST_FAILURES = 8;
const LOG_EVERY = 10;

export abstract class WebhookDeliveryQueue<D extends WebhookDelivery<string>> {
  protected readonly list: D[] = [];
  protected readonly clock: QueueClock;
  private readonly cancels = new Set<() => void>();
  private readonly inflight = new Set<AbortController>();
  private readonly settledWaiters = new Map<string, Array<(d: D) => void>>();
  private idleWaiters: Array<() => void> = [];
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(protected readonly opts: WebhookQueueOptions<D>) {
    retryPolicy(opts.retry);
    this.clock = opts.clock ?? systemClock;
  }

  /** Queues `body` for delivery; the promise settles when it is delivered or given up on. */
  abstract send(body: string): Promise<D>;

  /**
   * Deliveries restored from a previous run; others stay as they are. A pending one is attempted
   * again at once (its age still counts from createdAt), unless it is already older than
   * giveUpAfterMs: then it is failed without another attempt.
   */
  restore(saved: D[]): void {
    for (const d of saved) {
      // State files written before attemptCount existed hold every attempt.
      d.attemptCount ??= d.attempts.length;
      d.nextAttemptAt ??= null;
      if (d.attempts.length > MAX_ATTEMPT_RECORDS) d.attempts.splice(0, d.attempts.length - MAX_ATTEMPT_RECORDS);
      this.list.push(d);
      if (d.status !== 'pending') continue;
      if (this.ageMs(d) >= this.opts.retry.giveUpAfterMs) {
        this.giveUp(d, { deliveryId: d.id, eventId: d.eventId, type: d.type, attempts: d.attemptCount }, 'older than giveUpAfterMs when the emulator started again');
        continue;
      }
      d.nextAttemptAt = null;
      this.enqueue(d);
    }
  }

  /** Every delivery, oldest first, as copies. */
  snapshot(): D[] {
    return structuredClone(this.list);
  }

  /** The deliveries themselves, for an owner that serialises them at once (no copy: saves are frequent). */
  persisted(): readonly D[] {
    return this.list;
  }

  pendingCount(): number {
    return this.list.filter((d) => d.status === 'pending').length;
  }

  redeliver(deliveryId: string): Promise<D> {
    const d = this.list.find((x) => x.id === deliveryId);
    if (!d) throw new Error(`no webhook delivery ${deliveryId}`);
    return this.send(d.body);
  }

  /** Resolves once nothing is pending (parked deliveries do not count): no sleeping in tests. */
  idle(): Promise<void> {
    if (!this.list.some((d) => d.status === 'pending')) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const cancel of this.cancels) cancel();
    this.cancels.clear();
    for (const c of this.inflight) c.abort();
    // Nobody should wait forever on a closed emulator: settle the waiters with what stands (pending).
    for (const [id, waiters] of this.settledWaiters) {
      const d = this.list.find((x) => x.id === id);
      if (d) for (const w of waiters) w(structuredClone(d));
    }
    this.settledWaiters.clear();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Records a delivery of `body` with the provider's own fields; queues it when its status is pending. */
  protected track(body: string, own: OwnFields<D>): Promise<D> {
    let eventId: string | null = null;
    let type: string | null = null;
    try {
      const parsed = JSON.parse(body) as { id?: unknown; type?: unknown };
      if (typeof parsed.id === 'string') eventId = parsed.id;
      if (typeof parsed.type === 'string') type = parsed.type;
    } catch {
      // Raw bodies that are not JSON are allowed: tests use them to probe receivers.
    }
    const d = {
      id: randomUUID(),
      eventId,
      type,
      url: this.opts.url() ?? null,
      body,
      ...own,
      attempts: [],
      attemptCount: 0,
      nextAttemptAt: null,
      createdAt: new Date(this.clock.now()).toISOString(),
    } as unknown as D;
    this.list.push(d);
    // Bounded history: drop the oldest finished deliveries.
    while (this.list.length > this.opts.maxKept) {
      const i = this.list.findIndex((x) => x.status === 'delivered' || x.status === 'failed' || x.status === 'no_endpoint');
      if (i < 0) break;
      this.list.splice(i, 1);
    }
    const done = this.whenSettled(d.id);
    if (d.status === 'pending') this.enqueue(d);
    this.opts.changed();
    return done;
  }

  /** Makes a parked delivery pending and queues it; settles when it does. */
  protected start(d: D): Promise<D> {
    d.status = 'pending';
    const p = this.whenSettled(d.id);
    this.enqueue(d);
    return p;
  }

  private enqueue(d: D): void {
    // attempt() handles its own errors; the catch only keeps one surprise from stalling the queue.
    this.chain = this.chain
      .then(() => this.attempt(d))
      .catch((e: unknown) => this.opts.logger.error({ deliveryId: d.id, err: String(e) }, `${this.opts.logPrefix}: delivery crashed`));
  }

  private whenSettled(id: string): Promise<D> {
    return new Promise((resolve) => {
      const waiters = this.settledWaiters.get(id) ?? [];
      waiters.push(resolve);
      this.settledWaiters.set(id, waiters);
    });
  }

  private settle(d: D): void {
    d.nextAttemptAt = null;
    this.opts.changed();
    const waiters = this.settledWaiters.get(d.id) ?? [];
    this.settledWaiters.delete(d.id);
    for (const w of waiters) w(structuredClone(d));
    if (!this.list.some((x) => x.status === 'pending')) for (const w of this.idleWaiters.splice(0)) w();
  }

  private ageMs(d: D): number {
    return this.clock.now() - Date.parse(d.createdAt);
  }

  private giveUp(d: D, log: object, why: string): void {
    d.status = 'failed';
    this.opts.logger.warn({ ...log, ageMs: this.ageMs(d) }, `${this.opts.logPrefix}: webhook given up: ${why}`);
    this.settle(d);
  }

  private async attempt(d: D): Promise<void> {
    if (this.closed || d.status !== 'pending') return;
    d.nextAttemptAt = null;
    const url = this.opts.url();
    if (!url) {
      d.status = 'no_endpoint';
      d.url = null;
      this.settle(d);
      return;
    }
    d.url = url;
    const at = this.clock.now();
    const started = performance.now();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.opts.retry.attemptTimeoutMs);
    this.inflight.add(abort);
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(url, { method: 'POST', headers: this.opts.headers(d), body: d.body, signal: abort.signal });
      statusCode = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (statusCode < 200 || statusCode > 299) error = `receiver answered ${statusCode}`;
    } catch (e) {
      const cause = (e as Error).cause;
      error = abort.signal.aborted ? (this.closed ? 'emulator closed' : 'timed out') : cause instanceof Error ? cause.message : (e as Error).message;
    } finally {
      clearTimeout(timer);
      this.inflight.delete(abort);
    }
    // Closing mid-attempt leaves the delivery pending, so a persisted emulator resumes it.
    if (this.closed) return;
    d.attemptCount += 1;
    d.attempts.push({ at: new Date(at).toISOString(), statusCode, error, durationMs: Math.round(performance.now() - started) });
    if (d.attempts.length > MAX_ATTEMPT_RECORDS) d.attempts.splice(0, d.attempts.length - MAX_ATTEMPT_RECORDS);
    const log = { deliveryId: d.id, eventId: d.eventId, type: d.type, url, attempt: d.attemptCount, statusCode };
    const prefix = this.opts.logPrefix;
    if (error === null) {
      d.status = 'delivered';
      this.opts.logger.info(log, `${prefix}: webhook delivered`);
      this.settle(d);
      return;
    }
    const { maxAttempts, giveUpAfterMs, initialDelayMs, maxDelayMs } = this.opts.retry;
    if (maxAttempts !== undefined && d.attemptCount >= maxAttempts) return this.giveUp(d, { ...log, error }, `no attempts left (webhookRetry.maxAttempts ${maxAttempts})`);
    const left = giveUpAfterMs - this.ageMs(d);
    if (left <= 0) return this.giveUp(d, { ...log, error }, `not accepted within ${Math.round(giveUpAfterMs / 60_000)} min of being sent`);
    // The exponent is capped: a delivery retried for days makes thousands of attempts. The last
    // retry falls due exactly when the delivery reaches its give-up age.
    const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(d.attemptCount - 1, 30), left);
    d.nextAttemptAt = new Date(this.clock.now() + delay).toISOString();
    if (d.attemptCount <= LOG_FIRST_FAILURES || d.attemptCount % LOG_EVERY === 0) {
      this.opts.logger.warn({ ...log, error, retryInMs: delay, ageMs: this.ageMs(d) }, `${prefix}: webhook not accepted; will retry`);
    }
    this.opts.changed();
    const cancel = this.clock.schedule(() => {
      this.cancels.delete(cancel);
      void this.attempt(d);
    }, delay);
    this.cancels.add(cancel);
  }
}
