import type { CatalogEvent } from './events.js';
import type { Maturity, MovieRecord } from './model.js';
import type { MuxEvent } from './mux-events.js';

/** Persistence of our own titles; every write also writes its events and advances the change feed. */
export interface MovieRepository {
  insert(movie: MovieRecord, events: CatalogEvent[]): Promise<void>;
  /** Inserts only into an empty collection (demo seed); false when titles already exist. */
  seedIfEmpty(movies: MovieRecord[], events: (m: MovieRecord) => CatalogEvent[]): Promise<boolean>;
  findById(id: string): Promise<MovieRecord | null>;
  findMany(ids: string[]): Promise<MovieRecord[]>;
  /** Compare-and-set on `expectedVersion`; returns the stored record (version bumped). */
  replace(movie: MovieRecord, expectedVersion: number, events: CatalogEvent[]): Promise<MovieRecord>;
  /**
   * Stores a Mux webhook event once (by its id) and, in the same transaction, lets `apply`
   * change the title it names. A redelivered event is reported as a duplicate and changes nothing.
   */
  recordMuxEvent(
    event: MuxEvent,
    raw: string,
    apply: (movie: MovieRecord | null) => { movie: MovieRecord; events: CatalogEvent[] } | null,
  ): Promise<MuxEventOutcome>;
}

export type MuxEventOutcome = { outcome: 'duplicate' | 'unchanged' } | { outcome: 'applied'; movie: MovieRecord };

/** Partner titles, kept apart from ours. */
export interface PartnerTitleRepository {
  findById(id: string): Promise<MovieRecord | null>;
  findMany(ids: string[]): Promise<MovieRecord[]>;
}

/** A position in the change feed, per collection. */
export interface FeedCursor {
  movies: number;
  partners: number;
}

export interface ChangeBatch {
  upserts: MovieRecord[];
  removedIds: string[];
  cursor: FeedCursor;
}

/** Every change to every title in commit order: how each instance keeps its index current. */
export interface ChangeFeed {
  changesSince(cursor: FeedCursor, limit: number): Promise<ChangeBatch>;
}

/** Asks identity for a viewer profile's limit, with the caller's own token. */
export interface ProfileDirectory {
  maxMaturity(accessToken: string, profileId: string): Promise<Maturity>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
