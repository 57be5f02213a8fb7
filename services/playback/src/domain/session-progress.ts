import type { PlaybackSession, ProgressSnapshot, ViewingRecord } from './model.js';

/** The numbers a session ends with. */
export const finalNumbers = (s: PlaybackSession) => ({ positionSeconds: s.positionSeconds, watchedSeconds: s.watchedSeconds, rebufferMs: s.rebufferMs, completed: s.completed });

/** The session with the journal's last heartbeat applied, when that is newer than what we hold. */
export function mergeSnapshot(s: PlaybackSession, snap: ProgressSnapshot | null): PlaybackSession {
  if (!snap || snap.at <= s.lastHeartbeatAt) return { ...s };
  return {
    ...s,
    positionSeconds: snap.positionSeconds,
    watchedSeconds: Math.max(s.watchedSeconds, snap.watchedSeconds),
    rebufferMs: Math.max(s.rebufferMs, snap.rebufferMs),
    lastHeartbeatAt: snap.at,
  };
}

/** The profile's viewing record after this session's progress; a completion counts once, when it happens. */
export function viewingFrom(s: PlaybackSession, previous: ViewingRecord | null, at: Date, newlyCompleted = false): ViewingRecord {
  return {
    profileId: s.profileId,
    userId: s.userId,
    movieId: s.movieId,
    positionSeconds: s.positionSeconds,
    durationSeconds: s.durationSeconds,
    // A rewatch that has not reached the end again is in progress again.
    completed: s.completed,
    lastWatchedAt: at,
    completedAt: newlyCompleted ? at : (previous?.completedAt ?? null),
    timesCompleted: (previous?.timesCompleted ?? 0) + (newlyCompleted ? 1 : 0),
    lastSessionId: s.id,
  };
}

/** The rendition cap a playback token carries for the plan's quality (null: no cap). */
export function qualityResolution(q: PlaybackSession['maxQuality']): string | null {
  return q === 'SD' ? '720p' : q === 'HD' ? '1080p' : q === 'UHD' ? '2160p' : null;
}
