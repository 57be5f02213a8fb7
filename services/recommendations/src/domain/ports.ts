import type { Maturity } from '@flix/profiles/maturity';
import type { AccountPreferences, Interaction, SignalChange, TitleInfo } from './model.js';

/** What recommendations asks of identity: the caller's profile, with the caller's own token. */
export interface ProfileDirectory {
  /** NOT_FOUND (field profileId) when the profile is not the caller's. */
  maxMaturity(accessToken: string, profileId: string): Promise<Maturity>;
}

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** Result of applying a signal: whether anything changed (a stale or repeated one changes nothing). */
export type ApplyOutcome = 'applied' | 'stale';

/** Interactions (profile × title signals), in recommendations' own database. */
export interface InteractionStore {
  /** Last-writer-wins per signal kind; a repeated or older signal is 'stale'. */
  apply(change: SignalChange): Promise<ApplyOutcome>;
  /** Clears the playback signals (completed, started) older than `at`. */
  forgetPlayback(input: { userId: string; profileId: string; movieId: string; at: Date; eventId: string }): Promise<ApplyOutcome>;
  forProfile(profileId: string): Promise<Interaction[]>;
  /** Every interaction, for a full training. */
  all(): AsyncIterable<Interaction>;
  /** Interactions whose document changed at or after `since`, for an incremental update. */
  changedSince(since: Date): AsyncIterable<Interaction>;
}

/** Grows with every applied interaction or title change (on any instance); the trainer retrains when it moves. */
export interface ChangeCounter {
  current(): Promise<number>;
}

export interface TitleStore {
  /** Keeps the copy with the highest catalog version. */
  upsert(t: TitleInfo): Promise<ApplyOutcome>;
  all(): Promise<TitleInfo[]>;
}

export interface PreferenceStore {
  /** Last-writer-wins on `at`. */
  upsert(p: AccountPreferences): Promise<ApplyOutcome>;
  get(userId: string): Promise<AccountPreferences | null>;
}
