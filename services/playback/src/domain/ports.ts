import type {
  EndReason,
  EntitlementDecision,
  Maturity,
  PlayableTitle,
  PlaybackSession,
  PlaybackTokens,
  ProgressSnapshot,
  ViewingRecord,
} from './model.js';
import type { PlaybackEvent } from './events.js';

/** The catalog: a title's status, video asset and maturity (asked with playback's service token). */
export interface TitleDirectory {
  get(movieId: string): Promise<PlayableTitle | null>;
}

/** Billing's CheckEntitlement, asked with the viewer's own token. */
export interface EntitlementChecker {
  check(accessToken: string, movieId: string, startingPlayback: boolean): Promise<EntitlementDecision>;
}

/** Identity: the maturity ceiling of one of the caller's profiles (NOT_FOUND when not theirs). */
export interface ProfileDirectory {
  maxMaturity(accessToken: string, profileId: string): Promise<Maturity>;
}

/** Signs Mux playback tokens (video, thumbnail, storyboard) and builds the URLs around them. */
export interface PlaybackTokenSigner {
  sign(playbackId: string, expiresAt: Date, maxResolution: string | null): Promise<PlaybackTokens>;
}

/**
 * Durable last-value journal of heartbeats: written before a heartbeat is acknowledged, so a
 * position that is not yet in the database survives the crash of the instance holding it.
 */
export interface ProgressJournal {
  record(snapshot: ProgressSnapshot): Promise<void>;
  last(sessionId: string): Promise<ProgressSnapshot | null>;
}

/** Tells every playback instance what one of them decided (cached sessions must follow). */
export interface SessionBroadcast {
  sessionsEnded(sessionIds: string[]): void;
  recheckEntitlements(userId: string): void;
}

export interface ViewingPage {
  records: ViewingRecord[];
  /** Opaque cursor for the next page; '' on the last page. */
  next: string;
}

export interface PlaybackStore {
  transact<T>(fn: (tx: PlaybackTx) => Promise<T>): Promise<T>;
  session(id: string): Promise<PlaybackSession | null>;
  viewing(profileId: string, movieId: string): Promise<ViewingRecord | null>;
  /**
   * Coalesced progress writes of live sessions (the profile's viewing record is written at
   * start, completion and end); returns the ids of sessions found already ended.
   */
  flush(sessions: PlaybackSession[]): Promise<string[]>;
  /** Sessions not ended whose last heartbeat is older than `before`. */
  staleSessions(before: Date, limit: number): Promise<PlaybackSession[]>;
  /** Makes the user's live sessions ask billing again at their next heartbeat. */
  invalidateEntitlements(userId: string): Promise<number>;
  listViewing(profileId: string, opts: { inProgressOnly: boolean; pageSize: number; cursor: string }): Promise<ViewingPage>;
}

export interface PlaybackTx {
  /** The account's sessions that may hold a stream slot; serialises starts per account. */
  lockAccountSessions(userId: string): Promise<PlaybackSession[]>;
  setAccountSessions(userId: string, sessionIds: string[]): Promise<void>;
  insertSession(session: PlaybackSession): Promise<void>;
  /** Ends the session unless it already ended; false when someone else ended it first. */
  endSession(sessionId: string, final: Pick<PlaybackSession, 'positionSeconds' | 'watchedSeconds' | 'rebufferMs' | 'completed'>, reason: EndReason, at: Date): Promise<boolean>;
  /** Marks the session completed unless it already was; false when it was. */
  markCompleted(sessionId: string): Promise<boolean>;
  putViewing(record: ViewingRecord): Promise<void>;
  deleteViewing(profileId: string, movieId: string): Promise<boolean>;
  emit(events: PlaybackEvent[]): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
