import { DomainError, notFound } from '@flix/errors';
import { decodePageToken, encodePageToken, pageSize } from '@flix/mongo';
import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient, type JetStreamManager, type StoredMsg, type StreamInfo } from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import type { Logger } from '@flix/logging';
import {
  deadLetterActionKey,
  DLQ_STREAM,
  parseDeadLetter,
  replayHeaders,
  replayMessageId,
  replayTarget,
  validateSequence,
  validateStreamName,
  type DeadLetterAction,
  type ParsedDeadLetter,
} from '../domain/dead-letters.js';
import type { ConsumerSummary, DeadLetterActionLog, PageRequest, StreamAdministration, StreamSummary } from '../domain/ports.js';

const badToken = () =>
  new DomainError('invalid_argument', 'INVALID_PAGE_TOKEN', 'pageToken: not a token this API returned', [{ field: 'pageToken', description: 'not a token this API returned' }]);

/** A name cursor ("after this name") from a page token. */
const afterName = (token: string): string => {
  const p = decodePageToken(token);
  if (!p) return '';
  if (typeof p.n !== 'string' || !p.n) throw badToken();
  return p.n;
};

/** A sequence cursor ("older than this sequence") from a page token. */
const beforeSeq = (token: string): number | undefined => {
  const p = decodePageToken(token);
  if (!p) return undefined;
  if (typeof p.b !== 'number' || !Number.isSafeInteger(p.b) || p.b < 1) throw badToken();
  return p.b;
};

/** JetStream reports "no time" as the zero time. */
const time = (iso: string | undefined): Date | undefined => {
  if (!iso || iso.startsWith('0001-01-01')) return undefined;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? undefined : d;
};

const isApiError = (err: unknown, code: number) => err instanceof JetStreamApiError && err.code === code;

function headerRecord(h: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (h) for (const k of h.keys()) out[k] = h.get(k);
  return out;
}

function headerLists(h: MsgHdrs | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (h) for (const k of h.keys()) out[k] = h.values(k);
  return out;
}

const streamSummary = (si: StreamInfo): StreamSummary => {
  const empty = si.state.messages === 0;
  return {
    name: si.config.name,
    description: si.config.description ?? '',
    subjects: si.config.subjects ?? [],
    messages: si.state.messages,
    bytes: si.state.bytes,
    firstSequence: empty ? 0 : si.state.first_seq,
    firstTime: empty ? undefined : time(si.state.first_ts),
    lastSequence: si.state.last_seq,
    lastTime: empty ? undefined : time(si.state.last_ts),
    consumerCount: si.state.consumer_count,
  };
};

/**
 * The operators' view of JetStream (StreamAdministration): streams, durable consumers and the
 * dead-letter queue, with replay and discard, each recorded in the action log. It lives in analytics because analytics already consumes every stream and
 * the DLQ (it counts dead letters and raises the dead-letter alert), owns no domain entity the
 * events describe, and is the operators' reporting service; no producing service should read
 * or re-publish the others' events.
 */
export class StreamAdmin implements StreamAdministration {
  constructor(
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly actions: DeadLetterActionLog,
    private readonly logger: Logger,
  ) {}

  async listStreams(req: PageRequest): Promise<{ streams: StreamSummary[]; nextPageToken: string }> {
    const size = pageSize(req.pageSize, 50, 100);
    const after = afterName(req.pageToken);
    const all: StreamInfo[] = [];
    for await (const si of this.jsm.streams.list()) all.push(si);
    const rest = all.filter((s) => s.config.name > after).sort((a, b) => (a.config.name < b.config.name ? -1 : 1));
    const page = rest.slice(0, size);
    return {
      streams: page.map(streamSummary),
      nextPageToken: rest.length > size ? encodePageToken({ n: page[page.length - 1].config.name }) : '',
    };
  }

