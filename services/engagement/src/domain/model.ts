import type { Maturity } from '@flix/profiles/maturity';

export type ReviewState = 'published' | 'flagged' | 'hidden';
export type ModerationAction = 'flag' | 'hide' | 'publish';
/**
 * Which reviews the moderation queue lists. Reviews are published as written; 'awaiting' are
 * those no moderator has acted on since they were last written, plus flagged ones.
 */
export type ReviewFilter = 'awaiting' | ReviewState | 'all';
/** The two per-profile title lists; they behave alike. */
export type ListKind = 'watchlist' | 'favourites';

export const MIN_STARS = 1;
export const MAX_STARS = 5;
export const MAX_REVIEW_CHARS = 4000;

/** One profile's rating of one title; unique per (profileId, movieId). */
export interface RatingRecord {
  /** Also the review's id. */
  id: string;
  userId: string;
  profileId: string;
  movieId: string;
  stars: number;
  /** "" when the rating has no review. */
  review: string;
  reviewState: ReviewState;
  moderationReason: string;
  /** When a moderator last acted on the review (null: never). */
  moderatedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** Compare-and-set tag: 0 before the first write, then 1, 2, … */
  version: number;
}

export interface ListedRecord {
  userId: string;
  profileId: string;
  movieId: string;
  addedAt: Date;
}

/** What engagement needs to know about a title. */
export interface MovieFacts {
  id: string;
  /** null when the catalog gives none (no age gate). */
  maturity: Maturity | null;
}

/** Position in a newest-first list: the last item's time (ms) and id. */
export interface PagePosition {
  t: number;
  id: string;
}

export interface Page<T> {
  items: T[];
  next?: PagePosition;
}
