import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerConfig,
  type ConsumerInfo,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { ClosedConnectionError, DrainingConnectionError, headers as natsHeaders, nanos, type MsgHdrs } from '@nats-io/nats-core';
import type { Logger } from '@flix/logging';
import type { ClientSession } from 'mongodb';
import { decodeEvent, EventHeaders, type EventDef, type FlixEventMessage } from './event.js';
import type { IdempotencyStore } from './idempotency.js';
import { metrics, type HandledResult } from './metrics.js';

export interface HandlerContext {
  eventId: string;
  subject: string;
  /** 1 on the first delivery. */
  deliveryCount: number;
  streamSequence: number;
  /** Message headers (first value of each). */
  headers: Readonly<Record<string, string>>;
  traceparent: string | undefined;
  /** Child logger carrying the event id, subject and delivery count. */
  logger: Logger;
  /**
   * Records the event as handled inside the handler's own transaction, so the business change
   * and the "handled" mark commit together (no second run even if the process dies before the
   * ack). Optional: the consumer records it after the handler returns anyway.
   */
  recordProcessed(session: ClientSession): Promise<void>;
}

export interface EventHandler<T extends FlixEventMessage> {
  event: EventDef<T>;
  handle(payload: T, ctx: HandlerContext): Promise<void>;
}

/** A message under the consumer's filter whose subject has no typed handler. */
export interface RawEvent {
  subject: string;
  /** The payload bytes as stored in the stream. */
  data: Uint8Array;
  /** The payload parsed as JSON; undefined when it is not JSON. */
  json: unknown;
}

/** Handles messages of subjects without a typed handler (e.g. an event store keeping everything). */
export type RawEventHandler = (event: RawEvent, ctx: HandlerContext) => Promise<void>;

/** One message of a batch: decoded when its subject has a typed handler, raw otherwise. */
export interface BatchItem {
  subject: string;
  eventId: string;
  payload: FlixEventMessage | undefined;
  raw: RawEvent | undefined;
  ctx: HandlerContext;
}

/**
 * Handles several messages at once (e.g. one database transaction for all of them). All are
 * acked when it resolves; when it throws, each message is handled on its own by its per-message
 * handler, with the usual retry and DLQ rules, so a batch handler is purely an optimisation.
 */
export type BatchHandler = (items: BatchItem[]) => Promise<void>;

/** Handlers by subject; each subject's handler is typed by its event definition. */
export type HandlerMap<H extends Record<string, FlixEventMessage>> = { [S in keyof H]: EventHandler<H[S]> };

/** Builds a typed handler entry (the payload type comes from the definition). */
export function on<T extends FlixEventMessage>(
  event: EventDef<T>,
  handle: (payload: T, ctx: HandlerContext) => Promise<void>,
): EventHandler<T> {
  return { event, handle };
}

/** Thrown by a handler for a message that can never succeed: parked on the DLQ at once. */
export class PoisonMessageError extends Error {
  override readonly name = 'PoisonMessageError';
}

export interface ConsumerOptions<H extends Record<string, FlixEventMessage>> {
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  /** Durable name: the consuming service. */
  durable: string;
  /** One subject filter (nats-server 2.9 has no filter_subjects). Default: the whole stream. */
  filterSubject?: string;
  handlers: HandlerMap<H>;
  /**
   * Receives messages whose subject has no handler, with the same ack/retry/DLQ and idempotency
   * treatment. Without it such messages are acked and skipped. The event id is the payload's
   * `eventId` or, failing that, the `Nats-Msg-Id` header.
   */
  onUnknownSubject?: RawEventHandler;
  /**
   * Optional: messages already received together (up to maxBatch) go to this handler in one
   * call. The per-message handlers stay the fallback when it fails.
   */
  batchHandler?: BatchHandler;
  /** Most messages per batchHandler call. Default batchSize. */
  maxBatch?: number;
  /** null when every handler is naturally idempotent. */
  idempotency: IdempotencyStore | null;
  /** Handler attempts before the message is parked on the DLQ. Default 5. */
  maxDeliver?: number;
  /** Redelivery delay after the n-th failed attempt (last value repeats). */
  backoffMs?: readonly number[];
  /** Default `dlq.<durable>`. */
  dlqSubject?: string;
  logger: Logger;
  /** Server-side ack wait (ms); slow handlers are kept alive with working(). Default 30 s. */
  ackWaitMs?: number;
  /** Messages pulled per request. Default 10. */
  batchSize?: number;
  /** Unacknowledged messages the server allows in flight for this consumer. Default 1000. */
  maxAckPending?: number;
  /** Only on creation: replay the stream ('all', default) or start with new messages. */
  deliverPolicy?: 'all' | 'new';
  /** How often the num_pending gauge is refreshed (ms). Default 15 s. */
  pendingRefreshMs?: number;
}

