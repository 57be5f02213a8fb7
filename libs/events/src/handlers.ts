import type { Logger } from '@flix/logging';
import type { ClientSession } from 'mongodb';
import type { EventDef, FlixEventMessage } from './event.js';

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
