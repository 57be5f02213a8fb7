import type { AnyBulkWriteOperation, ClientSession, Collection, Db, MongoClient } from 'mongodb';
import { DomainError } from '@flix/errors';
import { runInTransaction } from '@flix/events';
import { decodePageToken, encodePageToken, pageSize } from '@flix/mongo';
import type { PlaybackEvent } from '../domain/events.js';
import type { PlaybackSession, ViewingRecord } from '../domain/model.js';
import type { PlaybackStore, PlaybackTx, ViewingPage } from '../domain/ports.js';

type SessionDoc = Omit<PlaybackSession, 'id'> & { _id: string };
type ViewingDoc = ViewingRecord & { _id: string };
/** Per account: the sessions that may hold a stream slot; `version` serialises concurrent starts. */
interface AccountDoc {
  _id: string;
  sessionIds: string[];
  version: number;
}

export type EventWriter = (session: ClientSession, events: PlaybackEvent[]) => Promise<void>;

const viewingId = (profileId: string, movieId: string) => `${profileId}:${movieId}`;
const toSession = ({ _id, ...rest }: SessionDoc): PlaybackSession => ({ id: _id, ...rest });
const toViewing = ({ _id: _ignored, ...rest }: ViewingDoc): ViewingRecord => rest;

/** Playback's state in its own MongoDB database. */
export class MongoPlaybackStore implements PlaybackStore {
  readonly sessions: Collection<SessionDoc>;
  readonly viewingColl: Collection<ViewingDoc>;
  readonly accounts: Collection<AccountDoc>;
  /** Database write operations issued by coalesced flushes (reported by the benchmark). */
  flushWrites = 0;

  constructor(private readonly client: MongoClient, db: Db, private readonly writeEvents: EventWriter) {
    this.sessions = db.collection('sessions');
    this.viewingColl = db.collection('viewing');
    this.accounts = db.collection('accounts');
  }

  transact<T>(fn: (tx: PlaybackTx) => Promise<T>): Promise<T> {
    return runInTransaction(this.client, (session) => fn(this.tx(session)));
  }

  private tx(session: ClientSession): PlaybackTx {
    const s = { session };
    return {
      lockAccountSessions: async (userId) => {
        // Bumping the version first makes two concurrent starts for one account conflict (and
        // the transaction helper retries the loser), so slots are counted one start at a time.
        const acct = await this.accounts.findOneAndUpdate(
          { _id: userId },
          { $inc: { version: 1 }, $setOnInsert: { sessionIds: [] } },
          { ...s, upsert: true, returnDocument: 'after' },
        );
        const ids = acct?.sessionIds ?? [];
        if (ids.length === 0) return [];
        const docs = await this.sessions.find({ _id: { $in: ids } }, s).toArray();
        return docs.map(toSession);
      },
      setAccountSessions: async (userId, sessionIds) => {
        await this.accounts.updateOne({ _id: userId }, { $set: { sessionIds } }, s);
      },
      insertSession: async (ps) => {
        const { id, ...rest } = ps;
        await this.sessions.insertOne({ _id: id, ...rest }, s);
      },
      endSession: async (sessionId, final, reason, at) => {
        const res = await this.sessions.updateOne(
          { _id: sessionId, state: { $ne: 'ended' } },
          { $set: { ...final, state: 'ended', endReason: reason, endedAt: at } },
          s,
        );
        return res.modifiedCount === 1;
      },
      markCompleted: async (sessionId) => {
        const res = await this.sessions.updateOne({ _id: sessionId, completed: false }, { $set: { completed: true } }, s);
        return res.modifiedCount === 1;
      },
      putViewing: async (record) => {
        const _id = viewingId(record.profileId, record.movieId);
        await this.viewingColl.replaceOne({ _id }, { ...record }, { ...s, upsert: true });
      },
      deleteViewing: async (profileId, movieId) => {
        const res = await this.viewingColl.deleteOne({ _id: viewingId(profileId, movieId) }, s);
        return res.deletedCount === 1;
      },
      emit: (events) => this.writeEvents(session, events),
    };
  }

  async session(id: string): Promise<PlaybackSession | null> {
    const doc = await this.sessions.findOne({ _id: id });
    return doc ? toSession(doc) : null;
  }

  async viewing(profileId: string, movieId: string): Promise<ViewingRecord | null> {
    const doc = await this.viewingColl.findOne({ _id: viewingId(profileId, movieId) });
    return doc ? toViewing(doc) : null;
  }

  async flush(sessions: PlaybackSession[]): Promise<string[]> {
    const sessionOps: AnyBulkWriteOperation<SessionDoc>[] = sessions.map((ps) => ({
      updateOne: {
        // Never behind what another instance already wrote for the same session.
        filter: { _id: ps.id, state: { $ne: 'ended' }, lastHeartbeatAt: { $lte: ps.lastHeartbeatAt } },
        update: {
          $set: {
            state: ps.state,
            positionSeconds: ps.positionSeconds,
            watchedSeconds: ps.watchedSeconds,
            rebufferMs: ps.rebufferMs,
            bitrateKbps: ps.bitrateKbps,
            lastHeartbeatAt: ps.lastHeartbeatAt,
            entitlementValidUntil: ps.entitlementValidUntil,
            entitlementCheckedAt: ps.entitlementCheckedAt,
            maxQuality: ps.maxQuality,
            tokensExpireAt: ps.tokensExpireAt,
          },
        },
      },
    }));
    await this.sessions.bulkWrite(sessionOps, { ordered: false });
    this.flushWrites += sessionOps.length;
    const ended = await this.sessions
      .find({ _id: { $in: sessions.map((s) => s.id) }, state: 'ended' }, { projection: { _id: 1 } })
      .toArray();
    return ended.map((d) => d._id);
  }

  async staleSessions(before: Date, limit: number): Promise<PlaybackSession[]> {
    const docs = await this.sessions
      .find({ state: { $in: ['started', 'playing', 'paused'] }, lastHeartbeatAt: { $lt: before } })
      .sort({ lastHeartbeatAt: 1 })
      .limit(limit)
      .toArray();
    return docs.map(toSession);
  }

  async invalidateEntitlements(userId: string): Promise<number> {
    const res = await this.sessions.updateMany({ userId, state: { $ne: 'ended' } }, { $set: { entitlementValidUntil: new Date(0) } });
    return res.modifiedCount;
  }

  async listViewing(profileId: string, opts: { inProgressOnly: boolean; pageSize: number; cursor: string }): Promise<ViewingPage> {
    const size = pageSize(opts.pageSize);
    const after = decodePageToken(opts.cursor);
    const filter: Record<string, unknown> = { profileId };
    if (opts.inProgressOnly) Object.assign(filter, { completed: false, positionSeconds: { $gt: 0 } });
    if (after) {
      if (typeof after.t !== 'number' || typeof after.m !== 'string')
        throw new DomainError('invalid_argument', 'INVALID_PAGE_TOKEN', 'pageToken: not a token this API returned', [{ field: 'pageToken', description: 'not a token this API returned' }]);
      const at = new Date(Number(after.t));
      filter.$or = [{ lastWatchedAt: { $lt: at } }, { lastWatchedAt: at, movieId: { $gt: String(after.m) } }];
    }
    const docs = await this.viewingColl.find(filter).sort({ lastWatchedAt: -1, movieId: 1 }).limit(size + 1).toArray();
    const page = docs.slice(0, size);
    const last = page[page.length - 1];
    return {
      records: page.map(toViewing),
      next: docs.length > size && last ? encodePageToken({ t: last.lastWatchedAt.getTime(), m: last.movieId }) : '',
    };
  }
}
