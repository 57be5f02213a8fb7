import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { ClosedConnectionError, DrainingConnectionError } from '@nats-io/nats-core';
import type { Logger } from '@flix/logging';
import { errMessage } from './error-message.js';
import { consumerGate, type NatsAvailability } from './nats.js';

export interface PullLoopOptions {
  js: JetStreamClient;
  stream: string;
  durable: string;
  /** Messages pulled per request. */
  batchSize: number;
  log: Logger;
  stopping: () => boolean;
  /** Resolves when stop() is called: cuts a resubscription wait short. */
  stopSignal: Promise<void>;
  /** Each new subscription, so stop() can close the one in use. */
  subscribed: (messages: ConsumerMessages) => void;
  /** Works through a subscription's messages; `progressed` after each one handled. */
  consume: (messages: ConsumerMessages, progressed: () => void) => Promise<void>;
}

/**
 * Subscribes to the durable consumer and hands its messages over until stopped; a failed or
 * ended subscription is replaced after a growing pause, which resets once messages flow again.
 */
export async function runPullLoop(o: PullLoopOptions): Promise<void> {
  let failures = 0;
  while (!o.stopping()) {
    try {
      const consumer = await o.js.consumers.get(o.stream, o.durable);
      const messages = await consumer.consume({ max_messages: o.batchSize });
      o.subscribed(messages);
      if (o.stopping()) void messages.close(); // stop() came while subscribing
      const gate = consumerGate(o.js);
      await o.consume(gate ? heldWhileDown(messages, gate, o) : messages, () => (failures = 0));
      if (!o.stopping()) throw new Error('message iterator ended');
    } catch (err) {
      if (o.stopping()) break;
      if (err instanceof ClosedConnectionError || err instanceof DrainingConnectionError) {
        // Nothing to resubscribe to; stop() still resolves.
        o.log.error('NATS connection closed or draining under a running consumer (stop consumers before draining)');
        break;
      }
      failures++;
      // Capped at 5 s, so a consumer is back within seconds of NATS (or its stream) returning.
      const wait = Math.min(5_000, 250 * 2 ** Math.min(failures, 7));
      o.log.error({ err: errMessage(err), retryInMs: wait }, 'consumer loop failed; resubscribing');
      await Promise.race([new Promise((r) => setTimeout(r, wait).unref()), o.stopSignal]);
    }
  }
}

/** How often a held message is reported in progress (well inside any ack wait). */
const HOLD_TICK_MS = 5_000;

/**
 * Hands messages over only while `gate` is up. While it is down (MongoDB away: every handler
 * and the idempotency check would fail), the next message is held in progress (`working()`,
 * which does not count as a delivery) rather than handled and failed: failing it repeatedly
 * would run through its attempts into the dead-letter queue during a long outage.
 */
function heldWhileDown(messages: ConsumerMessages, gate: NatsAvailability, o: Pick<PullLoopOptions, 'stopping' | 'stopSignal' | 'log'>): ConsumerMessages {
  const iterate = async function* (): AsyncGenerator<JsMsg> {
    for await (const m of messages) {
      if (!gate.up && !o.stopping()) o.log.warn({ seq: m.info.streamSequence }, 'holding events until the database is back');
      while (!gate.up && !o.stopping()) {
        m.working();
        await untilUp(gate, HOLD_TICK_MS, o.stopSignal);
      }
      yield m;
    }
  };
  return new Proxy(messages, { get: (target, prop, receiver) => (prop === Symbol.asyncIterator ? iterate : Reflect.get(target, prop, receiver)) });
}

/** Resolves when `gate` comes up, after `ms`, or on stop, whichever is first. */
function untilUp(gate: NatsAvailability, ms: number, stopSignal: Promise<void>): Promise<void> {
  let off = () => undefined as unknown;
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    new Promise<void>((r) => (off = gate.onChange((up) => up && r()))),
    new Promise<void>((r) => (timer = setTimeout(r, ms))),
    stopSignal,
  ]).finally(() => {
    off();
    clearTimeout(timer);
  });
}

/** One message at a time, in order. */
export async function eachMessage(messages: ConsumerMessages, handle: (m: JsMsg) => Promise<void>, progressed: () => void): Promise<void> {
  for await (const m of messages) {
    await handle(m);
    progressed();
  }
}

/**
 * Takes whatever has already arrived (up to `max`) after the first message, without waiting for
 * more, and hands it over as one batch. The pending next() is carried into the next round, so
 * no message is lost.
 */
export async function eachBatch(
  messages: ConsumerMessages,
  max: number,
  handle: (batch: JsMsg[]) => Promise<void>,
  progressed: () => void,
): Promise<void> {
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
    await handle(batch);
    progressed();
    if (done) return;
  }
}
