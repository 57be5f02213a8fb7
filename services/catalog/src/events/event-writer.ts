import { catalogEvents, contractWriter } from '@flix/contracts';
import type { Outbox, OutboxWriter } from '@flix/events';
import type { CatalogEvent } from '../domain/events.js';
import type { MovieRecord } from '../domain/model.js';
import { movieToProto } from '../grpc/mappers.js';

/** Writes catalog's domain events into the outbox inside the caller's transaction. */
export type EventWriter = OutboxWriter<CatalogEvent>;

// Events go to other services: they carry the full title, playback ids included.
const withProtoMovie = <P extends { movie: MovieRecord }>({ payload }: { payload: P }) => ({ ...payload, movie: movieToProto(payload.movie, { privileged: true }) });
const asIs = <P>({ payload }: { payload: P }): P => payload;

export const catalogOutboxWriter = (outbox: Outbox): EventWriter =>
  contractWriter<typeof catalogEvents, CatalogEvent>(outbox, catalogEvents, {
    movieCreated: withProtoMovie,
    movieUpdated: withProtoMovie,
    moviePublished: withProtoMovie,
    movieArchived: withProtoMovie,
    assetCreated: asIs,
    assetReady: asIs,
    assetErrored: asIs,
  });
