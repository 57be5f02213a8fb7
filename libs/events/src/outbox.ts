import { randomUUID } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from '@flix/logging';
import type { ClientSession, Collection, Db, MongoClient, TransactionOptions } from 'mongodb';
import { buildEvent, encodeEvent, type EventDef, type EventInit, type FlixEventMessage } from './event.js';
import { newEventId } from './ids.js';
import { registerBacklogSource, unregisterBacklogSource } from './metrics.js';
import { publishRaw } from './publish.js';

/** One event waiting in (or already sent from) the outbox collection. */
export interface OutboxEntry {
  /** Time-ordered id assigned at enqueue: the publishing order. */
  _id: string;
  eventId: string;
  subject: string;
  type: string;
  /** proto3 JSON, exactly what goes on the wire. */
  data: string;
  traceparent?: string;
  state: 'pending' | 'published';
  createdAt: Date;
  /** Instance holding the entry while it publishes it; epoch when free. */
  leaseOwner: string;
  leaseUntil: Date;
  attempts: number;
  publishedAt?: Date;
  lastError?: string;
}

export interface OutboxOptions {
  js: JetStreamClient;
  logger: Logger;
  /** Producing service, for logs and the backlog metric. */
  service: string;
  /** Default `outbox`. */
  collection?: string;
  /** Safety-net poll for entries left by a crash or a missed nudge (ms). Default 300. */
  pollMs?: number;
  /** How long a claim on an entry holds before another instance may take it over (ms). Default 15 s. */
  leaseMs?: number;
  /** How long published entries are kept for inspection (s). Default 1 day. */
  retentionSeconds?: number;
  /** Identifies this instance in leases; default a random id. */
  instanceId?: string;
}

export interface EnqueueOptions {
  traceparent?: string;
}

const EPOCH = new Date(0);

/** A pass stopped because JetStream did not take an event; the entry stays pending. */
export class OutboxPublishError extends Error {
  override readonly name = 'OutboxPublishError';
}

/**
 * Transactional outbox: `enqueue` writes the event into the service's own database inside the
 * caller's transaction, and a relay publishes committed entries to JetStream in order. An
 * event is therefore published if and only if its transaction committed, even when the
 * process dies between the commit and the publish.
 */
export class Outbox {
  readonly service: string;
  private readonly coll: Collection<OutboxEntry>;
  private readonly js: JetStreamClient;
  private readonly log: Logger;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly retentionSeconds: number;
  private readonly instanceId: string;

  private started = false;
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<number> | null = null;
  private queued: Promise<number> | null = null;
  private initialized: Promise<void> | null = null;
  private lastCleanup = 0;
  private readonly nudgedSessions = new WeakSet<ClientSession>();
  private readonly backlogSource = { service: '', backlog: () => this.backlog() };

  constructor(db: Db, opts: OutboxOptions) {
    this.service = opts.service;
    this.coll = db.collection<OutboxEntry>(opts.collection ?? 'outbox');
    this.js = opts.js;
    this.log = opts.logger.child({ component: 'outbox', service: opts.service });
    this.pollMs = opts.pollMs ?? 300;
    this.leaseMs = opts.leaseMs ?? 15_000;
    this.retentionSeconds = opts.retentionSeconds ?? 24 * 3600;
    this.instanceId = opts.instanceId ?? randomUUID();
    this.backlogSource.service = opts.service;
  }

  /** Creates the indexes (idempotent). Call at startup, before the first transaction. */
  init(): Promise<void> {
    this.initialized ??= (async () => {
      await this.coll.createIndex({ state: 1, _id: 1 }, { name: 'state_id' });
      // Only published entries have publishedAt, so the TTL never removes a pending one.
      await this.coll.createIndex(
        { publishedAt: 1 },
        { name: 'publishedAt_ttl', expireAfterSeconds: this.retentionSeconds },
      );
    })().catch((err: unknown) => {
      this.initialized = null;
      throw err;
    });
    return this.initialized;
  }

