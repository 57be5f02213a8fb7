import {
  billingEvents,
  BILLING_STREAM,
  catalogEvents,
  CATALOG_STREAM,
  type Contract,
  engagementEvents,
  ENGAGEMENT_STREAM,
  identityEvents,
  IDENTITY_STREAM,
  playbackEvents,
  PLAYBACK_STREAM,
} from '@flix/contracts';
import {
  EventHeaders,
  on,
  startConsumer,
  type ConsumerHandle,
  type EventHandler,
  type FlixEventMessage,
  type HandlerContext,
  type NatsClients,
  type RawEvent,
} from '@flix/events';
import type { Logger } from '@flix/logging';
import { ingest, ingestBatch, type IncomingEvent, type IngestDeps } from './ingest.js';

/**
 * The streams analytics reads end to end, each with the contract it can decode (analytics only
 * needs every definition's common shape: decode, re-encode, subject, type).
 */
export const SOURCE_STREAMS: { stream: string; events: Contract }[] = [
  { stream: IDENTITY_STREAM, events: identityEvents },
  { stream: CATALOG_STREAM, events: catalogEvents },
  { stream: BILLING_STREAM, events: billingEvents },
  { stream: PLAYBACK_STREAM, events: playbackEvents },
  { stream: ENGAGEMENT_STREAM, events: engagementEvents },
];

export const DURABLE = 'analytics';
export const DLQ_STREAM = 'DLQ';

export interface ConsumerDeps {
  nats: NatsClients;
  ingest: IngestDeps;
  logger: Logger;
  batchSize: number;
}

function rawJson(raw: RawEvent): unknown {
  return raw.json === undefined ? new TextDecoder().decode(raw.data) : raw.json;
}

function unknownEvent(stream: string, raw: RawEvent, ctx: HandlerContext): IncomingEvent {
  return { stream, subject: raw.subject, key: ctx.eventId, type: ctx.headers[EventHeaders.EventType] ?? '', payload: undefined, json: rawJson(raw) };
}

function deadLetter(raw: RawEvent, ctx: HandlerContext): IncomingEvent {
  // The payload's event id is the original event's (already counted from its own stream,
  // and parked by maybe several consumers): a dead letter is keyed by its DLQ message id.
  const msgId = ctx.headers[EventHeaders.MsgId] ?? `${ctx.headers[EventHeaders.DlqStream]}:${ctx.headers[EventHeaders.DlqConsumer]}:${ctx.headers[EventHeaders.DlqStreamSeq]}`;
  return { stream: DLQ_STREAM, subject: raw.subject, key: `dlq:${msgId}`, type: ctx.headers[EventHeaders.EventType] ?? '', payload: undefined, json: rawJson(raw), deadLetter: true };
}

/** One durable `analytics` consumer per stream, over every subject; unknown types are stored raw. */
export async function startStreamConsumers(deps: ConsumerDeps): Promise<ConsumerHandle[]> {
  const out: ConsumerHandle[] = [];
  for (const { stream, events } of SOURCE_STREAMS) {
    const handlers: Record<string, EventHandler<FlixEventMessage>> = {};
    const bySubject = new Map(Object.values(events).map((d) => [d.subject, d]));
    for (const def of Object.values(events)) {
      handlers[def.subject] = on(def, async (payload, ctx) => {
        await ingest(deps.ingest, { stream, subject: def.subject, key: ctx.eventId, type: def.type, payload, json: def.codec.toJSON(payload) }, ctx);
      });
    }
    out.push(
      await startConsumer({
        js: deps.nats.js,
        jsm: deps.nats.jsm,
        stream,
        durable: DURABLE,
        handlers,
        onUnknownSubject: async (raw, ctx) => {
          await ingest(deps.ingest, unknownEvent(stream, raw, ctx), ctx);
        },
        // A backlog arrives many messages at a time: one transaction for all of them.
        batchHandler: async (items) => {
          await ingestBatch(
            deps.ingest,
            items.map((i) => {
              const def = bySubject.get(i.subject);
              return def && i.payload
                ? { stream, subject: i.subject, key: i.ctx.eventId, type: def.type, payload: i.payload, json: def.codec.toJSON(i.payload) }
                : unknownEvent(stream, i.raw!, i.ctx);
            }),
            deps.logger,
          );
        },
        maxBatch: deps.batchSize,
        // The `ingested` marker, written in the rollup transaction, is the idempotency check.
        idempotency: null,
        logger: deps.logger,
        batchSize: deps.batchSize,
        maxAckPending: Math.max(1000, deps.batchSize * 4),
      }),
    );
  }
  out.push(
    await startConsumer({
      js: deps.nats.js,
      jsm: deps.nats.jsm,
      stream: DLQ_STREAM,
      durable: DURABLE,
      handlers: {},
      onUnknownSubject: async (raw, ctx) => {
        await ingest(deps.ingest, deadLetter(raw, ctx), ctx);
      },
      batchHandler: async (items) => {
        await ingestBatch(deps.ingest, items.map((i) => deadLetter(i.raw!, i.ctx)), deps.logger);
      },
      maxBatch: deps.batchSize,
      idempotency: null,
      logger: deps.logger,
      batchSize: deps.batchSize,
    }),
  );
  return out;
}