export interface ConsumerHandle {
  readonly stream: string;
  readonly durable: string;
  /** Stops pulling, finishes the messages already received (ack/nak each), then resolves. */
  stop(): Promise<void>;
}

/** A message that passed the checks and waits for its handler. */
interface Prepared {
  m: JsMsg;
  subject: string;
  key: string;
  deliveryCount: number;
  log: Logger;
  ctx: HandlerContext;
  run: (ctx: HandlerContext) => Promise<void>;
  item: BatchItem;
}

const DEFAULT_BACKOFF_MS = [1000, 5000, 30_000, 60_000] as const;
// The server keeps redelivering a few times past maxDeliver so that a message whose last
// attempt never finished (crash, ack timeout) still reaches our DLQ step instead of being
// dropped silently by the server.
const SERVER_DELIVERY_SLACK = 3;

function headerRecord(h: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const k of h.keys()) out[k] = h.get(k);
  return out;
}

function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch {
    return undefined;
  }
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Starts a durable pull consumer (creating or updating it) and processes messages in order. */
export async function startConsumer<H extends Record<string, FlixEventMessage>>(
  opts: ConsumerOptions<H>,
): Promise<ConsumerHandle> {
  const runner = new ConsumerRunner(opts as unknown as ConsumerOptions<Record<string, FlixEventMessage>>);
  await runner.start();
  return runner;
}

class ConsumerRunner implements ConsumerHandle {
  readonly stream: string;
  readonly durable: string;
  private readonly js: JetStreamClient;
  private readonly jsm: JetStreamManager;
  private readonly handlers: Map<string, EventHandler<FlixEventMessage>>;
  private readonly idem: IdempotencyStore | null;
  private readonly maxDeliver: number;
  private readonly backoffMs: readonly number[];
  private readonly dlqSubject: string;
  private readonly log: Logger;
  private readonly ackWaitMs: number;
  private readonly opts: ConsumerOptions<Record<string, FlixEventMessage>>;

  private stopping = false;
  private stopPromise: Promise<void> | null = null;
  private wakeStop: () => void = () => {};
  private readonly stopSignal: Promise<void>;
  private messages: ConsumerMessages | null = null;
  private loop: Promise<void> = Promise.resolve();
  private pendingTimer: NodeJS.Timeout | null = null;

  constructor(opts: ConsumerOptions<Record<string, FlixEventMessage>>) {
    this.opts = opts;
    this.js = opts.js;
    this.jsm = opts.jsm;
    this.stream = opts.stream;
    this.durable = opts.durable;
    this.handlers = new Map(Object.entries(opts.handlers));
    for (const [subject, h] of this.handlers) {
      if (h.event.subject !== subject) {
        throw new Error(`handler for '${subject}' is given event '${h.event.subject}'`);
      }
    }
    this.idem = opts.idempotency;
    this.maxDeliver = opts.maxDeliver ?? 5;
    if (this.maxDeliver < 1) throw new Error('maxDeliver must be at least 1');
    this.backoffMs = opts.backoffMs && opts.backoffMs.length > 0 ? opts.backoffMs : DEFAULT_BACKOFF_MS;
    this.dlqSubject = opts.dlqSubject ?? `dlq.${opts.durable}`;
    this.ackWaitMs = opts.ackWaitMs ?? 30_000;
    this.log = opts.logger.child({ stream: opts.stream, consumer: opts.durable });
    this.stopSignal = new Promise((resolve) => {
      this.wakeStop = resolve;
    });
  }

  async start(): Promise<void> {
    await this.idem?.init?.();
    await this.ensureConsumer();
    await this.refreshPending();
    const every = this.opts.pendingRefreshMs ?? 15_000;
    this.pendingTimer = setInterval(() => void this.refreshPending(), every);
    this.pendingTimer.unref();
    this.loop = this.run();
    this.log.info({ filterSubject: this.opts.filterSubject }, 'consumer started');
  }

