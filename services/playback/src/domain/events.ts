import type { DomainEvent, playbackEvents } from '@flix/contracts';
import type { EndReason, PlaybackSession } from './model.js';

/** Playback's domain events: its contract's subjects, carrying the session for the writer to encode. */
export type PlaybackEvent = DomainEvent<
  typeof playbackEvents,
  {
    sessionStarted: { session: PlaybackSession };
    sessionEnded: { session: PlaybackSession; reason: EndReason; at: Date };
    titleCompleted: { session: PlaybackSession; at: Date };
    historyRemoved: { userId: string; profileId: string; movieId: string; at: Date };
  }
>;