  /**
   * Stores the event in the outbox as part of `session`'s transaction (the caller runs it inside
   * `session.withTransaction`, next to its business writes). Returns the complete event, with
   * its id and time filled. When the session ends after the commit, a running relay is nudged
   * to publish at once.
   */
  async enqueue<T extends FlixEventMessage>(
    session: ClientSession,
    def: EventDef<T>,
    input: EventInit<T>,
    opts: EnqueueOptions = {},
  ): Promise<T> {
    if (!session.inTransaction()) {
      throw new Error('Outbox.enqueue must run inside a transaction (session.withTransaction)');
    }
    const event = buildEvent(def, input);
    const entry: OutboxEntry = {
      _id: newEventId(),
      eventId: event.eventId,
      subject: def.subject,
      type: def.type,
      data: encodeEvent(def, event),
      ...(opts.traceparent ? { traceparent: opts.traceparent } : {}),
      state: 'pending',
      createdAt: new Date(),
      leaseOwner: '',
      leaseUntil: EPOCH,
      attempts: 0,
    };
    await this.coll.insertOne(entry, { session });
    if (!this.nudgedSessions.has(session)) {
      this.nudgedSessions.add(session);
      // 'ended' comes after withTransaction has committed (or aborted) and the session is
      // released, which is the earliest moment the entry can be visible to the relay.
      session.once('ended', () => {
        if (this.started) void this.flush().catch(() => undefined);
      });
    }
    return event;
  }

  /** Starts the relay: publishes what is pending now, then polls and reacts to nudges. */
  async start(): Promise<void> {
    if (this.started) return;
    await this.init();
    this.started = true;
    registerBacklogSource(this.backlogSource);
    let failures = 0;
    const tick = async (): Promise<void> => {
      try {
        await this.flush();
        await this.cleanupIfDue();
        failures = 0;
      } catch (err) {
        failures++;
        // Publish failures were logged with their event; this catches database errors.
        if (!(err instanceof OutboxPublishError)) {
          this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'outbox pass failed');
        }
      }
      if (this.started) {
        // Back off while NATS or Mongo is down (nudges still try at once).
        const wait = failures === 0 ? this.pollMs : Math.min(10_000, this.pollMs * 2 ** Math.min(failures, 6));
        this.timer = setTimeout(() => void tick(), wait);
        this.timer.unref();
      }
    };
    void tick();
    this.log.info({ instanceId: this.instanceId }, 'outbox relay started');
  }

  /** Stops polling and waits for the publish in progress to finish. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    unregisterBacklogSource(this.backlogSource);
    await this.queued?.catch(() => undefined);
    await this.current?.catch(() => undefined);
    this.log.info('outbox relay stopped');
  }

  /**
   * Publishes every pending entry now (works whether or not the relay is started) and resolves
   * with how many this instance published. Concurrent calls share one pass.
   */
  flush(): Promise<number> {
    if (this.queued) return this.queued;
    if (!this.current) return this.runPass();
    // A pass is under way but may have read the queue before our entry committed: run one more.
    this.queued = this.current
      .catch(() => 0)
      .then(() => {
        this.queued = null;
        return this.runPass();
      });
    return this.queued;
  }

  /** Committed entries not yet published. */
  backlog(): Promise<number> {
    return this.coll.countDocuments({ state: 'pending' });
  }

  private runPass(): Promise<number> {
    const p = this.pass().finally(() => {
      if (this.current === p) this.current = null;
    });
    this.current = p;
    return p;
  }

  /**
   * Publishes from the head of the queue, one entry at a time. Only the oldest pending entry is
   * ever claimed, so instances take turns rather than publish side by side, and the stream
   * receives events in outbox order. The claim is a lease: if its holder dies, another
   * instance takes the entry over once the lease runs out (a repeat publish is then
   * de-duplicated by JetStream on the event id).
   */
  private async pass(): Promise<number> {
    let published = 0;
    for (;;) {
      const head = await this.coll.find({ state: 'pending' }).sort({ _id: 1 }).limit(1).next();
      if (!head) return published;
      const now = new Date();
      if (head.leaseOwner !== this.instanceId && head.leaseUntil > now) return published; // another instance has it
      const claimed = await this.coll.findOneAndUpdate(
        {
          _id: head._id,
          state: 'pending',
          $or: [{ leaseOwner: this.instanceId }, { leaseUntil: { $lte: now } }],
        },
        {
          $set: { leaseOwner: this.instanceId, leaseUntil: new Date(now.getTime() + this.leaseMs) },
          $inc: { attempts: 1 },
        },
        { returnDocument: 'after' },
      );
      if (!claimed) return published; // lost the race for the head
      try {
        await publishRaw(this.js, {
          subject: claimed.subject,
          type: claimed.type,
          eventId: claimed.eventId,
          data: claimed.data,
          traceparent: claimed.traceparent,
        });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.log.error({ eventId: claimed.eventId, subject: claimed.subject, attempts: claimed.attempts, err: message }, 'outbox publish failed');
        // Release the lease so whichever instance polls next retries, keeping the order.
        await this.coll
          .updateOne({ _id: claimed._id, leaseOwner: this.instanceId }, { $set: { leaseUntil: EPOCH, lastError: message } })
          .catch(() => undefined);
        throw new OutboxPublishError(`publishing event ${claimed.eventId} failed: ${message}`, { cause: err });
      }
      await this.coll.updateOne(
        { _id: claimed._id },
        { $set: { state: 'published', publishedAt: new Date(), leaseOwner: '', leaseUntil: EPOCH } },
      );
      published++;
    }
  }

  // The TTL index does this on MongoDB; the explicit delete covers servers without a TTL monitor.
  private async cleanupIfDue(): Promise<void> {
    if (Date.now() - this.lastCleanup < 60_000) return;
    this.lastCleanup = Date.now();
    const cutoff = new Date(Date.now() - this.retentionSeconds * 1000);
    await this.coll.deleteMany({ state: 'published', publishedAt: { $lt: cutoff } }).catch(() => undefined);
  }
}

