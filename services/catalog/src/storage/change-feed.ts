import type { Collection } from 'mongodb';
import type { ChangeBatch, ChangeFeed, FeedCursor } from '../domain/ports.js';
import { fromDoc, type MovieDoc } from './movies-repository.js';
import type { PartnerTitleDoc } from './partner-titles-repository.js';

/** Reads both title collections in `seq` order from a cursor. */
export class MongoChangeFeed implements ChangeFeed {
  constructor(private readonly movies: Collection<MovieDoc>, private readonly partners: Collection<PartnerTitleDoc>) {}

  async changesSince(cursor: FeedCursor, limit: number): Promise<ChangeBatch> {
    const [own, partner] = await Promise.all([
      this.movies.find({ seq: { $gt: cursor.movies } }).sort({ seq: 1 }).limit(limit).toArray(),
      this.partners.find({ seq: { $gt: cursor.partners } }).sort({ seq: 1 }).limit(limit).toArray(),
    ]);
    const upserts = own.map(fromDoc);
    const removedIds: string[] = [];
    for (const d of partner) {
      if (d.removed) removedIds.push(d._id);
      else {
        const { _id, seq: _s, removed: _r, contentHash: _h, ...rest } = d;
        upserts.push({ id: _id, ...rest });
      }
    }
    return {
      upserts,
      removedIds,
      cursor: { movies: own.at(-1)?.seq ?? cursor.movies, partners: partner.at(-1)?.seq ?? cursor.partners },
    };
  }
}
