import type { Db, MongoClient } from 'mongodb';
import type { JetStreamManager } from '@nats-io/jetstream';
import { runInTransaction, type Outbox } from '@flix/events';
import type { UserDeleted } from '@flix/proto/flix/identity/v1/events';
import { forgetPublishedEvents, type ErasedUsers } from '@flix/service';
import type { MongoPlaybackStore } from '../storage/playback-store.js';

import { PROGRESS_STREAM } from '../storage/progress-journal.js';

/** The subject storage/progress-journal.ts journals a session's heartbeats under. */
const progressSubject = (sessionId: string) => `progress.playback.${sessionId}`;

/**
 * What playback holds about a person, exported and erased (issue 14): sessions (live ones end
 * at once: removed here, dropped from every instance's memory, their stream slots freed), the
 * viewing history and resume points of every profile, the stream-slot record, and the journaled
 * heartbeats of those sessions. Nothing is kept: viewing statistics live on in analytics'
 * rollups, which hold no account ids.
 */
export class PlaybackPersonalData {
  constructor(
    private readonly deps: {
      client: MongoClient;
      db: Db;
      store: MongoPlaybackStore;
      erased: ErasedUsers;
      outbox: Outbox;
      jsm: JetStreamManager;
      /** Drops ended sessions from this instance's memory and tells the others. */
      sessionsEnded(ids: string[]): void;
    },
  ) {}

  async export(userId: string): Promise<Record<string, unknown>> {
    const { store } = this.deps;
    const [sessions, viewing] = await Promise.all([store.sessions.find({ userId }).toArray(), store.viewingColl.find({ userId }).toArray()]);
    return {
      sessions: sessions.map(({ _id, ...s }) => ({ id: _id, ...s })),
      viewingHistory: viewing.map(({ _id: _key, ...v }) => v),
    };
  }

  async erase(e: UserDeleted): Promise<void> {
    const { store, erased } = this.deps;
    const userId = e.userId;
    // First, so that a heartbeat or a start racing the erasure is refused rather than re-creating it.
    await erased.record(userId, new Date());
    const ids = (await store.sessions.find({ userId }, { projection: { _id: 1 } }).toArray()).map((d) => d._id);
    // The events naming the person carry their profile ids too.
    const profileIds = [...new Set([...(await store.sessions.distinct('profileId', { userId })), ...(await store.viewingColl.distinct('profileId', { userId }))].map(String))];
    await runInTransaction(this.deps.client, async (session) => {
      const s = { session };
      await store.sessions.deleteMany({ userId }, s);
      await store.viewingColl.deleteMany({ userId }, s);
      await store.accounts.deleteOne({ _id: userId }, s);
      if (ids.length > 0) await this.deps.db.collection('progress_fallback').deleteMany({ _id: { $in: ids } as never }, s);
    });
    if (ids.length > 0) this.deps.sessionsEnded(ids);
    for (const id of ids) {
      await this.deps.jsm.streams.purge(PROGRESS_STREAM, { filter: progressSubject(id) }).catch(() => undefined);
    }
    await forgetPublishedEvents(this.deps.db, this.deps.outbox, [userId, ...profileIds]);
  }
}
