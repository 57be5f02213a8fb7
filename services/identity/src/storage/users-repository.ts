import type { Collection, Db, Filter, MongoClient } from 'mongodb';
import { DomainError } from '@flix/errors';
import { isDuplicateKey } from '@flix/mongo';
import type { IdentityEvent } from '../domain/events.js';
import type { UserRecord } from '../domain/model.js';
import type { UserRepository } from '../domain/ports.js';
import type { EventWriter } from '../events/event-writer.js';
import { runInTransaction } from '@flix/events';

type UserDoc = Omit<UserRecord, 'id'> & { _id: string };

const toDoc = ({ id, ...rest }: UserRecord): UserDoc => ({ _id: id, ...rest });
const fromDoc = ({ _id, ...rest }: UserDoc): UserRecord => ({ id: _id, ...rest });
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class MongoUserRepository implements UserRepository {
  private readonly users: Collection<UserDoc>;

  constructor(private readonly client: MongoClient, db: Db, private readonly writeEvents: EventWriter) {
    this.users = db.collection<UserDoc>('users');
  }

  async create(user: UserRecord, events: IdentityEvent[]): Promise<void> {
    try {
      await runInTransaction(this.client, async (session) => {
        await this.users.insertOne(toDoc(user), { session });
        await this.writeEvents(session, events);
      });
    } catch (e) {
      if (isDuplicateKey(e))
        throw new DomainError('already_exists', 'EMAIL_TAKEN', 'email: an account with this e-mail already exists', [
          { field: 'email', description: 'an account with this e-mail already exists' },
        ]);
      throw e;
    }
  }

  async findById(id: string): Promise<UserRecord | null> {
    const doc = await this.users.findOne({ _id: id });
    return doc ? fromDoc(doc) : null;
  }

  async findByEmail(email: string): Promise<UserRecord | null> {
    const doc = await this.users.findOne({ email });
    return doc ? fromDoc(doc) : null;
  }

  async replace(user: UserRecord, expectedVersion: number, events: IdentityEvent[]): Promise<UserRecord> {
    const next = { ...user, version: expectedVersion + 1 };
    await runInTransaction(this.client, async (session) => {
      const res = await this.users.replaceOne({ _id: user.id, version: expectedVersion }, toDoc(next), { session });
      if (res.matchedCount === 0)
        throw new DomainError('aborted', 'CONCURRENT_MODIFICATION', 'the account was changed by another request; retry');
      await this.writeEvents(session, events);
    });
    return next;
  }

  async list(query: { limit: number; after?: { createdAt: Date; id: string }; emailPrefix?: string }): Promise<UserRecord[]> {
    const filter: Filter<UserDoc> = this.filter(query.emailPrefix);
    if (query.after) {
      const { createdAt, id } = query.after;
      filter.$or = [{ createdAt: { $lt: createdAt } }, { createdAt, _id: { $lt: id } }];
    }
    const docs = await this.users.find(filter).sort({ createdAt: -1, _id: -1 }).limit(query.limit).toArray();
    return docs.map(fromDoc);
  }

  count(query: { emailPrefix?: string }): Promise<number> {
    return this.users.countDocuments(this.filter(query.emailPrefix));
  }

  private filter(emailPrefix?: string): Filter<UserDoc> {
    return emailPrefix ? { email: { $regex: `^${escapeRegex(emailPrefix)}` } } : {};
  }
}
