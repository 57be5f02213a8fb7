/**
 * Webhook signing and delivery as Stripe does it: each attempt POSTs the raw event JSON with
 * `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, signed afresh
 * per attempt with the wall clock (the emulator clock may be months ahead, and receivers check
 * the timestamp against their own clock); a non-2xx answer (or none) is retried with exponential
 * backoff, a bounded number of times. First attempts go out one at a time in the order the events
 * happened, so the happy path is deterministic; retries run on their own schedule, so (as with
 * Stripe) a retried event can arrive after later ones.
 *
 * Test controls: hold() parks new deliveries and release() sends the parked batch in a chosen
 * order; a delivery can carry a deliberately bad signature (forged, stale, missing).
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from './types.js';

export interface WebhookAttempt {
  at: string;
  /** HTTP status of the receiver's answer; null when there was none (refused, timed out). */
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** How a delivery is signed: correctly, or wrongly on purpose for negative tests. */
export type SignatureMode = 'valid' | 'forged' | 'stale' | 'missing' | { header: string };

export interface WebhookDelivery {
  /** Id of this delivery (one event can be delivered more than once, see redeliver()). */
  id: string;
  /** The event's own `id` and `type`, when the body is a JSON event. */
  eventId: string | null;
  type: string | null;
  /** Where it went; null when no webhook URL was configured at the time. */
  url: string | null;
  /** The raw body, byte for byte what was signed and sent. */
  body: string;
  signature: SignatureMode;
  /** `held` waits for releaseDeliveries(). */
  status: 'held' | 'pending' | 'delivered' | 'failed' | 'no_endpoint';
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

export type ReleaseOrder = 'asis' | 'reverse' | 'shuffle';

export const DEFAULT_RETRY: WebhookRetryPolicy = { maxAttempts: 8, initialDelayMs: 1_000, maxDelayMs: 60_000, attemptTimeoutMs: 10_000 };

/** The `Stripe-Signature` header value for `payload` signed at `t` (unix seconds), as Stripe builds it. */
export function signStripePayload(secret: string, payload: string, t = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/** Older than the SDK's default 300 s tolerance. */
const STALE_SECONDS = 3_600;
const MAX_KEPT = 2_000;

function signatureHeader(secret: string, body: string, mode: SignatureMode): string | null {
  if (mode === 'missing') return null;
  if (mode === 'forged') return signStripePayload(`${secret}-forged`, body);
  if (mode === 'stale') return signStripePayload(secret, body, Math.floor(Date.now() / 1000) - STALE_SECONDS);
  if (mode === 'valid') return signStripePayload(secret, body);
  return mode.header;
}

export class WebhookDispatcher {
  private readonly list: WebhookDelivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<AbortController>();
  private readonly settledWaiters = new Map<string, Array<(d: WebhookDelivery) => void>>();
  private idleWaiters: Array<() => void> = [];
  private chain: Promise<void> = Promise.resolve();
  private holding = false;
  private closed = false;

  constructor(
    private readonly opts: {
      secret: string;
      url: () => string | undefined;
      retry: WebhookRetryPolicy;
      logger: Logger;
      /** Called after every state change, so the owner can persist. */
      changed: () => void;
    },
  ) {}

  /** Deliveries restored from a previous run; pending ones are attempted again, held ones stay held. */
  restore(saved: WebhookDelivery[], holding: boolean): void {
    this.holding = holding;
    for (const d of saved) {
      this.list.push(d);
      if (d.status === 'pending') this.enqueue(d);
    }
  }

  snapshot(): WebhookDelivery[] {
    return structuredClone(this.list);
  }

  isHolding(): boolean {
    return this.holding;
  }

  /** Queues `body` for delivery; the promise settles when it is delivered or given up on (held: once released and settled). */
  send(body: string, signature: SignatureMode = 'valid'): Promise<WebhookDelivery> {
    let eventId: string | null = null;
    let type: string | null = null;
    try {
      const parsed = JSON.parse(body) as { id?: unknown; type?: unknown };
      if (typeof parsed.id === 'string') eventId = parsed.id;
      if (typeof parsed.type === 'string') type = parsed.type;
    } catch {
      // Raw bodies that are not JSON are allowed: tests use them to probe receivers.
    }
    const d: WebhookDelivery = {
      id: randomUUID(),
      eventId,
      type,
      url: this.opts.url() ?? null,
      body,
      signature,
      status: this.holding ? 'held' : 'pending',
      attempts: [],
      createdAt: new Date().toISOString(),
    };
    this.list.push(d);
    // Bounded history: drop the oldest finished deliveries.
    while (this.list.length > MAX_KEPT) {
      const i = this.list.findIndex((x) => x.status !== 'pending' && x.status !== 'held');
      if (i < 0) break;
      this.list.splice(i, 1);
    }
    const done = this.whenSettled(d.id);
    if (d.status === 'pending') this.enqueue(d);
    this.opts.changed();
    return done;
  }

  redeliver(deliveryId: string): Promise<WebhookDelivery> {
    const d = this.list.find((x) => x.id === deliveryId);
    if (!d) throw new Error(`no webhook delivery ${deliveryId}`);
    return this.send(d.body);
  }

  hold(): void {
    this.holding = true;
    this.opts.changed();
  }

  /** Stops holding and sends the held batch in `order`; settles when every released delivery has. */
  release(order: ReleaseOrder = 'asis'): Promise<WebhookDelivery[]> {
    this.holding = false;
    const held = this.list.filter((d) => d.status === 'held');
    if (order === 'reverse') held.reverse();
    if (order === 'shuffle') {
      for (let i = held.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [held[i], held[j]] = [held[j], held[i]];
      }
    }
    const settled = held.map((d) => {
      d.status = 'pending';
      const p = this.whenSettled(d.id);
      this.enqueue(d);
      return p;
    });
    this.opts.changed();
    return Promise.all(settled);
  }

  /** Resolves once nothing is pending (held deliveries do not count): no sleeping in tests. */
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

  private enqueue(d: WebhookDelivery): void {
    // attempt() handles its own errors; the catch only keeps one surprise from stalling the queue.
    this.chain = this.chain
      .then(() => this.attempt(d))
      .catch((e: unknown) => this.opts.logger.error({ deliveryId: d.id, err: String(e) }, 'stripe-emulator: delivery crashed'));
  }

  private whenSettled(id: string): Promise<WebhookDelivery> {
    return new Promise((resolve) => {
      const waiters = this.settledWaiters.get(id) ?? [];
      waiters.push(resolve);
      this.settledWaiters.set(id, waiters);
    });
  }

  private settle(d: WebhookDelivery): void {
    this.opts.changed();
    const waiters = this.settledWaiters.get(d.id) ?? [];
    this.settledWaiters.delete(d.id);
    for (const w of waiters) w(structuredClone(d));
    if (!this.list.some((x) => x.status === 'pending')) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async attempt(d: WebhookDelivery): Promise<void> {
    if (this.closed || d.status !== 'pending') return;
    // The URL is read per attempt: setWebhookUrl() redirects retries too.
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
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      'cache-control': 'no-cache',
      accept: '*/*; q=0.5, application/xml',
    };
    const sig = signatureHeader(this.opts.secret, d.body, d.signature);
    if (sig !== null) headers['stripe-signature'] = sig;
    try {
      const res = await fetch(url, { method: 'POST', headers, body: d.body, signal: abort.signal });
      statusCode = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (statusCode < 200 || statusCode > 299) error = `receiver answered ${statusCode}`;
    } catch (e) {
      error = abort.signal.aborted
        ? this.closed
          ? 'emulator closed'
          : 'timed out'
        : (e as Error).cause instanceof Error
          ? ((e as Error).cause as Error).message
          : (e as Error).message;
    } finally {
      clearTimeout(timer);
      this.inflight.delete(abort);
    }
    // Closing mid-attempt leaves the delivery pending, so a persisted emulator resumes it.
    if (this.closed) return;
    d.attempts.push({ at: new Date(started).toISOString(), statusCode, error, durationMs: Date.now() - started });
    const log = { deliveryId: d.id, eventId: d.eventId, type: d.type, url, attempt: d.attempts.length, statusCode };
    if (error === null) {
      d.status = 'delivered';
      this.opts.logger.info(log, 'stripe-emulator: webhook delivered');
      this.settle(d);
      return;
    }
    const { maxAttempts, initialDelayMs, maxDelayMs } = this.opts.retry;
    if (d.attempts.length >= maxAttempts) {
      d.status = 'failed';
      this.opts.logger.warn({ ...log, error }, 'stripe-emulator: webhook given up after the last attempt');
      this.settle(d);
      return;
    }
    const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** (d.attempts.length - 1));
    this.opts.logger.warn({ ...log, error, retryInMs: delay }, 'stripe-emulator: webhook not accepted; will retry');
    this.opts.changed();
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.attempt(d);
    }, delay);
    this.timers.add(t);
  }
}
