import type { IndexPlan } from '@flix/mongo';

export const PLAYBACK_INDEXES: IndexPlan = {
  // The expiry sweep: sessions not ended, by last heartbeat.
  sessions: [
    { key: { state: 1, lastHeartbeatAt: 1 }, name: 'sweep' },
    { key: { userId: 1, state: 1 }, name: 'user_live' },
    // Ended sessions are kept a month (history lives on in `viewing`).
    { key: { endedAt: 1 }, name: 'ended_ttl', expireAfterSeconds: 30 * 86_400 },
  ],
  // _id is "<profileId>:<movieId>": one record per profile and title.
  viewing: [{ key: { profileId: 1, lastWatchedAt: -1, movieId: 1 }, name: 'profile_recent' }],
  // Heartbeats journaled while NATS was away (fallback-journal.ts); like the JetStream journal, kept a day.
  progress_fallback: [{ key: { at: 1 }, name: 'at_ttl', expireAfterSeconds: 86_400 }],
};
