import type { EndReason, PlaybackSession } from './model.js';

/** Playback's domain events, tagged with their subject (see @flix/contracts playbackEvents). */
export type PlaybackEvent =
  | { subject: 'playback.session.started'; session: PlaybackSession }
  | { subject: 'playback.session.ended'; session: PlaybackSession; reason: EndReason; at: Date }
  | { subject: 'playback.title.completed'; session: PlaybackSession; at: Date }
  | { subject: 'playback.history.removed'; userId: string; profileId: string; movieId: string; at: Date };
