import { catalogEvents } from '@flix/contracts';
import { outboxWriter, type Outbox, type OutboxWriter } from '@flix/events';
import type { CatalogEvent } from '../domain/events.js';
import { movieToProto } from '../grpc/mappers.js';

/** Writes catalog's domain events into the outbox inside the caller's transaction. */
export type EventWriter = OutboxWriter<CatalogEvent>;

export const catalogOutboxWriter = (outbox: Outbox): EventWriter =>
  outboxWriter(outbox, catalogEvents, (e: CatalogEvent) =>
    // Events go to other services: they carry the full title, playback ids included.
    'movie' in e.payload ? { ...e.payload, movie: movieToProto(e.payload.movie, { privileged: true }) } : e.payload,
  );
