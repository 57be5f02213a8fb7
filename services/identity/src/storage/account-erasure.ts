import type { Db, MongoClient } from 'mongodb';
import { DomainError } from '@flix/errors';
import { runInTransaction } from '@flix/events';
import { ERASED_USERS_COLLECTION, type ErasedUsers } from '@flix/service';
import type { AccountErasure } from '../domain/account-deletion.js';
import type { IdentityEvent } from '../domain/events.js';
import type { UserRecord } from '../domain/model.js';
import type { EventWriter } from '../events/event-writer.js';

/**
 * Collections that never hold an account's records by `userId`/`email` (or are handled by name
 * below). Every other collection of identity's database is swept for documents whose `userId`
 * or `email` is the account's, so records added later (reset and verification tokens, OAuth
 * codes and consents) go with the account without this file knowing them.
 */
const NOT_SWEPT = new Set(['users', 'refresh_tokens', 'login_throttle', 'outbox', 'processed_events', 'idempotency_keys', 'signing_keys', ERASED_USERS_COLLECTION]);

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class MongoAccountErasure implements AccountErasure {
  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly writeEvents: EventWriter,
    private readonly erased: ErasedUsers,
  ) {}

  async erase(user: UserRecord, at: Date, events: IdentityEvent[]): Promise<void> {
    const others = (await this.db.listCollections({}, { nameOnly: true }).toArray())
      .map((c) => c.name)
      .filter((name) => !NOT_SWEPT.has(name) && !name.startsWith('system.'));
    await runInTransaction(this.client, async (session) => {
      const s = { session };
      const gone = await this.db.collection('users').deleteOne({ _id: user.id as never, version: user.version }, s);
      if (gone.deletedCount === 0) throw new DomainError('aborted', 'CONCURRENT_MODIFICATION', 'the account was changed by another request; retry');
      // Deleted, not just revoked: they also hold the devices' addresses and user agents.
      await this.db.collection('refresh_tokens').deleteMany({ userId: user.id }, s);
      // Sign-in throttling counters keyed by the e-mail ("account:<email>", "pair:<ip>|<email>").
      await this.db.collection('login_throttle').deleteMany({ _id: { $regex: `^(account:|pair:.*\\|)${escapeRegex(user.email)}$` } as never }, s);
      for (const name of others) await this.db.collection(name).deleteMany({ $or: [{ userId: user.id }, { email: user.email }] }, s);
      await this.erased.record(user.id, at, session);
      await this.writeEvents(session, events);
    });
    // Committed: this instance refuses the account's tokens from now on (others within seconds).
    await this.erased.erasedAt(user.id);
  }

  erasedAt(userId: string): Promise<Date | null> {
    return this.erased.erasedAt(userId);
  }
}
