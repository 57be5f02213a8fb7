import type { JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/nats-core';
import type { Logger } from '@flix/logging';
import { errMessage } from './error-message.js';
import { decodeEvent, EventHeaders, type FlixEventMessage } from './event.js';
import type { BatchItem, EventHandler, HandlerContext, RawEvent, RawEventHandler } from './handlers.js';
import type { IdempotencyStore } from './idempotency.js';
import type { Settlement } from './settlement.js';

/** A message that passed the checks and waits for its handler. */
export interface Prepared {
  m: JsMsg;
  subject: string;
  /** The idempotency key. */
  key: string;
  deliveryCount: number;
  log: Logger;
  ctx: HandlerContext;
  run: (ctx: HandlerContext) => Promise<void>;
  item: BatchItem;
}

/** What decides whether a message reaches a handler, and which. */
export interface PrepareRules {
  durable: string;
  handlers: ReadonlyMap<string, EventHandler<FlixEventMessage>>;
  onUnknownSubject: RawEventHandler | undefined;
  maxDeliver: number;
  idempotency: IdempotencyStore | null;
  settle: Settlement;
  /** The consumer's logger. */
  log: Logger;
}

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

/**
 * Checks and decodes a message; null when it was settled here (ignored, parked, duplicate, retry):
 * no handler for its subject, an undecodable payload or no event id, too many deliveries, or
 * already handled.
 */
export async function prepareMessage(m: JsMsg, r: PrepareRules): Promise<Prepared | null> {
  const subject = m.subject;
  const deliveryCount = m.info.deliveryCount;
  const hdrs = headerRecord(m.headers);
  const handler = r.handlers.get(subject);
  const onUnknown = r.onUnknownSubject;
  if (!handler && !onUnknown) {
    // Filters are subject wildcards; a consumer need not care about every event under them.
    r.log.debug({ subject, seq: m.info.streamSequence }, 'no handler for subject; acked');
    await r.settle.ack(m, subject, 'ignored');
    return null;
  }
  let log = r.log.child({ subject, seq: m.info.streamSequence, deliveryCount });

  let run: (ctx: HandlerContext) => Promise<void>;
  let payloadEventId = '';
  let decoded: FlixEventMessage | undefined;
  let rawEvent: RawEvent | undefined;
  if (handler) {
    let payload: FlixEventMessage;
    try {
      payload = decodeEvent(handler.event, m.data);
    } catch (err) {
      await r.settle.deadLetter(m, `undecodable payload: ${errMessage(err)}`, deliveryCount, log);
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
    await r.settle.deadLetter(m, 'event has no event id', deliveryCount, log);
    return null;
  }
  log = log.child({ eventId });
  if (deliveryCount > r.maxDeliver) {
    // Earlier attempts ended without an ack or nak (crash, ack timeout): still give up.
    await r.settle.deadLetter(m, `no result after ${deliveryCount - 1} deliveries`, deliveryCount - 1, log);
    return null;
  }

  const key = `${r.durable}:${eventId}`;
  const idem = r.idempotency;
  if (idem) {
    try {
      if (await idem.has(key)) {
        log.info('event already handled; acked');
        await r.settle.ack(m, subject, 'duplicate');
        return null;
      }
    } catch (err) {
      r.settle.retry(m, `idempotency lookup failed: ${errMessage(err)}`, deliveryCount, log);
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
      await idem?.record(key, session);
    },
  };
  return { m, subject, key, deliveryCount, log, ctx, run, item: { subject, eventId, payload: decoded, raw: rawEvent, ctx } };
}
