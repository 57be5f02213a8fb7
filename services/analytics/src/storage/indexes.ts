import type { IndexPlan } from '@flix/mongo';

/** Markers outlive the 30 days a stream keeps messages, so a replay never counts twice. */
export const INGESTED_TTL_SECONDS = 60 * 86_400;

export const ANALYTICS_INDEXES: IndexPlan = {
  // _id is the event id (or dlq:<msg id>): one rollup contribution per event, ever.
  ingested: [{ key: { at: 1 }, name: 'at_ttl', expireAfterSeconds: INGESTED_TTL_SECONDS }],
  // _id "YYYY-MM-DD|movieId".
  title_daily: [{ key: { day: 1 }, name: 'day' }],
  // _id "d:YYYY-MM-DD:userId" / "m:YYYY-MM:userId": one per account per day / month. Kept 40
  // days after it was written (not after the day it names), so late events still find it.
  active_users: [{ key: { at: 1 }, name: 'at_ttl', expireAfterSeconds: 40 * 86_400 }],
  subscriptions: [
    { key: { accessSince: 1 }, name: 'access_since' },
    { key: { endedAt: 1 }, name: 'ended_at' },
  ],
  // _id the incident id; the dashboard reads the incidents overlapping a window.
  alert_incidents: [{ key: { raisedAt: 1 }, name: 'raised_at' }],
  // _id the minute (ISO); only the sliding alert window reads them.
  signal_minutes: [{ key: { at: 1 }, name: 'at_ttl', expireAfterSeconds: 2 * 86_400 }],
};
