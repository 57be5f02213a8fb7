import type { ClientSession, Collection, Db, Filter, MongoClient } from 'mongodb';
import { runInTransaction } from '@flix/events';
import { isDuplicateKey } from '@flix/mongo';
import type { EngagementEvent } from '../domain/events.js';
import type { ListedRecord, ListKind, PagePosition, RatingRecord, ReviewFilter, ReviewState } from '../domain/model.js';
import { ConcurrentChangeError, type EngagementStore, type EngagementTx } from '../domain/ports.js';

type RatingDoc = Omit<RatingRecord, 'id'> & { _id: string; hasReview: boolean };
type ListedDoc = ListedRecord & { _id: string };

export type EventWriter = (session: ClientSession, events: EngagementEvent[]) => Promise<void>;

const toRatingDoc = ({ id, ...rest }: RatingRecord): RatingDoc => ({ _id: id, ...rest, hasReview: rest.review !== '' });
const fromRatingDoc = (d: RatingDoc | null): RatingRecord | null => {
  if (!d) return null;
  const { _id, hasReview: _hasReview, ...rest } = d;
  return { id: _id, ...rest };
};
const fromListedDoc = (d: ListedDoc | null): ListedRecord | null =>
  d ? { userId: d.userId, profileId: d.profileId, movieId: d.movieId, addedAt: d.addedAt } : null;

const listedId = (profileId: string, movieId: string) => `${profileId}:${movieId}`;

/** Newest-first keyset pagination: strictly after the last item of the previous page. */
function after(timeField: string, idField: string, pos: PagePosition | undefined): Record<string, unknown> {
  if (!pos) return {};
  const t = new Date(pos.t);
  return { $or: [{ [timeField]: { $lt: t } }, { [timeField]: t, [idField]: { $lt: pos.id } }] };
}

/** Engagement's state in its own MongoDB database. */
export class MongoEngagementStore implements EngagementStore {
  readonly ratings: Collection<RatingDoc>;
  private readonly lists: Record<ListKind, Collection<ListedDoc>>;

  constructor(private readonly client: MongoClient, db: Db, private readonly writeEvents: EventWriter) {
    this.ratings = db.collection('ratings');
    this.lists = { watchlist: db.collection('watchlist'), favourites: db.collection('favourites') };
  }

  async transact<T>(fn: (tx: EngagementTx) => Promise<T>): Promise<T> {
    try {
      return await runInTransaction(this.client, (session) => fn(this.tx(session)));
    } catch (e) {
      // A duplicate key aborts the whole transaction: a concurrent first rating won the insert.
      if (isDuplicateKey(e)) throw new ConcurrentChangeError(e.message);
      throw e;
    }
  }

  private tx(session: ClientSession): EngagementTx {
    const s = { session };
    return {
      rating: async (profileId, movieId) => fromRatingDoc(await this.ratings.findOne({ profileId, movieId }, s)),
      ratingById: async (id) => fromRatingDoc(await this.ratings.findOne({ _id: id }, s)),
      saveRating: async (rec) => {
        const next = { ...rec, version: rec.version + 1 };
        if (rec.version === 0) await this.ratings.insertOne(toRatingDoc(next), s);
        else {
          const r = await this.ratings.replaceOne({ _id: rec.id, version: rec.version }, toRatingDoc(next), s);
          if (r.matchedCount === 0) throw new ConcurrentChangeError(`rating ${rec.id} changed`);
        }
        return next;
      },
      deleteRating: async (rec) => {
        const r = await this.ratings.deleteOne({ _id: rec.id, version: rec.version }, s);
        if (r.deletedCount === 0) throw new ConcurrentChangeError(`rating ${rec.id} changed`);
      },
      addListed: async (list, rec) => {
        const { profileId, movieId } = rec;
        // The key is the _id (taken from the filter on insert); the embedded server refuses
        // `_id` inside $setOnInsert, which MongoDB itself allows.
        const r = await this.lists[list].updateOne(
          { _id: listedId(profileId, movieId) },
          { $setOnInsert: { profileId, movieId, userId: rec.userId, addedAt: rec.addedAt } },
          { ...s, upsert: true },
        );
        return r.upsertedCount === 1;
      },
      removeListed: async (list, profileId, movieId) => (await this.lists[list].deleteOne({ profileId, movieId }, s)).deletedCount === 1,
      emit: (events) => this.writeEvents(session, events),
    };
  }

  async rating(profileId: string, movieId: string): Promise<RatingRecord | null> {
    return fromRatingDoc(await this.ratings.findOne({ profileId, movieId }));
  }

  async listed(list: ListKind, profileId: string, movieId: string): Promise<ListedRecord | null> {
    return fromListedDoc(await this.lists[list].findOne({ profileId, movieId }));
  }

  async listListed(list: ListKind, profileId: string, page: { size: number; after?: PagePosition }): Promise<ListedRecord[]> {
    const docs = await this.lists[list]
      .find({ profileId, ...after('addedAt', 'movieId', page.after) } as Filter<ListedDoc>)
      .sort({ addedAt: -1, movieId: -1 })
      .limit(page.size)
      .toArray();
    return docs.map((d) => fromListedDoc(d)!);
  }

  async listRatings(profileId: string, page: { size: number; after?: PagePosition }): Promise<RatingRecord[]> {
    const docs = await this.ratings
      .find({ profileId, ...after('updatedAt', '_id', page.after) } as Filter<RatingDoc>)
      .sort({ updatedAt: -1, _id: -1 })
      .limit(page.size)
      .toArray();
    return docs.map((d) => fromRatingDoc(d)!);
  }

  async listReviews(movieId: string, states: ReviewState[], page: { size: number; after?: PagePosition }): Promise<RatingRecord[]> {
    const docs = await this.ratings
      .find({ movieId, hasReview: true, reviewState: { $in: states }, ...after('updatedAt', '_id', page.after) } as Filter<RatingDoc>)
      .sort({ updatedAt: -1, _id: -1 })
      .limit(page.size)
      .toArray();
    return docs.map((d) => fromRatingDoc(d)!);
  }

  async listAllReviews(filter: ReviewFilter, page: { size: number; after?: PagePosition }): Promise<RatingRecord[]> {
    const which: Record<string, unknown> =
      filter === 'all'
        ? {}
        : filter === 'awaiting'
          ? // `moderatedAt: null` also matches ratings stored before the field existed.
            { $or: [{ reviewState: 'flagged' }, { reviewState: 'published', moderatedAt: null }] }
          : { reviewState: filter };
    const docs = await this.ratings
      .find({ $and: [{ hasReview: true }, which, after('updatedAt', '_id', page.after)] } as Filter<RatingDoc>)
      .sort({ updatedAt: -1, _id: -1 })
      .limit(page.size)
      .toArray();
    return docs.map((d) => fromRatingDoc(d)!);
  }
}
