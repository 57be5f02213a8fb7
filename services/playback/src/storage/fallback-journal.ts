import type { Collection, Db } from 'mongodb';
import type { ProgressSnapshot } from '../domain/model.js';
import type { ProgressJournal } from '../domain/ports.js';

/** MongoDB collection holding heartbeats journaled while NATS was away. */
export const PROGRESS_FALLBACK_COLLECTION = 'progress_fallback';

interface FallbackDoc {
  /** The session id: one (the last) snapshot per session, as in the JetStream journal. */
  _id: string;
  p: number;
  w: number;
  r: number;
  at: Date;
}

/** The heartbeat journal in MongoDB: where heartbeats go while NATS is away. */
export class MongoProgressJournal implements ProgressJournal {
  private readonly coll: Collection<FallbackDoc>;

  constructor(db: Db) {
    this.coll = db.collection<FallbackDoc>(PROGRESS_FALLBACK_COLLECTION);
  }

  async record(s: ProgressSnapshot): Promise<void> {
    // Only ever moves forward: a late write of an older heartbeat does not replace a newer one.
    await this.coll.updateOne(
      { _id: s.sessionId, at: { $lt: s.at } },
      { $set: { p: s.positionSeconds, w: s.watchedSeconds, r: s.rebufferMs, at: s.at } },
      { upsert: true },
    ).catch((err: unknown) => {
      // The filter missed because a newer snapshot is stored: the upsert's insert hits the _id.
      if ((err as { code?: number }).code !== 11000) throw err;
    });
  }

  async last(sessionId: string): Promise<ProgressSnapshot | null> {
    const d = await this.coll.findOne({ _id: sessionId });
    return d ? { sessionId, positionSeconds: d.p, watchedSeconds: d.w, rebufferMs: d.r, at: d.at } : null;
  }
}

/**
 * Heartbeats are answered only once journaled. The JetStream journal is the fast path; while
 * NATS is away (or a journal append fails because it just went) they are journaled in MongoDB
 * instead, so players keep getting answers during a NATS outage and nothing acknowledged is
 * lost. Reads take the newer of the two.
 */
export class FallbackProgressJournal implements ProgressJournal {
  constructor(
    private readonly primary: ProgressJournal,
    private readonly fallback: ProgressJournal,
    /** Whether NATS is connected now (the host's view). */
    private readonly natsUp: () => boolean,
  ) {}

  async record(s: ProgressSnapshot): Promise<void> {
    if (this.natsUp()) {
      try {
        return await this.primary.record(s);
      } catch (err) {
        if (this.natsUp()) throw err; // not an outage: a real failure
      }
    }
    await this.fallback.record(s);
  }

  async last(sessionId: string): Promise<ProgressSnapshot | null> {
    const [fromNats, fromMongo] = await Promise.all([
      this.natsUp() ? this.primary.last(sessionId).catch((err: unknown) => (this.natsUp() ? Promise.reject(err) : null)) : null,
      this.fallback.last(sessionId),
    ]);
    if (!fromNats) return fromMongo;
    if (!fromMongo) return fromNats;
    return fromMongo.at > fromNats.at ? fromMongo : fromNats;
  }
}