/**
 * Runs `fn` in a transaction on a fresh session and ends the session right after the commit,
 * which is what lets Outbox.enqueue nudge the relay. Retries transient errors as
 * `withTransaction` does; resolves with `fn`'s result. While MongoDB is known to be unreachable
 * a retry is not attempted: the driver would keep retrying for two minutes while the caller
 * waits, so the transaction fails with a DependencyUnavailableError (UNAVAILABLE at the gRPC
 * boundary) instead. The first attempt always runs, so a momentary blip is still ridden out.
 */
export async function runInTransaction<R>(
  client: MongoClient,
  fn: (session: ClientSession) => Promise<R>,
  options?: TransactionOptions,
): Promise<R> {
  const mongo = reachability(client);
  let attempt = 0;
  return client.withSession((session) =>
    session.withTransaction((s) => {
      if (attempt++ > 0 && !mongo.up) throw new DependencyUnavailableError('mongodb', 'MongoDB is unreachable; the change was not applied');
      return fn(s);
    }, options),
  );
}

/**
 * A required dependency is away; the call may be retried later. Recognized by name at the gRPC
 * boundary (which maps it to UNAVAILABLE with RetryInfo) without a package dependency on it.
 */
export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';
  constructor(
    readonly dependency: 'mongodb' | 'nats',
    message: string,
  ) {
    super(message);
  }
}

const reachabilityByClient = new WeakMap<MongoClient, { up: boolean }>();

/** Follows the driver's server monitoring for this client (from the first transaction on). */
function reachability(client: MongoClient): { up: boolean } {
  let state = reachabilityByClient.get(client);
  if (!state) {
    const s = { up: true };
    client.on('topologyDescriptionChanged', (e) => (s.up = e.newDescription.hasDataBearingServers));
    // Heartbeats also correct the state when the watch began during an outage.
    client.on('serverHeartbeatFailed', () => (s.up = false));
    client.on('serverHeartbeatSucceeded', () => (s.up = true));
    reachabilityByClient.set(client, s);
    state = s;
  }
  return state;
}

/** Writes a service's domain events into its outbox inside the caller's transaction. */
export type OutboxWriter<E> = (session: ClientSession, events: readonly E[]) => Promise<void>;

/**
 * Binds a service's event definitions to its outbox: each domain event (tagged with its
 * subject) is looked up among `defs` and enqueued with the payload `toPayload` builds (by
 * default the event's own `payload`). An event with no definition is a programming error.
 */
export function outboxWriter<E extends { subject: string }>(
  outbox: Outbox,
  /** The service's `defineEvent` results (e.g. `identityEvents` from @flix/contracts). */
  defs: Readonly<Record<string, { readonly subject: string; readonly type: string }>>,
  toPayload: (event: E) => unknown = (event) => (event as E & { payload: unknown }).payload,
): OutboxWriter<E> {
  // Each def's payload type differs; the subject tag is what ties an event to its def.
  const bySubject = new Map(Object.values(defs).map((d) => [d.subject, d as unknown as EventDef<FlixEventMessage>]));
  return async (session, events) => {
    for (const event of events) {
      const def = bySubject.get(event.subject);
      if (!def) throw new Error(`no event definition for ${event.subject}`);
      await outbox.enqueue(session, def, toPayload(event) as EventInit<FlixEventMessage>);
    }
  };
}
