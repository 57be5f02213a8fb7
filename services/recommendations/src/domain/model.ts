import type { Maturity } from '@flix/profiles/maturity';

/** The kinds of signal a profile gives about a title; each is last-writer-wins on its own. */
export const SIGNAL_KINDS = ['rating', 'watchlist', 'favourite', 'completed', 'started'] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

/** One signal's latest value: stars (1..5, 0 = withdrawn) for ratings, 1/0 for the others. */
export interface SignalState {
  value: number;
  /** When it happened at the producer (occur_time): decides which of two signals is newer. */
  at: Date;
  /** Breaks ties between signals that occurred in the same millisecond. */
  eventId: string;
}

/** A change to one signal, decoded from an event. */
export interface SignalChange {
  userId: string;
  profileId: string;
  movieId: string;
  kind: SignalKind;
  value: number;
  at: Date;
  eventId: string;
}

/** Everything one profile has told us about one title. */
export interface Interaction {
  profileId: string;
  userId: string;
  movieId: string;
  signals: Partial<Record<SignalKind, SignalState>>;
  /** When the stored document last changed (storage's clock); drives incremental retraining. */
  updatedAt?: Date;
}

/** The part of a catalog title that recommendations need (a copy kept from catalog events). */
export interface TitleInfo {
  id: string;
  title: string;
  genres: string[];
  /** Audio languages, ISO 639-1. */
  languages: string[];
  /** null when the catalog has none: treated as the strictest level. */
  maturity: Maturity | null;
  status: 'draft' | 'published' | 'archived' | 'unknown';
  availableFrom: Date | null;
  availableUntil: Date | null;
  /** The catalog's relative popularity (a prior before viewers have interacted). */
  popularity: number;
  thumbnailUrl: string;
  /** The catalog's version: a copy only moves forward. */
  version: number;
}

/** What an account picked at sign-up (cold start). */
export interface AccountPreferences {
  userId: string;
  language: string;
  genres: string[];
  at: Date;
}

export type ReasonKind = 'similar_to_seen' | 'popular_in_language' | 'favourite_genre' | 'popular' | 'same_genre';

export interface Suggestion {
  movieId: string;
  title: string;
  score: number;
  reason: string;
  reasonKind: ReasonKind;
  /** The title the reason refers to. */
  becauseMovieId: string;
  genres: string[];
  maturity: Maturity | null;
  thumbnailUrl: string;
}
