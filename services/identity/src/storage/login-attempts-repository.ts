import type { Collection, Db, MongoClient } from 'mongodb';
import type { IdentityEvent } from '../domain/events.js';
import type { LoginAttemptRepository } from '../domain/ports.js';
import type { EventWriter } from '../events/event-writer.js';
import { runInTransaction } from '@flix/events';

interface FailureDoc {
  key: string;
  at: Date;
  expiresAt: Date;
}

/** Failed logins by account and by client address; a TTL index forgets them after the window. */
export class MongoLoginAttemptRepository implements LoginAttemptRepository {
  private readonly failures: Collection<FailureDoc>;

  constructor(private readonly client: MongoClient, db: Db, private readonly writeEvents: EventWriter) {
    this.failures = db.collection<FailureDoc>('login_failures');
  }

  async failuresSince(key: string, since: Date): Promise<{ count: number; oldest: Date | null }> {
    const filter = { key, at: { $gte: since } };
    const [count, oldest] = await Promise.all([
      this.failures.countDocuments(filter),
      this.failures.find(filter).sort({ at: 1 }).limit(1).next(),
    ]);
    return { count, oldest: oldest?.at ?? null };
  }

  async recordFailure(keys: string[], at: Date, expiresAt: Date, events: IdentityEvent[]): Promise<void> {
    await runInTransaction(this.client, async (session) => {
      if (keys.length > 0) await this.failures.insertMany(keys.map((key) => ({ key, at, expiresAt })), { session });
      await this.writeEvents(session, events);
    });
  }

  async recordSuccess(clearKey: string, events: IdentityEvent[]): Promise<void> {
    await runInTransaction(this.client, async (session) => {
      await this.failures.deleteMany({ key: clearKey }, { session });
      await this.writeEvents(session, events);
    });
  }
}
