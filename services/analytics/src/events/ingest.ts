import type { FlixEventMessage, HandlerContext } from '@flix/events';
import { factsOf } from '../domain/facts.js';
import type { EventStore, StoredEvent } from '../storage/event-store.js';
import type { RollupStore } from '../storage/rollups.js';
import type { AlertEvaluator } from '../alerts/evaluator.js';

export interface IngestDeps {
  rollups: RollupStore;
  events: EventStore;
  alerts: AlertEvaluator;
  reportingCurrency: string;
  now?: () => Date;
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
 * One event: rollups and the `ingested` marker in one transaction, then the raw copy in the
 * time-series store, then (for events that feed a watched rate) an alert evaluation.
 */
export async function ingest(deps: IngestDeps, e: IncomingEvent, ctx: Pick<HandlerContext, 'logger'>): Promise<IngestResult> {
  const receivedAt = (deps.now ?? (() => new Date()))();
  const facts = factsOf(e.subject, e.payload, e.payload ? receivedAt : (rawOccurTime(e.json) ?? receivedAt), deps.reportingCurrency);
  if (e.deadLetter) {
    // A copy of an event counted from its own stream already: only the dead letter counts.
    facts.daily = { deadLetters: 1 };
    facts.signals = { deadLetters: 1 };
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
  const counted = await deps.rollups.apply(e.key, facts);
  if (counted) await deps.events.store(doc);
  else if (await deps.events.ensureStored(doc)) ctx.logger.info('redelivered event: raw copy was missing, stored now');
  if (counted && facts.signals) await deps.alerts.evaluate();
  return counted ? 'counted' : 'duplicate';
}
