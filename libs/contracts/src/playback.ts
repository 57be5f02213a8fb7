import { defineEvent } from '@flix/events';
import { HistoryRemoved, SessionEnded, SessionStarted, TitleCompleted } from '@flix/proto/flix/playback/v1/events';
import { producedBy } from './contract.js';

/** Playback's events: the single definition of each subject ↔ proto type pairing. */
export const playbackEvents = producedBy('playback', {
  sessionStarted: defineEvent({ subject: 'playback.session.started', type: 'flix.playback.v1.SessionStarted', codec: SessionStarted }),
  sessionEnded: defineEvent({ subject: 'playback.session.ended', type: 'flix.playback.v1.SessionEnded', codec: SessionEnded }),
  titleCompleted: defineEvent({ subject: 'playback.title.completed', type: 'flix.playback.v1.TitleCompleted', codec: TitleCompleted }),
  historyRemoved: defineEvent({ subject: 'playback.history.removed', type: 'flix.playback.v1.HistoryRemoved', codec: HistoryRemoved }),
});

/** Stream that holds playback's events. */
export const PLAYBACK_STREAM = 'PLAYBACK';
