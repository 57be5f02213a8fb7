import type { JetStreamClient } from '@nats-io/jetstream';
import { buildEvent, encodeEvent, eventHeaders, type EventDef, type EventInit, type FlixEventMessage } from './event.js';
import { metrics } from './metrics.js';

export interface PublishOptions {
  traceparent?: string;
  /** PubAck timeout (ms); defaults to the JetStream client's. */
  timeoutMs?: number;
}

export interface PublishedEvent<T> {
  event: T;
  /** Stream sequence the event is stored at (the earlier one for a duplicate). */
  seq: number;
  /** True when JetStream had already stored this event id within its duplicate window. */
  duplicate: boolean;
}

/**
 * Publishes one event straight to JetStream and waits for the stream to store it. Use it for
 * events that have no database change to be atomic with (e.g. login attempts); anything that
 * follows a write goes through the Outbox.
 */
export async function publishEvent<T extends FlixEventMessage>(
  js: JetStreamClient,
  def: EventDef<T>,
  input: EventInit<T>,
  opts: PublishOptions = {},
): Promise<PublishedEvent<T>> {
  const event = buildEvent(def, input);
  const ack = await publishRaw(js, {
    subject: def.subject,
    type: def.type,
    eventId: event.eventId,
    data: encodeEvent(def, event),
    traceparent: opts.traceparent,
    timeoutMs: opts.timeoutMs,
  });
  return { event, ...ack };
}

export interface RawEvent {
  subject: string;
  type: string;
  eventId: string;
  /** proto3 JSON text. */
  data: string;
  traceparent?: string;
  timeoutMs?: number;
}

/** @internal Publishes already-encoded event data (the outbox relay stores it that way). */
export async function publishRaw(js: JetStreamClient, ev: RawEvent): Promise<{ seq: number; duplicate: boolean }> {
  try {
    const ack = await js.publish(ev.subject, ev.data, {
      msgID: ev.eventId,
      headers: eventHeaders(ev.type, ev.traceparent),
      ...(ev.timeoutMs ? { timeout: ev.timeoutMs } : {}),
    });
    metrics.published(ev.subject);
    return { seq: ack.seq, duplicate: ack.duplicate };
  } catch (err) {
    metrics.publishFailed(ev.subject);
    throw err;
  }
}
