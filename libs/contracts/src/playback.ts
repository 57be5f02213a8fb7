import { defineEvent } from '@flix/events';
import { SessionStarted } from '@flix/proto/flix/playback/v1/events';

/**
 * Playback's events (the service itself is not built yet; billing already consumes
 * session starts to run a rental's 48-hour clock).
 */
export const playbackEvents = {
  sessionStarted: defineEvent({ subject: 'playback.session.started', type: 'flix.playback.v1.SessionStarted', codec: SessionStarted }),
} as const;

/** Stream that holds playback's events. */
export const PLAYBACK_STREAM = 'PLAYBACK';
