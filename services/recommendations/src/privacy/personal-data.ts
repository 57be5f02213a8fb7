import type { Db } from 'mongodb';
import type { UserDeleted } from '@flix/proto/flix/identity/v1/events';
import type { ErasedUsers } from '@flix/service';

/**
 * What recommendations holds about a person, exported and erased (issue 14): the interaction
 * signals of every profile (ratings, lists, plays, completions) and the account's language and
 * genres. Erasure deletes both and retrains from a full read, so the trained model holds no row
 * of theirs either; other instances drop theirs at their next full read
 * (FLIX_RECS_FULL_RELOAD_MINUTES). Signals about the account that arrive later are ignored.
 */
export class RecommendationsPersonalData {
  constructor(private readonly deps: { db: Db; erased: ErasedUsers; retrainFully: () => Promise<unknown> }) {}

  async export(userId: string): Promise<Record<string, unknown>> {
    const { db } = this.deps;
    const [interactions, preferences] = await Promise.all([
      db.collection('interactions').find({ userId }).toArray(),
      db.collection('preferences').findOne({ _id: userId as never }),
    ]);
    return {
      interactions: interactions.map(({ _id: _key, ...i }) => i),
      preferences: preferences ? { language: preferences.language, genres: preferences.genres, at: preferences.at } : null,
    };
  }

  async erase(e: UserDeleted): Promise<void> {
    const { db, erased } = this.deps;
    // First: a signal about them handled meanwhile is then ignored instead of re-created.
    await erased.record(e.userId, new Date());
    await db.collection('interactions').deleteMany({ userId: e.userId });
    await db.collection('preferences').deleteOne({ _id: e.userId as never });
    await this.deps.retrainFully();
  }
}
