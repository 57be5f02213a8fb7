/**
 * The webhook delivery loop the provider emulators share: each delivery is recorded, POSTed with a
 * timeout, and a non-2xx answer (or none) is retried with exponential backoff, a bounded number of
 * times. First attempts go out one at a time in the order they were sent, so the happy path is
 * deterministic; retries run on their own schedule, so (as with the real providers) a retried event
 * can arrive after later ones. Closing cancels timers and in-flight attempts and settles waiters.
 *
 * What differs per provider is a parameter: the headers (signature included) built afresh for each
 * attempt, the log prefix, retry settings and history size, and the record's own fields. A subclass
 * says how a delivery is made (send()) and adds provider-only controls on top.
 */
import { createHmac, randomUUID } from 'node:crypto';

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
  attempts: WebhookAttempt[];
  createdAt: string;
}

export interface WebhookRetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Delay before the second attempt; doubles for each further one. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** How long one attempt waits for the receiver's answer. */
  attemptTimeoutMs: number;
}

export const DEFAULT_RETRY: WebhookRetryPolicy = { maxAttempts: 8, initialDelayMs: 1_000, maxDelayMs: 60_000, attemptTimeoutMs: 10_000 };

/** `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>`, the scheme both Stripe and Mux sign with; `t` in unix seconds. */
export function signTimestamped(secret: string, payload: string, t = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

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
}

type OwnFields<D> = Omit<D, keyof WebhookDelivery<string>> & { status: D extends WebhookDelivery<infer P> ? 'pending' | P : never };

export abstract class WebhookDeliveryQueue<D extends WebhookDelivery<string>> {
  protected readonly list: D[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<AbortController>();
  private readonly settledWaiters = new Map<string, Array<(d: D) => void>>();
  private idleWaiters: Array<() => void> = [];
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(protected readonly opts: WebhookQueueOptions<D>) {}

  /** Queues `body` for delivery; the promise settles when it is delivered or given up on. */
  abstract send(body: string): Promise<D>;

  /** Deliveries restored from a previous run; pending ones are attempted again, others stay as they are. */
  restore(saved: D[]): void {
    for (const d of saved) {
      this.list.push(d);
      if (d.status === 'pending') this.enqueue(d);
    }
  }

  snapshot(): D[] {
    return structuredClone(this.list);
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
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
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
    const d = { id: randomUUID(), eventId, type, url: this.opts.url() ?? null, body, ...own, attempts: [], createdAt: new Date().toISOString() } as unknown as D;
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
    this.opts.changed();
    const waiters = this.settledWaiters.get(d.id) ?? [];
    this.settledWaiters.delete(d.id);
    for (const w of waiters) w(structuredClone(d));
    if (!this.list.some((x) => x.status === 'pending')) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async attempt(d: D): Promise<void> {
    if (this.closed || d.status !== 'pending') return;
    const url = this.opts.url();
    if (!url) {
      d.status = 'no_endpoint';
      d.url = null;
      this.settle(d);
      return;
    }
    d.url = url;
    const started = Date.now();
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
    d.attempts.push({ at: new Date(started).toISOString(), statusCode, error, durationMs: Date.now() - started });
    const log = { deliveryId: d.id, eventId: d.eventId, type: d.type, url, attempt: d.attempts.length, statusCode };
    const prefix = this.opts.logPrefix;
    if (error === null) {
      d.status = 'delivered';
      this.opts.logger.info(log, `${prefix}: webhook delivered`);
      this.settle(d);
      return;
    }
    const { maxAttempts, initialDelayMs, maxDelayMs } = this.opts.retry;
    if (d.attempts.length >= maxAttempts) {
      d.status = 'failed';
      this.opts.logger.warn({ ...log, error }, `${prefix}: webhook given up after the last attempt`);
      this.settle(d);
      return;
    }
    const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** (d.attempts.length - 1));
    this.opts.logger.warn({ ...log, error, retryInMs: delay }, `${prefix}: webhook not accepted; will retry`);
    this.opts.changed();
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.attempt(d);
    }, delay);
    this.timers.add(t);
  }
}
