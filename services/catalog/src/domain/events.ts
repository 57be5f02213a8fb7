import type {
  AssetCreated,
  AssetErrored,
  AssetReady,
  MovieArchived,
  MovieCreated,
  MoviePublished,
  MovieUpdated,
} from '@flix/proto/flix/catalog/v1/events';
import type { MovieRecord } from './model.js';

/**
 * What the catalog announces. The domain decides which events a change produces (movie payloads
 * as records; the event writer turns them into proto messages); storage writes them to the
 * outbox in the same transaction as the change. event_id and occur_time come from the outbox.
 */
type Payload<T> = Omit<T, 'eventId' | 'occurTime'>;
type WithMovie<T> = Omit<Payload<T>, 'movie'> & { movie: MovieRecord };

export type CatalogEvent =
  | { subject: 'catalog.movie.created'; payload: WithMovie<MovieCreated> }
  | { subject: 'catalog.movie.updated'; payload: WithMovie<MovieUpdated> }
  | { subject: 'catalog.movie.published'; payload: WithMovie<MoviePublished> }
  | { subject: 'catalog.movie.archived'; payload: WithMovie<MovieArchived> }
  | { subject: 'catalog.asset.created'; payload: Payload<AssetCreated> }
  | { subject: 'catalog.asset.ready'; payload: Payload<AssetReady> }
  | { subject: 'catalog.asset.errored'; payload: Payload<AssetErrored> };
