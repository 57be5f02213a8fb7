import { MongoServerError, type Collection, type Db, type MongoClient } from 'mongodb';
import type { IdentityEvent } from '../domain/events.js';
import type { LoginAttemptRepository, ThrottleCounter } from '../domain/ports.js';
import type { EventWriter } from '../events/event-writer.js';
import { runInTransaction } from '@flix/events';

interface CounterDoc extends ThrottleCounter {
  /** "pair:<ip>|<email>", "ip:<ip>" or "account:<email>". */
  _id: string;
  /** Bumped by every write: the compare-and-set token. */
  rev: number;
  expiresAt: Date;
}

const DUPLICATE_KEY = 11000;

/**
 * Failed-sign-in counters, one document per key, shared by every identity replica. A TTL index
 * deletes a counter once it can no longer delay anything; the domain also ignores a stale one,
 * since the TTL monitor only runs every so often.
 */
export class MongoLoginAttemptRepository implements LoginAttemptRepository {
  private readonly counters: Collection<CounterDoc>;

  constructor(private readonly client: MongoClient, db: Db, private readonly writeEvents: EventWriter) {
    this.counters = db.collection<CounterDoc>('login_throttle');
  }

  async read(keys: string[]): Promise<Map<string, ThrottleCounter & { rev: number }>> {
    const docs = await this.counters.find({ _id: { $in: keys } }).toArray();
    return new Map(docs.map((d) => [d._id, { failures: d.failures, windowStart: d.windowStart, blockedUntil: d.blockedUntil, rev: d.rev }]));
  }

  async compareAndSet(key: string, expectedRev: number | null, next: ThrottleCounter, expiresAt: Date): Promise<boolean> {
    const fields = { failures: next.failures, windowStart: next.windowStart, blockedUntil: next.blockedUntil, expiresAt };
    if (expectedRev === null) {
      try {
        await this.counters.insertOne({ _id: key, ...fields, rev: 1 });
        return true;
      } catch (e) {
        if (e instanceof MongoServerError && e.code === DUPLICATE_KEY) return false;
        throw e;
      }
    }
    const res = await this.counters.updateOne({ _id: key, rev: expectedRev }, { $set: { ...fields, rev: expectedRev + 1 } });
    return res.matchedCount === 1;
  }

  async recordFailure(events: IdentityEvent[]): Promise<void> {
    if (events.length === 0) return;
    await runInTransaction(this.client, (session) => this.writeEvents(session, events));
  }

  async recordSuccess(clearKey: string, events: IdentityEvent[]): Promise<void> {
    await runInTransaction(this.client, async (session) => {
      await this.counters.deleteOne({ _id: clearKey }, { session });
      await this.writeEvents(session, events);
    });
  }
}