  stop(): Promise<void> {
    this.stopPromise ??= (async () => {
      this.stopping = true;
      this.wakeStop();
      if (this.pendingTimer) clearInterval(this.pendingTimer);
      // close() lets the iterator hand out what was already received before it ends, so the
      // loop below finishes (and acks or naks) those messages: that is the drain.
      // (close() resolves only once the loop has iterated up to the end, so it is not awaited
      // before the loop.)
      const closing = this.messages?.close();
      await this.loop;
      await closing;
      // A request/reply on the same connection returns only after the server has read
      // everything sent before it, so the fire-and-forget naks/terms have arrived too.
      await this.jsm.consumers.info(this.stream, this.durable).catch(() => undefined);
      metrics.consumerPending(this.stream, this.durable, null, null);
      this.log.info('consumer stopped');
    })();
    return this.stopPromise;
  }

  private async ensureConsumer(): Promise<void> {
    const want: Partial<ConsumerConfig> = {
      durable_name: this.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: this.opts.deliverPolicy === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
      ack_wait: nanos(this.ackWaitMs),
      max_deliver: this.maxDeliver + SERVER_DELIVERY_SLACK,
      max_ack_pending: this.opts.maxAckPending ?? 1000,
      ...(this.opts.filterSubject ? { filter_subject: this.opts.filterSubject } : {}),
    };
    let info: ConsumerInfo | null = null;
    try {
      info = await this.jsm.consumers.info(this.stream, this.durable);
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
    }
    if (info === null) {
      try {
        await this.jsm.consumers.add(this.stream, want);
        return;
      } catch (err) {
        // Another instance of the service created it first; compare with theirs below.
        info = await this.jsm.consumers.info(this.stream, this.durable).catch(() => {
          throw err;
        });
      }
    }
    const cur = info.config;
    if ((cur.filter_subject ?? '') !== (want.filter_subject ?? '')) {
      throw new Error(
        `consumer ${this.stream}/${this.durable} filters '${cur.filter_subject ?? ''}', not ` +
          `'${want.filter_subject ?? ''}'; nats-server 2.9 cannot change that in place (delete the consumer)`,
      );
    }
    if (cur.ack_wait !== want.ack_wait || cur.max_deliver !== want.max_deliver || cur.max_ack_pending !== want.max_ack_pending) {
      await this.jsm.consumers.update(this.stream, this.durable, {
        ack_wait: want.ack_wait,
        max_deliver: want.max_deliver,
        max_ack_pending: want.max_ack_pending,
      });
    }
  }

