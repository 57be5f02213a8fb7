import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import { newEventId } from './ids.js';

/** Header names on every Flix event message. */
export const EventHeaders = {
  /** JetStream de-duplicates on it within the stream's duplicate window. */
  MsgId: 'Nats-Msg-Id',
  /** Full proto type name, e.g. `flix.identity.v1.UserRegistered`. */
  EventType: 'Flix-Event-Type',
  /** W3C trace context of the operation that produced the event. */
  TraceParent: 'traceparent',
  DlqReason: 'Flix-Dlq-Reason',
  DlqConsumer: 'Flix-Dlq-Consumer',
  DlqAttempts: 'Flix-Dlq-Attempts',
  DlqStream: 'Flix-Dlq-Stream',
  DlqSubject: 'Flix-Dlq-Subject',
  DlqStreamSeq: 'Flix-Dlq-Stream-Seq',
} as const;

/** Fields every Flix event message carries (proto `event_id`, `occur_time`). */
export interface FlixEventMessage {
  eventId: string;
  occurTime: Date | undefined;
}

type Builtin = Date | Function | Uint8Array | string | number | boolean | bigint | undefined | null;

/** What ts-proto's `fromPartial` accepts: every field optional, recursively. */
export type DeepPartial<T> = T extends Builtin
  ? T
  : T extends ReadonlyArray<infer U>
    ? ReadonlyArray<DeepPartial<U>>
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> }
      : Partial<T>;

/** The part of a ts-proto `MessageFns<T>` the library uses. */
export interface EventCodec<T> {
  fromJSON(object: unknown): T;
  toJSON(message: T): unknown;
  fromPartial(object: DeepPartial<T>): T;
}

/**
 * One event's declaration. `S` keeps the subject's literal type, so types derived from a set of
 * definitions (see @flix/contracts) know exactly which subjects exist and what each carries.
 */
export interface EventDef<T extends FlixEventMessage, S extends string = string> {
  /** `<service>.<entity>.<past-tense-verb>`. */
  readonly subject: S;
  /** Full proto type name. */
  readonly type: string;
  readonly codec: EventCodec<T>;
}

/** Payload type of an event definition. */
export type EventOf<D> = D extends EventDef<infer T, string> ? T : never;

/** What callers pass to publish: any subset of fields; event id and time are filled if empty. */
export type EventInit<T extends FlixEventMessage> = DeepPartial<T>;

const SUBJECT_RE = /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/;
const TYPE_RE = /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+$/;

export function defineEvent<T extends FlixEventMessage, S extends string>(def: {
  subject: S;
  type: string;
  codec: EventCodec<T>;
}): EventDef<T, S> {
  if (!SUBJECT_RE.test(def.subject)) {
    throw new Error(`event subject '${def.subject}' is not <service>.<entity>.<past-tense-verb>`);
  }
  if (!TYPE_RE.test(def.type)) throw new Error(`event type '${def.type}' is not a full proto type name`);
  return Object.freeze({ subject: def.subject, type: def.type, codec: def.codec });
}

/** The complete message: the input normalised by the codec, event id and time filled if empty. */
export function buildEvent<T extends FlixEventMessage>(def: EventDef<T>, input: EventInit<T>): T {
  const message = def.codec.fromPartial(input);
  if (!message.eventId) message.eventId = newEventId();
  if (!message.occurTime) message.occurTime = new Date();
  return message;
}

/** proto3 JSON of the message, the payload on the wire. */
export function encodeEvent<T extends FlixEventMessage>(def: EventDef<T>, message: T): string {
  return JSON.stringify(def.codec.toJSON(message));
}

/** Headers for publishing one event (`Nats-Msg-Id` is set through the publish `msgID` option). */
export function eventHeaders(type: string, traceparent?: string): MsgHdrs {
  const h = natsHeaders();
  h.set(EventHeaders.EventType, type);
  if (traceparent) h.set(EventHeaders.TraceParent, traceparent);
  return h;
}

export class EventDecodeError extends Error {
  override readonly name = 'EventDecodeError';
}

/** Parses a payload; throws EventDecodeError when it is not a valid event of this type. */
export function decodeEvent<T extends FlixEventMessage>(def: EventDef<T>, data: Uint8Array): T {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch (err) {
    throw new EventDecodeError(`payload is not UTF-8 JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new EventDecodeError('payload is not a JSON object');
  }
  let message: T;
  try {
    message = def.codec.fromJSON(json);
  } catch (err) {
    throw new EventDecodeError(`payload is not a ${def.type}: ${(err as Error).message}`);
  }
  // ts-proto's fromJSON is lenient; a bad timestamp only shows up as an invalid Date.
  if (message.occurTime !== undefined && Number.isNaN(message.occurTime.getTime())) {
    throw new EventDecodeError('occurTime is not a valid timestamp');
  }
  return message;
}
