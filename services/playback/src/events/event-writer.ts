import { contractWriter, playbackEvents } from '@flix/contracts';
import type { Outbox, OutboxWriter } from '@flix/events';
import { SessionEndReason } from '@flix/proto/flix/playback/v1/events';
import type { PlaybackEvent } from '../domain/events.js';
import type { EndReason, PlaybackSession } from '../domain/model.js';

const END_REASON: Record<EndReason, SessionEndReason> = {
  stopped: SessionEndReason.SESSION_END_REASON_STOPPED,
  expired: SessionEndReason.SESSION_END_REASON_EXPIRED,
  revoked: SessionEndReason.SESSION_END_REASON_REVOKED,
};

const ids = (s: PlaybackSession) => ({ sessionId: s.id, userId: s.userId, profileId: s.profileId, movieId: s.movieId });

/** Writes playback's domain events into the outbox, inside the caller's transaction. */
export const playbackOutboxWriter = (outbox: Outbox): OutboxWriter<PlaybackEvent> =>
  contractWriter<typeof playbackEvents, PlaybackEvent>(outbox, playbackEvents, {
    sessionStarted: ({ session: s }) => ({
      occurTime: s.startedAt,
      ...ids(s),
      deviceId: s.deviceId,
      startPositionSeconds: s.startPositionSeconds,
      durationSeconds: s.durationSeconds,
    }),
    sessionEnded: ({ session: s, reason, at }) => ({
      occurTime: at,
      ...ids(s),
      deviceId: s.deviceId,
      reason: END_REASON[reason],
      positionSeconds: s.positionSeconds,
      durationSeconds: s.durationSeconds,
      watchedSeconds: s.watchedSeconds,
      rebufferMs: s.rebufferMs,
      completed: s.completed,
      startTime: s.startedAt,
    }),
    titleCompleted: ({ session: s, at }) => ({ occurTime: at, ...ids(s), durationSeconds: s.durationSeconds }),
    historyRemoved: ({ at, userId, profileId, movieId }) => ({ occurTime: at, userId, profileId, movieId }),
  });
