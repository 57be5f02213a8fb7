import type { Maturity } from '@flix/profiles/maturity';
import type { EngagementEvent } from './events.js';
import type { ListedRecord, ListKind, MovieFacts, PagePosition, RatingRecord, ReviewFilter, ReviewState } from './model.js';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** What engagement asks of the catalog. */
export interface MovieDirectory {
  /** null when the title does not exist or is not visible to viewers. */
  get(movieId: string): Promise<MovieFacts | null>;
}

/** What engagement asks of identity: the caller's profile, with the caller's own token. */
export interface ProfileDirectory {
  /** NOT_FOUND (field profileId) when the profile is not the caller's. */
  maxMaturity(accessToken: string, profileId: string): Promise<Maturity>;
}

/**
 * A compare-and-set or unique-key race was lost: someone else changed the same rating in
 * between. Thrown out of `transact`; the domain re-reads and tries again.
 */
export class ConcurrentChangeError extends Error {
  override readonly name = 'ConcurrentChangeError';
}

/** One transaction's view; writes and events commit together (events go to the outbox). */
export interface EngagementTx {
  rating(profileId: string, movieId: string): Promise<RatingRecord | null>;
  ratingById(id: string): Promise<RatingRecord | null>;
  /** Compare-and-set on `version` (0: insert); stores version + 1. Throws ConcurrentChangeError. */
  saveRating(rec: RatingRecord): Promise<RatingRecord>;
  /** Deletes when the version still matches; throws ConcurrentChangeError otherwise. */
  deleteRating(rec: RatingRecord): Promise<void>;
  /** Inserts when absent; returns false (changing nothing) when the title is already listed. */
  addListed(list: ListKind, rec: ListedRecord): Promise<boolean>;
  /** false when the title was not listed. */
  removeListed(list: ListKind, profileId: string, movieId: string): Promise<boolean>;
  emit(events: EngagementEvent[]): Promise<void>;
}

export interface EngagementStore {
  transact<T>(fn: (tx: EngagementTx) => Promise<T>): Promise<T>;
  rating(profileId: string, movieId: string): Promise<RatingRecord | null>;
  listed(list: ListKind, profileId: string, movieId: string): Promise<ListedRecord | null>;
  listListed(list: ListKind, profileId: string, page: { size: number; after?: PagePosition }): Promise<ListedRecord[]>;
  listRatings(profileId: string, page: { size: number; after?: PagePosition }): Promise<RatingRecord[]>;
  /** Ratings with a review, newest change first, in the given states. */
  listReviews(movieId: string, states: ReviewState[], page: { size: number; after?: PagePosition }): Promise<RatingRecord[]>;
  /** Ratings with a review of every title, newest change first, matching the filter. */
  listAllReviews(filter: ReviewFilter, page: { size: number; after?: PagePosition }): Promise<RatingRecord[]>;
}
