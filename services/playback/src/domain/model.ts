/** Playback's own vocabulary: sessions, viewing records, and what the other services tell it. */
import type { Maturity } from '@flix/profiles/maturity';

export { MATURITY_LEVELS, type Maturity } from '@flix/profiles/maturity';

export type SessionState = 'started' | 'playing' | 'paused' | 'ended';
export type EndReason = 'stopped' | 'expired' | 'revoked';
export type PlayerState = 'playing' | 'paused' | 'buffering';
export type Quality = 'SD' | 'HD' | 'UHD';

/** One press of "play" on one device. */
export interface PlaybackSession {
  id: string;
  userId: string;
  profileId: string;
  movieId: string;
  deviceId: string;
  playbackId: string;
  state: SessionState;
  positionSeconds: number;
  startPositionSeconds: number;
  durationSeconds: number;
  /** Seconds spent in the playing state (from heartbeat gaps). */
  watchedSeconds: number;
  rebufferMs: number;
  bitrateKbps: number;
  completed: boolean;
  startedAt: Date;
  lastHeartbeatAt: Date;
  endedAt: Date | null;
  endReason: EndReason | null;
  maxQuality: Quality | null;
  maxStreams: number;
  /** Billing's answer holds until then; afterwards the next heartbeat asks again. */
  entitlementValidUntil: Date | null;
  entitlementCheckedAt: Date;
  tokensExpireAt: Date;
}

/** Where a profile stands with a title: resume point, completion, last watched. */
export interface ViewingRecord {
  profileId: string;
  userId: string;
  movieId: string;
  positionSeconds: number;
  durationSeconds: number;
  completed: boolean;
  lastWatchedAt: Date;
  completedAt: Date | null;
  timesCompleted: number;
  lastSessionId: string;
}

/** The catalog's view of a title, as playback needs it. */
export interface PlayableTitle {
  id: string;
  title: string;
  status: 'draft' | 'published' | 'archived' | 'unknown';
  assetStatus: 'none' | 'waiting' | 'processing' | 'ready' | 'errored';
  playbackId: string;
  durationSeconds: number;
  maturity: Maturity;
  availableFrom: Date | null;
  availableUntil: Date | null;
}

/** Billing's CheckEntitlement answer. */
export interface EntitlementDecision {
  allowed: boolean;
  /** Billing's reason code, e.g. NO_SUBSCRIPTION, TIER_TOO_LOW, RENTAL_EXPIRED. */
  reason: string;
  source: 'subscription' | 'rental' | 'none';
  maxStreams: number;
  maxQuality: Quality | null;
  validUntil: Date | null;
  rentalId: string;
}

/** Signed playback credentials for one playback id. */
export interface PlaybackTokens {
  playbackUrl: string;
  playbackToken: string;
  thumbnailUrl: string;
  thumbnailToken: string;
  storyboardUrl: string;
  storyboardToken: string;
  expiresAt: Date;
}

/** The last heartbeat of a session, as journaled before it is acknowledged. */
export interface ProgressSnapshot {
  sessionId: string;
  positionSeconds: number;
  watchedSeconds: number;
  rebufferMs: number;
  at: Date;
}

export interface PlaybackSettings {
  /** A session with no heartbeat for this long frees its stream slot. */
  staleAfterSeconds: number;
  heartbeatIntervalSeconds: number;
  /** At most one progress write per session this often. */
  flushIntervalSeconds: number;
  /** Fraction of the runtime at which a title counts as completed. */
  completionRatio: number;
  /** Token lifetime beyond the remaining runtime. */
  tokenMarginSeconds: number;
  /** Re-ask billing at least this often during a session. */
  entitlementRecheckSeconds: number;
}
