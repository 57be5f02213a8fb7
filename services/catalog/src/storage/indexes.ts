import type { IndexPlan } from '@flix/mongo';

export const CATALOG_INDEXES: IndexPlan = {
  // `seq` is the change feed: every write takes the next number from `counters` in its transaction.
  movies: [{ key: { seq: 1 }, name: 'change_feed', unique: true }],
  partner_titles: [
    { key: { seq: 1 }, name: 'change_feed', unique: true },
    { key: { source: 1 }, name: 'partner' },
  ],
  // Raw Mux webhook events, unique by Mux's event id (_id); kept 90 days for audits. A redelivery
  // later than that replays harmlessly through the asset state machine.
  mux_events: [
    { key: { movieId: 1 }, name: 'movie' },
    { key: { receivedAt: 1 }, name: 'retention_ttl', expireAfterSeconds: 90 * 24 * 3600 },
  ],
};
