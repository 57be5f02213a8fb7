/**
 * Events: every change is announced with the event Stripe sends for it, as a snapshot of the
 * object at that moment. An operation's events gather in an outbox and are recorded and queued
 * for delivery together when it ends, in a fixed order when the operation asks for one.
 */
import { stripeId, type ListJson, type StripeEventJson } from '../model.js';
import type { EventListParams } from '../schemas.js';
import type { ObjectStore, Render } from './store.js';

/**
 * Events kept for `GET /v1/events` and expand (Stripe keeps 30 days). A checkout makes ~10 events
 * of ~2.3 KB each (JSON; about twice that in the heap), so 1,000 hold about the last 100
 * checkouts in ~2.3 MB of state file and ~5 MB of heap. 10,000 (before) held ~23 MB of JSON that
 * the state file rewrote whole every 200 ms under load, and was reached only after ~1,000
 * checkouts, so memory grew by ~1 MB per 10 checkouts until then (finding FS5).
 */
export const MAX_EVENTS = 1_000;

/** The API request an operation runs for; events it causes carry it as `request`. */
export interface RequestContext {
  id: string;
  idempotencyKey: string | null;
}

export interface EventLogOptions {
  store: ObjectStore<StripeEventJson>;
  apiVersion: string;
  now: () => number;
  render: Render;
  /** Events count a pending webhook only when there is an endpoint. */
  hasEndpoint: () => boolean;
  /** Hands a recorded event's body to webhook delivery. */
  deliver: (body: string) => void;
}

export class EventLog {
  /** The request the running operation serves. */
  request: RequestContext | null = null;
  private outbox: StripeEventJson[] = [];

  constructor(private readonly opts: EventLogOptions) {}

  emit(type: string, object: object, previous?: Record<string, unknown>): void {
    this.outbox.push(this.event(type, object, previous));
  }

  /** Where the next event will go; with insertAt(), an event can be announced ahead of others already emitted. */
  mark(): number {
    return this.outbox.length;
  }

  insertAt(mark: number, type: string, object: object, previous?: Record<string, unknown>): void {
    this.outbox.splice(mark, 0, this.event(type, object, previous));
  }

  /** Records and sends the outbox; `order` moves the listed types to the front, in that order. */
  flush(order?: readonly string[]): void {
    let batch = this.outbox.splice(0);
    if (order) {
      const rank = (e: StripeEventJson): number => {
        const i = order.indexOf(e.type);
        return i < 0 ? order.length : i;
      };
      batch = batch.map((e, i) => ({ e, i })).sort((a, b) => rank(a.e) - rank(b.e) || a.i - b.i).map((x) => x.e);
    }
    for (const e of batch) {
      this.opts.store.add(e);
      // Stripe sends pretty-printed JSON: receivers must verify the raw bytes, not a re-serialisation.
      this.opts.deliver(JSON.stringify(e, null, 2));
    }
    this.opts.store.keepNewest(MAX_EVENTS);
  }

  list(p: EventListParams): ListJson<StripeEventJson> {
    const patterns = [...(p.type ? [p.type] : []), ...(p.types ?? [])];
    const matches = (t: string): boolean => patterns.length === 0 || patterns.some((x) => (x.endsWith('.*') ? t.startsWith(x.slice(0, -1)) : t === x));
    return this.opts.store.list(p, '/v1/events', { where: (e) => matches(e.type) });
  }

  private event(type: string, object: object, previous?: Record<string, unknown>): StripeEventJson {
    return {
      id: stripeId('evt'),
      object: 'event',
      api_version: this.opts.apiVersion,
      created: this.opts.now(),
      data: { object: this.opts.render(object), ...(previous && Object.keys(previous).length > 0 ? { previous_attributes: previous } : {}) },
      livemode: false,
      pending_webhooks: this.opts.hasEndpoint() ? 1 : 0,
      request: this.request ? { id: this.request.id, idempotency_key: this.request.idempotencyKey } : { id: null, idempotency_key: null },
      type,
    };
  }
}
