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
    // First: a signal about them handled meanwhile is then ignored instead of re-created.
    await this.deps.erased.record(e.userId, new Date());
    await this.forget(e.userId);
  }

  /** As far as this instance knows (memory): a signal about the account is then ignored. */
  isErased(userId: string): boolean {
    return this.deps.erased.isErased(userId);
  }

  /**
   * After a consumer wrote about the account: if it was erased meanwhile (the erasure, on
   * another consumer, may have deleted before the write landed), erase it again.
   */
  async eraseIfErasedMeanwhile(userId: string): Promise<void> {
    if ((await this.deps.erased.erasedAmong([userId])).size > 0) await this.forget(userId);
  }

  private async forget(userId: string): Promise<void> {
    const { db } = this.deps;
    await db.collection('interactions').deleteMany({ userId });
    await db.collection('preferences').deleteOne({ _id: userId as never });
    await this.deps.retrainFully();
  }
}
