/**
 * The operators' view of the event streams: validation of what they ask for and the reading of
 * a parked message's headers. No I/O here.
 */
import { DomainError, invalidArgument } from '@flix/errors';

/** The dead-letter stream `ensureStreams` creates (`dlq.>`). */
export const DLQ_STREAM = 'DLQ';

/** Headers libs/events writes on a parked message (see EventHeaders). */
export const DLQ_HEADERS = {
  msgId: 'Nats-Msg-Id',
  eventId: 'Flix-Event-Id',
  eventType: 'Flix-Event-Type',
  reason: 'Flix-Dlq-Reason',
  consumer: 'Flix-Dlq-Consumer',
  attempts: 'Flix-Dlq-Attempts',
  stream: 'Flix-Dlq-Stream',
  subject: 'Flix-Dlq-Subject',
  streamSeq: 'Flix-Dlq-Stream-Seq',
  replayOf: 'Flix-Replay-Of',
  replayedBy: 'Flix-Replayed-By',
} as const;

/** Stream names as nats-server accepts them, kept to what `nats` users type. */
const STREAM_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function validateStreamName(name: string): string {
  if (!name) throw invalidArgument('stream', 'required');
  if (!STREAM_NAME.test(name)) throw invalidArgument('stream', 'must be a stream name (letters, digits, - and _; at most 64)');
  return name;
}

export function validateSequence(seq: number): number {
  if (!Number.isSafeInteger(seq) || seq <= 0) throw invalidArgument('sequence', 'must be a DLQ stream sequence (a positive integer)');
  return seq;
}

/**
 * What an operator did with one dead letter. The first action on a message wins; later calls
 * read it. Kept for good (one small record per operator action).
 */
export interface DeadLetterAction {
  sequence: number;
  kind: 'replayed' | 'discarded';
  /** `pending` while a replay is under way (published, not yet removed from the DLQ). */
  state: 'pending' | 'done';
  actor: string;
  at: Date;
  subject: string;
  consumer: string;
  eventId: string;
  replayMessageId?: string;
  replayStream?: string;
  replaySequence?: number;
}

/**
 * The key of the action on DLQ message `seq`: sequences start again if the DLQ stream is ever
 * re-created, its creation time tells them apart.
 */
export const deadLetterActionKey = (dlqCreated: string, seq: number) => `${dlqCreated}|${seq}`;

/** Message id of the replay of DLQ message `seq`: JetStream de-duplicates a second publish on it. */
export const replayMessageId = (seq: number) => `replay-${seq}`;

export interface ParsedDeadLetter {
  sequence: number;
  subject: string;
  originalStream: string;
  originalSequence: number;
  consumer: string;
  error: string;
  deliveryCount: number;
  parkTime: Date;
  eventId: string;
  eventType: string;
  /** Parsed JSON payload; undefined when not JSON. */
  payload: unknown;
  /** Raw payload text when it is not JSON. */
  payloadText: string;
}

const int = (s: string | undefined) => {
  const n = Number(s);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
};

/** Reads a DLQ message: headers written by libs/events, else what the subject `dlq.<consumer>` says. */
export function parseDeadLetter(m: { seq: number; subject: string; time: Date; data: Uint8Array; headers: Record<string, string> }): ParsedDeadLetter {
  const h = m.headers;
  const text = new TextDecoder('utf-8').decode(m.data);
  let payload: unknown;
  let payloadText = '';
  try {
    payload = JSON.parse(text);
  } catch {
    payload = undefined;
    payloadText = text;
  }
  const jsonEventId = payload && typeof payload === 'object' && typeof (payload as { eventId?: unknown }).eventId === 'string' ? (payload as { eventId: string }).eventId : '';
  return {
    sequence: m.seq,
    subject: h[DLQ_HEADERS.subject] ?? '',
    originalStream: h[DLQ_HEADERS.stream] ?? '',
    originalSequence: int(h[DLQ_HEADERS.streamSeq]),
    consumer: h[DLQ_HEADERS.consumer] ?? (m.subject.startsWith('dlq.') ? m.subject.slice(4) : ''),
    error: h[DLQ_HEADERS.reason] ?? '',
    deliveryCount: int(h[DLQ_HEADERS.attempts]),
    parkTime: m.time,
    eventId: jsonEventId || h[DLQ_HEADERS.eventId] || '',
    eventType: h[DLQ_HEADERS.eventType] ?? '',
    payload,
    payloadText,
  };
}

/** Headers of the re-published message: the original event's own, none of the DLQ's bookkeeping. */
export function replayHeaders(parked: Record<string, string[]>, seq: number, actor: string): [string, string][] {
  const drop = new Set<string>([
    DLQ_HEADERS.msgId,
    DLQ_HEADERS.eventId,
    DLQ_HEADERS.reason,
    DLQ_HEADERS.consumer,
    DLQ_HEADERS.attempts,
    DLQ_HEADERS.stream,
    DLQ_HEADERS.subject,
    DLQ_HEADERS.streamSeq,
    DLQ_HEADERS.replayOf,
    DLQ_HEADERS.replayedBy,
  ].map((k) => k.toLowerCase()));
  const out: [string, string][] = [];
  for (const [k, vs] of Object.entries(parked)) {
    if (drop.has(k.toLowerCase())) continue;
    for (const v of vs) out.push([k, v]);
  }
  out.push([DLQ_HEADERS.replayOf, String(seq)], [DLQ_HEADERS.replayedBy, actor]);
  return out;
}

/** The original subject must be a real event subject, not the DLQ itself. */
export function replayTarget(subject: string, seq: number): string {
  if (!subject)
    throw new DomainError('failed_precondition', 'DEAD_LETTER_WITHOUT_SUBJECT', `sequence: dead letter ${seq} does not say which subject it came from (no ${DLQ_HEADERS.subject} header)`, [
      { field: 'sequence', description: 'the dead letter has no original subject' },
    ]);
  if (subject === 'dlq' || subject.startsWith('dlq.'))
    throw new DomainError('failed_precondition', 'DEAD_LETTER_SUBJECT_IS_DLQ', `sequence: dead letter ${seq} came from ${subject}, the DLQ itself`, [
      { field: 'sequence', description: 'the dead letter came from the DLQ itself' },
    ]);
  return subject;
}