  async listConsumers(req: PageRequest & { stream: string }): Promise<{ consumers: ConsumerSummary[]; nextPageToken: string }> {
    const stream = validateStreamName(req.stream);
    const size = pageSize(req.pageSize, 50, 100);
    const after = afterName(req.pageToken);
    await this.streamInfo(stream);
    const all: ConsumerSummary[] = [];
    try {
      for await (const ci of this.jsm.consumers.list(stream)) {
        if (!ci.config.durable_name) continue; // ephemeral (e.g. a `nats sub`): not a service's consumer
        all.push({
          stream,
          name: ci.name,
          filterSubject: ci.config.filter_subject ?? '',
          pending: ci.num_pending,
          ackPending: ci.num_ack_pending,
          redelivered: ci.num_redelivered,
          lastDeliveredSequence: ci.delivered?.stream_seq ?? 0,
          ackFloorSequence: ci.ack_floor?.stream_seq ?? 0,
          createTime: time(ci.created),
        });
      }
    } catch (err) {
      if (isApiError(err, JetStreamApiCodes.StreamNotFound)) throw notFound('stream', stream);
      throw err;
    }
    const rest = all.filter((c) => c.name > after).sort((a, b) => (a.name < b.name ? -1 : 1));
    const page = rest.slice(0, size);
    return { consumers: page, nextPageToken: rest.length > size ? encodePageToken({ n: page[page.length - 1].name }) : '' };
  }

  /**
   * Newest first. Walks the DLQ's sequences downwards, skipping the ones JetStream reports as
   * deleted (replayed or discarded), so a page costs one request per message shown.
   */
  async listDeadLetters(req: PageRequest): Promise<{ deadLetters: ParsedDeadLetter[]; nextPageToken: string; totalSize: number }> {
    const size = pageSize(req.pageSize, 20, 100);
    const before = beforeSeq(req.pageToken);
    const info = await this.jsm.streams.info(DLQ_STREAM, { deleted_details: true });
    const deleted = new Set(info.state.deleted ?? []);
    const first = info.state.first_seq;
    const out: ParsedDeadLetter[] = [];
    let seq = Math.min(info.state.last_seq, (before ?? Number.MAX_SAFE_INTEGER) - 1);
    for (; seq >= first && seq >= 1 && out.length < size; seq--) {
      if (deleted.has(seq)) continue;
      const m = await this.getDlq(seq);
      if (m) out.push(this.deadLetter(m));
    }
    let more = false;
    for (let s = seq; s >= first && s >= 1; s--) {
      if (!deleted.has(s)) {
        more = true;
        break;
      }
    }
    return {
      deadLetters: out,
      nextPageToken: more && out.length > 0 ? encodePageToken({ b: out[out.length - 1].sequence }) : '',
      totalSize: info.state.messages,
    };
  }

  /**
   * Re-publishes the parked payload to its original subject with Nats-Msg-Id `replay-<seq>`
   * (JetStream drops a second publish within its duplicate window) and the original headers, so
   * the payload keeps its event id and every consumer's idempotency store applies it at most
   * once even if the original was handled late. The first call records who and when; a later
   * call answers with that record and does nothing else.
   */
  async replay(actor: string, sequence: number): Promise<DeadLetterAction> {
    const seq = validateSequence(sequence);
    const key = deadLetterActionKey((await this.streamInfo(DLQ_STREAM)).created, seq);
    let record = await this.actions.get(key);
    if (record) {
      this.refuseOther(record, 'replayed', seq);
      if (record.state === 'done') return record;
    }
    const m = await this.getDlq(seq);
    if (!record) {
      if (!m) throw notFound('dead letter', String(seq));
      const dl = parseDeadLetter({ seq, subject: m.subject, time: m.time, data: m.data, headers: headerRecord(m.header) });
      replayTarget(dl.subject, seq);
      record = await this.actions.claim(key, {
        sequence: seq,
        kind: 'replayed',
        state: 'pending',
        actor,
        at: new Date(),
        subject: dl.subject,
        consumer: dl.consumer,
        eventId: dl.eventId,
        replayMessageId: replayMessageId(seq),
      });
      this.refuseOther(record, 'replayed', seq);
      if (record.state === 'done') return record;
    }
    // Here the record is ours or an unfinished earlier replay's: (re-)publishing is safe, the
    // message id and the event id make a second publish a no-op.
    let replay: { replayStream?: string; replaySequence?: number } = {};
    if (m) {
      const h = natsHeaders();
      for (const [k, v] of replayHeaders(headerLists(m.header), seq, record.actor)) h.append(k, v);
      try {
        const ack = await this.js.publish(record.subject, m.data, { msgID: replayMessageId(seq), headers: h });
        replay = { replayStream: ack.stream, replaySequence: ack.seq };
        this.logger.info({ seq, subject: record.subject, stream: ack.stream, replaySeq: ack.seq, duplicate: ack.duplicate, actor: record.actor }, 'dead letter replayed');
      } catch (err) {
        // No stream captures the subject: the request has no responder (the client calls it "jetstream is not enabled").
        if (err instanceof Error && /not enabled|no responders|503/i.test(`${err.message} ${String(err.cause ?? '')}`))
          throw new DomainError('failed_precondition', 'NO_STREAM_FOR_SUBJECT', `sequence: no stream stores ${record.subject}, the dead letter's subject`, [
            { field: 'sequence', description: `no stream stores ${record.subject}` },
          ]);
        throw err;
      }
      await this.deleteDlq(seq);
    }
    return (await this.actions.complete(key, replay)) ?? record;
  }

