import type { FlixEventMessage, HandlerContext } from '@flix/events';
import { factsOf } from '../domain/facts.js';
import type { EventStore, StoredEvent } from '../storage/event-store.js';
import type { RollupStore } from '../storage/rollups.js';
import type { AlertEvaluator } from '../domain/alert-evaluator.js';

export interface IngestDeps {
  rollups: RollupStore;
  events: EventStore;
  alerts: AlertEvaluator;
  reportingCurrency: string;
  now?: () => Date;
  /** Deleted accounts (issue 14): events about them still count, but are not kept raw or per account. */
  erased?: ErasureGuard;
}

export interface ErasureGuard {
  /** Known erased here (memory): nothing is written about the account. */
  isErased(userId: string): boolean;
  /** After the writes: accounts erased meanwhile have what was written about them erased again. */
  eraseIfErasedMeanwhile(userIds: string[]): Promise<void>;
}

export interface IncomingEvent {
  stream: string;
  subject: string;
  /** The idempotency key: the event id (dead letters: their DLQ message id). */
  key: string;
  type: string;
  /** Decoded when the subject is a known contract; undefined for unknown ones (stored raw). */
  payload: FlixEventMessage | undefined;
  /** proto3 JSON (or the raw text) to keep in the event store. */
  json: unknown;
  /** Dead letters feed the DLQ alert rather than the rollups. */
  deadLetter?: boolean;
}

/** The occurTime of an event no contract decodes, when it carries a valid one. */
function rawOccurTime(json: unknown): Date | undefined {
  const v = (json as { occurTime?: unknown } | null | undefined)?.occurTime;
  if (typeof v !== 'string') return undefined;
  const t = new Date(v);
  return Number.isNaN(t.getTime()) ? undefined : t;
}

export type IngestResult = 'counted' | 'duplicate';

/**
 * Events (a batch, or one): rollups and the `ingested` markers in one transaction, then the raw
 * copies in the time-series store, then (if any event feeds a watched rate) an alert evaluation.
 */
export async function ingestBatch(deps: IngestDeps, events: IncomingEvent[], logger: Pick<HandlerContext['logger'], 'info'>): Promise<IngestResult[]> {
  const receivedAt = (deps.now ?? (() => new Date()))();
  const prepared = events.map((e) => {
    const facts = factsOf(e.subject, e.payload, e.payload ? receivedAt : (rawOccurTime(e.json) ?? receivedAt), deps.reportingCurrency);
    if (e.deadLetter) {
      // A copy of an event counted from its own stream already: only the dead letter counts.
      facts.daily = { deadLetters: 1 };
      facts.signals = { deadLetters: 1 };
    }
    const aboutErased = [facts.userId, facts.activeUserId, facts.subscription?.userId].some((id) => !!id && !!deps.erased?.isErased(id));
    if (aboutErased) {
      delete facts.activeUserId;
      delete facts.subscription;
    }
    const doc: StoredEvent = {
      time: facts.time,
      meta: { stream: e.stream, subject: e.subject },
      eventId: e.key,
      type: e.type,
      ...(facts.userId ? { userId: facts.userId } : {}),
      ...(facts.movieId ? { movieId: facts.movieId } : {}),
      payload: e.json,
      receivedAt,
    };
    return { key: e.key, facts, doc, aboutErased };
  });
  const counted = await deps.rollups.applyBatch(prepared);
  const fresh = new Set<string>();
  const results: IngestResult[] = [];
  const newDocs: StoredEvent[] = [];
  const repeats: StoredEvent[] = [];
  for (const p of prepared) {
    if (counted.has(p.key) && !fresh.has(p.key)) {
      fresh.add(p.key);
      newDocs.push(p.doc);
      results.push('counted');
    } else {
      repeats.push(p.doc);
      results.push('duplicate');
    }
  }
  const erasedDocs = new Set(prepared.filter((p) => p.aboutErased).map((p) => p.doc));
  await deps.events.storeMany(newDocs.filter((d) => !erasedDocs.has(d)));
  for (const doc of repeats.filter((d) => !erasedDocs.has(d))) {
    if (await deps.events.ensureStored(doc)) logger.info({ eventId: doc.eventId }, 'redelivered event: raw copy was missing, stored now');
  }
  const written = prepared.filter((p) => !p.aboutErased).flatMap((p) => [p.facts.userId, p.facts.activeUserId, p.facts.subscription?.userId]);
  const accounts = [...new Set(written.filter((id): id is string => !!id))];
  if (deps.erased && accounts.length > 0) await deps.erased.eraseIfErasedMeanwhile(accounts);
  if (prepared.some((p) => fresh.has(p.key) && p.facts.signals)) await deps.alerts.evaluate();
  return results;
}

/** One event. */
export async function ingest(deps: IngestDeps, e: IncomingEvent, ctx: Pick<HandlerContext, 'logger'>): Promise<IngestResult> {
  return (await ingestBatch(deps, [e], ctx.logger))[0]!;
}
