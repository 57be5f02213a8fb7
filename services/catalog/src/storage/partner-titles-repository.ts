import type { Collection, Db, MongoClient } from 'mongodb';
import type { MovieRecord } from '../domain/model.js';
import type { PartnerTitleRepository } from '../domain/ports.js';
import { nextSeq } from './sequence.js';
import { runInTransaction } from '@flix/events';

/** A partner title; `removed` marks a title the partner's latest snapshot no longer lists. */
export type PartnerTitleDoc = Omit<MovieRecord, 'id'> & { _id: string; seq: number; removed: boolean; contentHash: string };

const fromDoc = ({ _id, seq: _s, removed: _r, contentHash: _h, ...rest }: PartnerTitleDoc): MovieRecord => ({ id: _id, ...rest });

export interface FeedStatusDoc {
  _id: string;
  lastAttemptAt: Date | null;
  lastSuccessAt: Date | null;
  lastError: string;
  titleCount: number;
  leaseOwner: string;
  leaseUntil: Date;
}

/** Partner titles live in their own collection, never mixed with ours. */
export class MongoPartnerTitleRepository implements PartnerTitleRepository {
  readonly titles: Collection<PartnerTitleDoc>;
  readonly feeds: Collection<FeedStatusDoc>;

  constructor(private readonly client: MongoClient, private readonly db: Db) {
    this.titles = db.collection<PartnerTitleDoc>('partner_titles');
    this.feeds = db.collection<FeedStatusDoc>('partner_feeds');
  }

  async findById(id: string): Promise<MovieRecord | null> {
    const doc = await this.titles.findOne({ _id: id, removed: false });
    return doc ? fromDoc(doc) : null;
  }

  async findMany(ids: string[]): Promise<MovieRecord[]> {
    return (await this.titles.find({ _id: { $in: ids }, removed: false }).toArray()).map(fromDoc);
  }

  /**
   * Replaces one partner's titles with its latest snapshot: changed titles are rewritten, titles
   * no longer listed are tombstoned, unchanged ones are left alone (so they do not churn the feed).
   */
  async replaceSnapshot(partnerId: string, titles: { record: MovieRecord; contentHash: string }[]): Promise<{ changed: number; removed: number }> {
    return runInTransaction(this.client, async (session) => {
      const existing = await this.titles.find({ source: partnerId }, { session, projection: { _id: 1, contentHash: 1, removed: 1, version: 1, createdAt: 1 } }).toArray();
      const byId = new Map(existing.map((d) => [d._id, d]));
      const listed = new Set(titles.map((t) => t.record.id));
      const changed = titles.filter((t) => {
        const old = byId.get(t.record.id);
        return !old || old.removed || old.contentHash !== t.contentHash;
      });
      const gone = existing.filter((d) => !d.removed && !listed.has(d._id));
      const total = changed.length + gone.length;
      if (total === 0) return { changed: 0, removed: 0 };
      let seq = await nextSeq(this.db, 'partner_titles', session, total);
      for (const t of changed) {
        const old = byId.get(t.record.id);
        const { id, ...rest } = t.record;
        const doc: PartnerTitleDoc = {
          _id: id, ...rest, createdAt: old?.createdAt ?? rest.createdAt, version: (old?.version ?? 0) + 1, seq: seq++, removed: false, contentHash: t.contentHash,
        };
        await this.titles.replaceOne({ _id: id }, doc, { upsert: true, session });
      }
      for (const d of gone) {
        await this.titles.updateOne({ _id: d._id }, { $set: { removed: true, seq: seq++, updatedAt: new Date() }, $inc: { version: 1 } }, { session });
      }
      return { changed: changed.length, removed: gone.length };
    });
  }

  /** Claims a partner's next fetch for this instance, so N instances do not all fetch each feed. */
  async claimFetch(partnerId: string, owner: string, now: Date, holdMs: number): Promise<boolean> {
    await this.feeds.updateOne(
      { _id: partnerId },
      { $setOnInsert: { lastAttemptAt: null, lastSuccessAt: null, lastError: '', titleCount: 0, leaseOwner: '', leaseUntil: new Date(0) } },
      { upsert: true },
    );
    const res = await this.feeds.updateOne(
      { _id: partnerId, $or: [{ leaseUntil: { $lte: now } }, { leaseOwner: owner }] },
      { $set: { leaseOwner: owner, leaseUntil: new Date(now.getTime() + holdMs), lastAttemptAt: now } },
    );
    return res.modifiedCount > 0;
  }

  async recordFetch(partnerId: string, outcome: { ok: true; at: Date; titleCount: number } | { ok: false; error: string }): Promise<void> {
    await this.feeds.updateOne(
      { _id: partnerId },
      outcome.ok ? { $set: { lastSuccessAt: outcome.at, lastError: '', titleCount: outcome.titleCount } } : { $set: { lastError: outcome.error } },
    );
  }

  async status(partnerId: string): Promise<FeedStatusDoc | null> {
    return this.feeds.findOne({ _id: partnerId });
  }
}