  /** Deletes a dead letter without re-publishing; the first call records who and when. */
  async discard(actor: string, sequence: number): Promise<DeadLetterAction> {
    const seq = validateSequence(sequence);
    const key = deadLetterActionKey((await this.streamInfo(DLQ_STREAM)).created, seq);
    const existing = await this.actions.get(key);
    if (existing) {
      this.refuseOther(existing, 'discarded', seq);
      await this.deleteDlq(seq);
      return existing;
    }
    const m = await this.getDlq(seq);
    if (!m) throw notFound('dead letter', String(seq));
    const dl = parseDeadLetter({ seq, subject: m.subject, time: m.time, data: m.data, headers: headerRecord(m.header) });
    const doc = await this.actions.claim(key, {
      sequence: seq,
      kind: 'discarded',
      state: 'done',
      actor,
      at: new Date(),
      subject: dl.subject,
      consumer: dl.consumer,
      eventId: dl.eventId,
    });
    this.refuseOther(doc, 'discarded', seq);
    await this.deleteDlq(seq);
    this.logger.info({ seq, subject: dl.subject, actor: doc.actor }, 'dead letter discarded');
    return doc;
  }

  private refuseOther(record: DeadLetterAction, want: DeadLetterAction['kind'], seq: number): void {
    if (record.kind === want) return;
    throw new DomainError('failed_precondition', `DEAD_LETTER_ALREADY_${record.kind.toUpperCase()}`, `sequence: dead letter ${seq} was already ${record.kind} by ${record.actor} at ${record.at.toISOString()}`, [
      { field: 'sequence', description: `already ${record.kind}` },
    ]);
  }

  private deadLetter(m: StoredMsg): ParsedDeadLetter {
    return parseDeadLetter({ seq: m.seq, subject: m.subject, time: m.time, data: m.data, headers: headerRecord(m.header) });
  }

  private async streamInfo(stream: string): Promise<StreamInfo> {
    try {
      return await this.jsm.streams.info(stream);
    } catch (err) {
      if (isApiError(err, JetStreamApiCodes.StreamNotFound)) throw notFound('stream', stream);
      throw err;
    }
  }

  private async getDlq(seq: number): Promise<StoredMsg | null> {
    try {
      return await this.jsm.streams.getMessage(DLQ_STREAM, { seq });
    } catch (err) {
      if (isApiError(err, JetStreamApiCodes.NoMessageFound)) return null;
      throw err;
    }
  }

  private async deleteDlq(seq: number): Promise<void> {
    try {
      await this.jsm.streams.deleteMessage(DLQ_STREAM, seq, false);
    } catch (err) {
      // Already gone (an earlier call deleted it, or it aged out): nothing left to do.
      if (isApiError(err, JetStreamApiCodes.NoMessageFound) || (await this.getDlq(seq)) === null) return;
      throw err;
    }
  }
}
