import { MaxQuality, PlayerState, SessionState, type PlaybackSession as PlaybackSessionProto, type PlaybackTokens as PlaybackTokensProto, type ViewingEntry } from '@flix/proto/flix/playback/v1/resources';
import type { PlaybackSession, PlaybackTokens, PlayerState as DomainPlayerState, Quality, ViewingRecord } from '../domain/model.js';

const STATE: Record<PlaybackSession['state'], SessionState> = {
  started: SessionState.SESSION_STATE_STARTED,
  playing: SessionState.SESSION_STATE_PLAYING,
  paused: SessionState.SESSION_STATE_PAUSED,
  ended: SessionState.SESSION_STATE_ENDED,
};
const QUALITY: Record<Quality, MaxQuality> = { SD: MaxQuality.MAX_QUALITY_SD, HD: MaxQuality.MAX_QUALITY_HD, UHD: MaxQuality.MAX_QUALITY_UHD };

export const stateToProto = (s: PlaybackSession['state']): SessionState => STATE[s];
export const qualityToProto = (q: Quality | null): MaxQuality => (q ? QUALITY[q] : MaxQuality.MAX_QUALITY_UNSPECIFIED);

export function playerStateFromProto(s: PlayerState): DomainPlayerState | null {
  if (s === PlayerState.PLAYER_STATE_PLAYING) return 'playing';
  if (s === PlayerState.PLAYER_STATE_PAUSED) return 'paused';
  if (s === PlayerState.PLAYER_STATE_BUFFERING) return 'buffering';
  return null;
}

export function sessionToProto(s: PlaybackSession): PlaybackSessionProto {
  return {
    id: s.id,
    movieId: s.movieId,
    profileId: s.profileId,
    deviceId: s.deviceId,
    state: STATE[s.state],
    positionSeconds: s.positionSeconds,
    durationSeconds: s.durationSeconds,
    completed: s.completed,
    startTime: s.startedAt,
    lastHeartbeatTime: s.lastHeartbeatAt,
    endTime: s.endedAt ?? undefined,
    endReason: s.endReason ?? '',
    maxQuality: qualityToProto(s.maxQuality),
  };
}

export function tokensToProto(t: PlaybackTokens): PlaybackTokensProto {
  return { ...t };
}

export function viewingToProto(r: ViewingRecord): ViewingEntry {
  return {
    movieId: r.movieId,
    profileId: r.profileId,
    positionSeconds: r.positionSeconds,
    durationSeconds: r.durationSeconds,
    progress: r.durationSeconds > 0 ? Math.min(1, r.positionSeconds / r.durationSeconds) : 0,
    completed: r.completed,
    lastWatchedTime: r.lastWatchedAt,
    completedTime: r.completedAt ?? undefined,
    timesCompleted: r.timesCompleted,
  };
}
