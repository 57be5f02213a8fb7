import { playbackEvents } from '@flix/contracts';
import { outboxWriter, type Outbox, type OutboxWriter } from '@flix/events';
import { SessionEndReason } from '@flix/proto/flix/playback/v1/events';
import type { PlaybackEvent } from '../domain/events.js';
import type { EndReason } from '../domain/model.js';

const END_REASON: Record<EndReason, SessionEndReason> = {
  stopped: SessionEndReason.SESSION_END_REASON_STOPPED,
  expired: SessionEndReason.SESSION_END_REASON_EXPIRED,
  revoked: SessionEndReason.SESSION_END_REASON_REVOKED,
};

/** Writes playback's domain events into the outbox, inside the caller's transaction. */
export const playbackOutboxWriter = (outbox: Outbox): OutboxWriter<PlaybackEvent> => outboxWriter(outbox, playbackEvents, payloadOf);

function payloadOf(e: PlaybackEvent): Record<string, unknown> {
  if (e.subject === 'playback.history.removed') return { occurTime: e.at, userId: e.userId, profileId: e.profileId, movieId: e.movieId };
  const s = e.session;
  const ids = { sessionId: s.id, userId: s.userId, profileId: s.profileId, movieId: s.movieId };
  switch (e.subject) {
    case 'playback.session.started':
      return { occurTime: s.startedAt, ...ids, deviceId: s.deviceId, startPositionSeconds: s.startPositionSeconds, durationSeconds: s.durationSeconds };
    case 'playback.title.completed':
      return { occurTime: e.at, ...ids, durationSeconds: s.durationSeconds };
    case 'playback.session.ended':
      return {
        occurTime: e.at,
        ...ids,
        deviceId: s.deviceId,
        reason: END_REASON[e.reason],
        positionSeconds: s.positionSeconds,
        durationSeconds: s.durationSeconds,
        watchedSeconds: s.watchedSeconds,
        rebufferMs: s.rebufferMs,
        completed: s.completed,
        startTime: s.startedAt,
      };
  }
}