  private async refreshPending(): Promise<void> {
    try {
      const info = await this.jsm.consumers.info(this.stream, this.durable);
      if (!this.stopping) metrics.consumerPending(this.stream, this.durable, info.num_pending, info.num_ack_pending);
    } catch (err) {
      this.log.debug({ err: errMessage(err) }, 'consumer info failed');
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        const consumer = await this.js.consumers.get(this.stream, this.durable);
        const messages = await consumer.consume({ max_messages: this.opts.batchSize ?? 10 });
        this.messages = messages;
        if (this.stopping) void messages.close(); // stop() came while subscribing
        if (this.opts.batchHandler) {
          await this.consumeBatches(messages, () => (failures = 0));
        } else {
          for await (const m of messages) {
            await this.process(m);
            failures = 0;
          }
        }
        if (!this.stopping) throw new Error('message iterator ended');
      } catch (err) {
        if (this.stopping) break;
        if (err instanceof ClosedConnectionError || err instanceof DrainingConnectionError) {
          // Nothing to resubscribe to; stop() still resolves.
          this.log.error('NATS connection closed or draining under a running consumer (stop consumers before draining)');
          break;
        }
        failures++;
        const wait = Math.min(30_000, 250 * 2 ** Math.min(failures, 7));
        this.log.error({ err: errMessage(err), retryInMs: wait }, 'consumer loop failed; resubscribing');
        await Promise.race([new Promise((r) => setTimeout(r, wait).unref()), this.stopSignal]);
      }
    }
  }

  private backoff(deliveryCount: number): number {
    return this.backoffMs[Math.min(deliveryCount - 1, this.backoffMs.length - 1)];
  }

  /**
   * Takes whatever has already arrived (up to maxBatch) after the first message, without
   * waiting for more, and hands it over as one batch. The pending next() is carried into the
   * next round, so no message is lost.
   */
  private async consumeBatches(messages: ConsumerMessages, progressed: () => void): Promise<void> {
    const max = this.opts.maxBatch ?? this.opts.batchSize ?? 10;
    const it = messages[Symbol.asyncIterator]();
    const NOTHING_YET = Symbol('nothing yet');
    let next = it.next();
    for (;;) {
      const first = await next;
      if (first.done) return;
      const batch: JsMsg[] = [first.value];
      let done = false;
      next = it.next();
      while (batch.length < max) {
        const more = await Promise.race([next, new Promise<typeof NOTHING_YET>((r) => setImmediate(() => r(NOTHING_YET)))]);
        if (more === NOTHING_YET) break;
        if (more.done) {
          done = true;
          break;
        }
        batch.push(more.value);
        next = it.next();
      }
      await this.processBatch(batch);
      progressed();
      if (done) return;
    }
  }

  private async processBatch(ms: JsMsg[]): Promise<void> {
    const ready: Prepared[] = [];
    for (const m of ms) {
      const p = await this.prepare(m);
      if (p) ready.push(p);
    }
    // A batch of one goes to the batch handler too: which handler runs must not depend on timing.
    if (ready.length === 0) return;
    const keepAlive = setInterval(() => {
      for (const p of ready) p.m.working();
    }, Math.max(100, Math.floor(this.ackWaitMs / 3)));
    try {
      await this.opts.batchHandler!(ready.map((p) => p.item));
    } catch (err) {
      clearInterval(keepAlive);
      this.log.warn({ err: errMessage(err), size: ready.length }, 'batch failed; handling its events one by one');
      for (const p of ready) await this.execute(p);
      return;
    } finally {
      clearInterval(keepAlive);
    }
    await Promise.all(ready.map((p) => this.succeeded(p)));
  }

  private async process(m: JsMsg): Promise<void> {
    const p = await this.prepare(m);
    if (p) await this.execute(p);
  }

  /** Checks and decodes a message; null when it was settled here (ignored, parked, duplicate, retry). */
  private async prepare(m: JsMsg): Promise<Prepared | null> {
    const subject = m.subject;
    const deliveryCount = m.info.deliveryCount;
    const hdrs = headerRecord(m.headers);
    const handler = this.handlers.get(subject);
    const onUnknown = this.opts.onUnknownSubject;
    if (!handler && !onUnknown) {
      // Filters are subject wildcards; a consumer need not care about every event under them.
      this.log.debug({ subject, seq: m.info.streamSequence }, 'no handler for subject; acked');
      await this.ack(m, subject, 'ignored');
      return null;
    }
    let log = this.log.child({ subject, seq: m.info.streamSequence, deliveryCount });

    let run: (ctx: HandlerContext) => Promise<void>;
    let payloadEventId = '';
    let decoded: FlixEventMessage | undefined;
    let rawEvent: RawEvent | undefined;
    if (handler) {
      let payload: FlixEventMessage;
      try {
        payload = decodeEvent(handler.event, m.data);
      } catch (err) {
        await this.deadLetter(m, `undecodable payload: ${errMessage(err)}`, deliveryCount, log);
        return null;
      }
      payloadEventId = payload.eventId;
      decoded = payload;
      run = (ctx) => handler.handle(payload, ctx);
    } else {
      const raw: RawEvent = { subject, data: m.data, json: parseJson(m.data) };
      const id = (raw.json as { eventId?: unknown } | undefined)?.eventId;
      if (typeof id === 'string') payloadEventId = id;
      rawEvent = raw;
      run = (ctx) => onUnknown!(raw, ctx);
    }
    const eventId = payloadEventId || hdrs[EventHeaders.MsgId] || '';
    if (!eventId) {
      await this.deadLetter(m, 'event has no event id', deliveryCount, log);
      return null;
    }
    log = log.child({ eventId });
    if (deliveryCount > this.maxDeliver) {
      // Earlier attempts ended without an ack or nak (crash, ack timeout): still give up.
      await this.deadLetter(m, `no result after ${deliveryCount - 1} deliveries`, deliveryCount - 1, log);
      return null;
    }

    const key = `${this.durable}:${eventId}`;
    if (this.idem) {
      try {
        if (await this.idem.has(key)) {
          log.info('event already handled; acked');
          await this.ack(m, subject, 'duplicate');
          return null;
        }
      } catch (err) {
        this.retry(m, `idempotency lookup failed: ${errMessage(err)}`, deliveryCount, log);
        return null;
      }
    }

    const ctx: HandlerContext = {
      eventId,
      subject,
      deliveryCount,
      streamSequence: m.info.streamSequence,
      headers: hdrs,
      traceparent: hdrs[EventHeaders.TraceParent],
      logger: log,
      recordProcessed: async (session) => {
        await this.idem?.record(key, session);
      },
    };
    return { m, subject, key, deliveryCount, log, ctx, run, item: { subject, eventId, payload: decoded, raw: rawEvent, ctx } };
  }

  /** Runs the per-message handler, then acks, retries or parks the message. */
  private async execute(p: Prepared): Promise<void> {
    const { m, deliveryCount, log, ctx, run } = p;
    // Tell the server the message is still being worked on, well inside ack_wait, so a slow
    // handler does not get the message redelivered to another instance meanwhile.
    const keepAlive = setInterval(() => m.working(), Math.max(100, Math.floor(this.ackWaitMs / 3)));
    try {
      await run(ctx);
    } catch (err) {
      clearInterval(keepAlive);
      if (err instanceof PoisonMessageError) {
        await this.deadLetter(m, `handler rejected the event: ${err.message}`, deliveryCount, log);
      } else if (deliveryCount >= this.maxDeliver) {
        await this.deadLetter(m, `handler failed ${deliveryCount} times: ${errMessage(err)}`, deliveryCount, log);
      } else {
        this.retry(m, `handler failed: ${errMessage(err)}`, deliveryCount, log);
      }
      return;
    } finally {
      clearInterval(keepAlive);
    }
    await this.succeeded(p);
  }

  /** Records the event as handled and acks it. */
  private async succeeded(p: Prepared): Promise<void> {
    const { m, subject, key, log } = p;
    if (this.idem) {
      try {
        await this.idem.record(key);
      } catch (err) {
        // The work is done; acking is still right. Only a later re-publish of the same event
        // could now run the handler twice.
        log.error({ err: errMessage(err) }, 'could not record the event as handled');
      }
    }
    await this.ack(m, subject, 'ok');
  }

  /** Acks and waits for the server to confirm, so a stopped consumer never sees it again. */
  private async ack(m: JsMsg, subject: string, result: HandledResult): Promise<void> {
    try {
      await m.ackAck();
    } catch (err) {
      // Unconfirmed: at worst the message comes back and the idempotency check acks it.
      this.log.warn({ subject, seq: m.info.streamSequence, err: errMessage(err) }, 'ack not confirmed');
    }
    metrics.handled(this.durable, subject, result);
  }

  private retry(m: JsMsg, reason: string, deliveryCount: number, log: Logger): void {
    const delay = this.backoff(deliveryCount);
    m.nak(delay);
    metrics.handled(this.durable, m.subject, 'retry');
    log.warn({ reason, retryInMs: delay }, 'event failed; will retry');
  }

  private async deadLetter(m: JsMsg, reason: string, attempts: number, log: Logger): Promise<void> {
    const h = natsHeaders();
    if (m.headers) {
      for (const k of m.headers.keys()) {
        // The DLQ stream de-duplicates on its own id: the same event parked by two consumers
        // must be stored twice.
        if (k === EventHeaders.MsgId) continue;
        for (const v of m.headers.values(k)) h.append(k, v);
      }
    }
    const originalId = m.headers?.get(EventHeaders.MsgId);
    if (originalId) h.set('Flix-Event-Id', originalId);
    h.set(EventHeaders.DlqReason, reason.slice(0, 1024).replace(/[\r\n]+/g, ' '));
    h.set(EventHeaders.DlqConsumer, this.durable);
    h.set(EventHeaders.DlqAttempts, String(attempts));
    h.set(EventHeaders.DlqStream, this.stream);
    h.set(EventHeaders.DlqSubject, m.subject);
    h.set(EventHeaders.DlqStreamSeq, String(m.info.streamSequence));
    try {
      await this.js.publish(this.dlqSubject, m.data, {
        headers: h,
        msgID: `${this.stream}:${this.durable}:${m.info.streamSequence}`,
      });
    } catch (err) {
      // Never drop it: leave it with the consumer and try again later.
      this.retry(m, `dead-lettering failed: ${errMessage(err)}`, Number.MAX_SAFE_INTEGER, log);
      return;
    }
    m.term();
    metrics.handled(this.durable, m.subject, 'dlq');
    log.error({ reason, dlqSubject: this.dlqSubject, attempts }, 'event parked on the DLQ');
  }
}
