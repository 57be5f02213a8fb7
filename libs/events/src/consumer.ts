/**
 * The durable pull consumer: options, start and drain. Its parts live next to it: the public
 * handler types (handlers.ts), the server-side consumer (durable-consumer.ts), the pull loop
 * (pull-loop.ts), the checks before a handler runs, idempotency included (prepare.ts), and
 * ack / retry / dead-lettering (settlement.ts).
 */
import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { Logger } from '@flix/logging';
import { ensureDurableConsumer } from './durable-consumer.js';
import { errMessage } from './error-message.js';
import type { FlixEventMessage } from './event.js';
import { PoisonMessageError, type BatchHandler, type EventHandler, type HandlerMap, type RawEventHandler } from './handlers.js';
import type { IdempotencyStore } from './idempotency.js';
import { metrics } from './metrics.js';
import { prepareMessage, type Prepared, type PrepareRules } from './prepare.js';
import { eachBatch, eachMessage, runPullLoop } from './pull-loop.js';
import { DEFAULT_BACKOFF_MS, Settlement } from './settlement.js';

export {
  on,
  PoisonMessageError,
  type BatchHandler,
  type BatchItem,
  type EventHandler,
  type HandlerContext,
  type HandlerMap,
  type RawEvent,
  type RawEventHandler,
} from './handlers.js';

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
  private readonly jsm: JetStreamManager;
  private readonly maxDeliver: number;
  private readonly ackWaitMs: number;
  /** How often a message in progress is reported as such, well inside ack_wait. */
  private readonly keepAliveMs: number;
  private readonly log: Logger;
  private readonly opts: ConsumerOptions<Record<string, FlixEventMessage>>;
  private readonly settle: Settlement;
  private readonly rules: PrepareRules;

  private stopping = false;
  private stopPromise: Promise<void> | null = null;
  private wakeStop: () => void = () => {};
  private readonly stopSignal: Promise<void>;
  private messages: ConsumerMessages | null = null;
  private loop: Promise<void> = Promise.resolve();
  private pendingTimer: NodeJS.Timeout | null = null;

  constructor(opts: ConsumerOptions<Record<string, FlixEventMessage>>) {
    this.opts = opts;
    this.jsm = opts.jsm;
    this.stream = opts.stream;
    this.durable = opts.durable;
    const handlers = new Map<string, EventHandler<FlixEventMessage>>(Object.entries(opts.handlers));
    for (const [subject, h] of handlers) {
      if (h.event.subject !== subject) {
        throw new Error(`handler for '${subject}' is given event '${h.event.subject}'`);
      }
    }
    this.maxDeliver = opts.maxDeliver ?? 5;
    if (this.maxDeliver < 1) throw new Error('maxDeliver must be at least 1');
    this.ackWaitMs = opts.ackWaitMs ?? 30_000;
    this.keepAliveMs = Math.max(100, Math.floor(this.ackWaitMs / 3));
    this.log = opts.logger.child({ stream: opts.stream, consumer: opts.durable });
    this.settle = new Settlement({
      js: opts.js,
      stream: opts.stream,
      durable: opts.durable,
      dlqSubject: opts.dlqSubject ?? `dlq.${opts.durable}`,
      backoffMs: opts.backoffMs && opts.backoffMs.length > 0 ? opts.backoffMs : DEFAULT_BACKOFF_MS,
      log: this.log,
    });
    this.rules = {
      durable: opts.durable,
      handlers,
      onUnknownSubject: opts.onUnknownSubject,
      maxDeliver: this.maxDeliver,
      idempotency: opts.idempotency,
      settle: this.settle,
      log: this.log,
    };
    this.stopSignal = new Promise((resolve) => {
      this.wakeStop = resolve;
    });
  }

  async start(): Promise<void> {
    await this.opts.idempotency?.init?.();
    await ensureDurableConsumer(this.jsm, {
      stream: this.stream,
      durable: this.durable,
      filterSubject: this.opts.filterSubject,
      deliverPolicy: this.opts.deliverPolicy,
      ackWaitMs: this.ackWaitMs,
      maxDeliver: this.maxDeliver,
      maxAckPending: this.opts.maxAckPending ?? 1000,
    });
    await this.refreshPending();
    const every = this.opts.pendingRefreshMs ?? 15_000;
    this.pendingTimer = setInterval(() => void this.refreshPending(), every);
    this.pendingTimer.unref();
    const batchHandler = this.opts.batchHandler;
    const maxBatch = this.opts.maxBatch ?? this.opts.batchSize ?? 10;
    this.loop = runPullLoop({
      js: this.opts.js,
      stream: this.stream,
      durable: this.durable,
      batchSize: this.opts.batchSize ?? 10,
      log: this.log,
      stopping: () => this.stopping,
      stopSignal: this.stopSignal,
      subscribed: (messages) => {
        this.messages = messages;
      },
      consume: batchHandler
        ? (messages, progressed) => eachBatch(messages, maxBatch, (batch) => this.processBatch(batch, batchHandler), progressed)
        : (messages, progressed) => eachMessage(messages, (m) => this.process(m), progressed),
    });
    this.log.info({ filterSubject: this.opts.filterSubject }, 'consumer started');
  }

  stop(): Promise<void> {
    this.stopPromise ??= (async () => {
      this.stopping = true;
      this.wakeStop();
      if (this.pendingTimer) clearInterval(this.pendingTimer);
      // close() lets the iterator hand out what was already received before it ends, so the
      // loop finishes (and acks or naks) those messages: that is the drain.
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

  private async refreshPending(): Promise<void> {
    try {
      const info = await this.jsm.consumers.info(this.stream, this.durable);
      if (!this.stopping) metrics.consumerPending(this.stream, this.durable, info.num_pending, info.num_ack_pending);
    } catch (err) {
      this.log.debug({ err: errMessage(err) }, 'consumer info failed');
    }
  }

  private async process(m: JsMsg): Promise<void> {
    const p = await prepareMessage(m, this.rules);
    if (p) await this.execute(p);
  }

  private async processBatch(ms: JsMsg[], batchHandler: BatchHandler): Promise<void> {
    const ready: Prepared[] = [];
    for (const m of ms) {
      const p = await prepareMessage(m, this.rules);
      if (p) ready.push(p);
    }
    // A batch of one goes to the batch handler too: which handler runs must not depend on timing.
    if (ready.length === 0) return;
    const keepAlive = setInterval(() => {
      for (const p of ready) p.m.working();
    }, this.keepAliveMs);
    try {
      await batchHandler(ready.map((p) => p.item));
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

  /** Runs the per-message handler, then acks, retries or parks the message. */
  private async execute(p: Prepared): Promise<void> {
    const { m, deliveryCount, log, ctx, run } = p;
    // Tell the server the message is still being worked on, well inside ack_wait, so a slow
    // handler does not get the message redelivered to another instance meanwhile.
    const keepAlive = setInterval(() => m.working(), this.keepAliveMs);
    try {
      await run(ctx);
    } catch (err) {
      clearInterval(keepAlive);
      if (err instanceof PoisonMessageError) {
        await this.settle.deadLetter(m, `handler rejected the event: ${err.message}`, deliveryCount, log);
      } else if (deliveryCount >= this.maxDeliver) {
        await this.settle.deadLetter(m, `handler failed ${deliveryCount} times: ${errMessage(err)}`, deliveryCount, log);
      } else {
        this.settle.retry(m, `handler failed: ${errMessage(err)}`, deliveryCount, log);
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
    const idem = this.opts.idempotency;
    if (idem) {
      try {
        await idem.record(key);
      } catch (err) {
        // The work is done; acking is still right. Only a later re-publish of the same event
        // could now run the handler twice.
        log.error({ err: errMessage(err) }, 'could not record the event as handled');
      }
    }
    await this.settle.ack(m, subject, 'ok');
  }
}
