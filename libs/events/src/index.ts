/**
 * @flix/events: typed integration events over NATS JetStream.
 *
 * - `defineEvent` ties a subject and proto type to its ts-proto codec; payloads travel as
 *   proto3 JSON with `Nats-Msg-Id` (event id), `Flix-Event-Type` and `traceparent` headers.
 * - `ensureStreams` creates or updates the streams it is given (Flix's are in @flix/contracts).
 * - `Outbox` publishes events atomically with a Mongo transaction; `publishEvent` publishes
 *   directly when there is no write to be atomic with.
 * - `startConsumer` runs a durable pull consumer: ack on success, backoff on failure, DLQ after
 *   bounded attempts, idempotent on the event id.
 *
 * Shutdown order: consumer.stop() → outbox.stop() → nats.drain() → mongo client close.
 */
export {
  buildEvent,
  decodeEvent,
  defineEvent,
  encodeEvent,
  EventDecodeError,
  EventHeaders,
  type DeepPartial,
  type EventCodec,
  type EventDef,
  type EventInit,
  type EventOf,
  type FlixEventMessage,
} from './event.js';
export { newEventId } from './ids.js';
export { connectNats, type ConnectNatsOptions, type NatsClients } from './nats.js';
export { ensureStreams, type StreamSpec } from './streams.js';
export { publishEvent, type PublishedEvent, type PublishOptions } from './publish.js';
export {
  Outbox,
  OutboxPublishError,
  outboxWriter,
  type OutboxWriter,
  runInTransaction,
  type EnqueueOptions,
  type OutboxEntry,
  type OutboxOptions,
} from './outbox.js';
export {
  on,
  PoisonMessageError,
  startConsumer,
  type ConsumerHandle,
  type ConsumerOptions,
  type EventHandler,
  type HandlerContext,
  type HandlerMap,
  type BatchHandler,
  type BatchItem,
  type RawEvent,
  type RawEventHandler,
} from './consumer.js';
export {
  MemoryIdempotencyStore,
  MongoIdempotencyStore,
  type IdempotencyStore,
  type MongoIdempotencyOptions,
} from './idempotency.js';
export type { HandledResult } from './metrics.js';
