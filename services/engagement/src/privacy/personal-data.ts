import type { Db, MongoClient } from 'mongodb';
import { runInTransaction, type Outbox } from '@flix/events';
import type { UserDeleted } from '@flix/proto/flix/identity/v1/events';
import { forgetPublishedEvents, type ErasedUsers } from '@flix/service';

interface RatingDoc {
  _id: string;
  userId: string;
  profileId: string;
  movieId: string;
  stars: number;
  review: string;
}

/**
 * What engagement holds about a person, exported and erased (issue 14).
 *
 * Ratings are anonymised, not deleted: the stars stay (so each title's aggregate rating, kept
 * by the catalog from the rating events, stays equal to the ratings engagement holds), while
 * the account and profile ids are removed and the review text is deleted (what a person wrote
 * is their data, and may name them). Watchlist and favourites are deleted.
 */
export class EngagementPersonalData {
  constructor(private readonly deps: { client: MongoClient; db: Db; erased: ErasedUsers; outbox: Outbox }) {}

  private get ratings() {
    return this.deps.db.collection<RatingDoc>('ratings');
  }

  async export(userId: string): Promise<Record<string, unknown>> {
    const { db } = this.deps;
    const [ratings, watchlist, favourites] = await Promise.all([
      this.ratings.find({ userId }).toArray(),
      db.collection('watchlist').find({ userId }).toArray(),
      db.collection('favourites').find({ userId }).toArray(),
    ]);
    const listed = (docs: Record<string, unknown>[]) => docs.map(({ _id: _key, ...d }) => d);
    return {
      ratings: ratings.map(({ _id, hasReview: _derived, ...r }: RatingDoc & { hasReview?: boolean }) => ({ id: _id, ...r })),
      watchlist: listed(watchlist),
      favourites: listed(favourites),
    };
  }

  async erase(e: UserDeleted): Promise<void> {
    const userId = e.userId;
    // First, so that a rating racing the erasure is refused rather than re-creating it.
    await this.deps.erased.record(userId, new Date());
    const mine = await this.ratings.find({ userId }, { projection: { _id: 1, profileId: 1 } }).toArray();
    // The events naming the person carry their profile ids too.
    const profileIds = new Set(mine.map((r) => r.profileId));
    for (const list of ['watchlist', 'favourites']) {
      for (const id of await this.deps.db.collection(list).distinct('profileId', { userId })) profileIds.add(String(id));
    }
    await runInTransaction(this.deps.client, async (session) => {
      const s = { session };
      for (const { _id } of mine) {
        // Unique per (profileId, movieId): each anonymous rating gets a profile id of its own.
        await this.ratings.updateOne(
          { _id },
          { $set: { userId: '', profileId: `erased:${_id}`, review: '', hasReview: false, moderationReason: '' } },
          s,
        );
      }
      await this.deps.db.collection('watchlist').deleteMany({ userId }, s);
      await this.deps.db.collection('favourites').deleteMany({ userId }, s);
    });
    await forgetPublishedEvents(this.deps.db, this.deps.outbox, [userId, ...profileIds]);
  }
}
