import type { Collection, Db, Filter } from 'mongodb';
import { isDuplicateKey } from '@flix/mongo';
import type { ErasedUsers } from '@flix/service';
import type { Contact, Delivery, DeliveryFilter, Page, PagePosition, Preferences, RentalReminder } from '../domain/model.js';
import { DEFAULT_PREFERENCES } from '../domain/model.js';
import type { ContactStore, DeliveryOutcome, DeliveryStore, ReminderStore } from '../domain/ports.js';

interface ContactDoc {
  _id: string;
  email?: string;
  displayName?: string;
  language?: string;
  preferences?: Preferences;
  updatedAt: Date;
}

/** Our copy of each account's address, name, language and e-mail preferences. */
export class MongoContactStore implements ContactStore {
  private readonly coll: Collection<ContactDoc>;
  private readonly deliveries: Collection<DeliveryDoc>;
  private readonly reminders: Collection<ReminderDoc>;
  /** The shared tombstones (a one-way pseudonym of each deleted account's id, @flix/service). */
  constructor(db: Db, private readonly erased: ErasedUsers) {
    this.coll = db.collection<ContactDoc>('contacts');
    this.deliveries = db.collection<DeliveryDoc>('deliveries');
    this.reminders = db.collection<ReminderDoc>('rental_reminders');
  }

  async get(userId: string) {
    const d = await this.coll.findOne({ _id: userId });
    if (!d) return null;
    const c: Contact = { userId: d._id, email: d.email ?? '', displayName: d.displayName ?? '', language: d.language ?? 'en' };
    return { ...c, preferences: { ...DEFAULT_PREFERENCES, ...d.preferences } };
  }

  async upsert(c: Partial<Contact> & { userId: string }, at: Date): Promise<void> {
    const set: Partial<ContactDoc> = { updatedAt: at };
    if (c.email !== undefined) set.email = c.email;
    if (c.displayName !== undefined) set.displayName = c.displayName;
    if (c.language !== undefined) set.language = c.language;
    await this.coll.updateOne({ _id: c.userId }, { $set: set }, { upsert: true });
  }

  async savePreferences(userId: string, prefs: Preferences): Promise<void> {
    await this.coll.updateOne({ _id: userId }, { $set: { preferences: prefs, updatedAt: prefs.updatedAt ?? new Date() } }, { upsert: true });
  }

  async erase(userId: string, at: Date): Promise<void> {
    await this.erased.record(userId, at);
    await this.coll.deleteOne({ _id: userId });
  }

  async isErased(userId: string): Promise<boolean> {
    return (await this.erased.erasedAt(userId)) !== null;
  }

  async export(userId: string): Promise<Record<string, unknown>> {
    const contact = await this.coll.findOne({ _id: userId });
    const deliveries = await this.deliveries.find({ userId }, { projection: { message: 0 } }).sort({ createdAt: -1 }).limit(1000).toArray();
    const reminders = await this.reminders.find({ userId }).toArray();
    return {
      contact: contact ? { email: contact.email, displayName: contact.displayName, language: contact.language } : null,
      preferences: { ...DEFAULT_PREFERENCES, ...contact?.preferences },
      deliveries: deliveries.map(({ _id, ...d }) => ({ id: _id, template: d.template, status: d.status, to: d.to, subject: d.subject, createdAt: d.createdAt, sentAt: d.sentAt })),
      rentalReminders: reminders.map(({ _id, ...r }) => ({ id: _id, movieTitle: r.movieTitle, expiresAt: r.expiresAt, dueAt: r.dueAt, status: r.status })),
    };
  }
}

type DeliveryDoc = Omit<Delivery, 'id'> & { _id: string };

const toDelivery = ({ _id, ...d }: DeliveryDoc): Delivery => ({ id: _id, ...d });

/** The delivery log: one document per (trigger, template), its unique _id the exactly-once key. */
export class MongoDeliveryStore implements DeliveryStore {
  private readonly coll: Collection<DeliveryDoc>;
  constructor(db: Db) {
    this.coll = db.collection<DeliveryDoc>('deliveries');
  }

  async exists(id: string): Promise<boolean> {
    return (await this.coll.countDocuments({ _id: id }, { limit: 1 })) > 0;
  }

  async insert(d: Delivery): Promise<boolean> {
    const { id, ...rest } = d;
    try {
      await this.coll.insertOne({ _id: id, ...rest });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async claimDue(now: Date, leaseUntil: Date): Promise<Delivery | null> {
    const d = await this.coll.findOneAndUpdate(
      { status: 'pending', nextAttemptAt: { $lte: now } },
      { $set: { status: 'sending', leaseUntil, updatedAt: now }, $inc: { attempts: 1 } },
      { sort: { nextAttemptAt: 1 }, returnDocument: 'after' },
    );
    return d ? toDelivery(d) : null;
  }

  async claimAbandoned(now: Date, leaseUntil: Date): Promise<Delivery | null> {
    const d = await this.coll.findOneAndUpdate(
      { status: 'sending', leaseUntil: { $lt: now } },
      { $set: { leaseUntil, updatedAt: now, lastError: 'outcome unknown: the sender stopped while handing it to the relay' }, $inc: { uncertainResends: 1, attempts: 1 } },
      { sort: { leaseUntil: 1 }, returnDocument: 'after' },
    );
    return d ? toDelivery(d) : null;
  }

  async finish(id: string, o: DeliveryOutcome): Promise<void> {
    if (o.status === 'pending') {
      await this.coll.updateOne({ _id: id, status: 'sending' }, { $set: { status: 'pending', lastError: o.error, nextAttemptAt: o.nextAttemptAt, leaseUntil: null, updatedAt: o.at } });
      return;
    }
    const d = await this.coll.findOne({ _id: id }, { projection: { eraseWhenSettled: 1 } });
    const set: Partial<DeliveryDoc> = { status: o.status, leaseUntil: null, nextAttemptAt: null, updatedAt: o.at };
    if (o.status === 'sent') {
      set.sentAt = o.at;
      if (o.note) set.lastError = o.note;
      else set.lastError = '';
    } else set.lastError = o.error;
    // Settled: the message (with any token-bearing link) is not kept; an erased account's
    // goodbye forgets its address too.
    const unset: Record<string, ''> = { message: '' };
    if (d?.eraseWhenSettled) set.to = '';
    await this.coll.updateOne({ _id: id }, { $set: set, $unset: unset });
  }

  async list(filter: DeliveryFilter, size: number, after: PagePosition | undefined): Promise<Page<Delivery>> {
    const q: Filter<DeliveryDoc> = {};
    if (filter.userId) q.userId = filter.userId;
    if (filter.status) q.status = filter.status;
    if (filter.template) q.template = filter.template as Delivery['template'];
    if (after) q.$or = [{ createdAt: { $lt: new Date(after.t) } }, { createdAt: new Date(after.t), _id: { $lt: after.id } }];
    const docs = await this.coll.find(q, { projection: { message: 0 } }).sort({ createdAt: -1, _id: -1 }).limit(size + 1).toArray();
    const items = docs.slice(0, size).map(toDelivery);
    const last = items[items.length - 1];
    return { items, next: docs.length > size && last ? { t: last.createdAt.getTime(), id: last.id } : null };
  }

  async eraseUser(userId: string): Promise<number> {
    if (!userId) return 0;
    return (await this.coll.deleteMany({ userId })).deletedCount;
  }

  async suppressIfPending(id: string, reason: string, at: Date): Promise<boolean> {
    const r = await this.coll.updateOne({ _id: id, status: 'pending' }, { $set: { status: 'suppressed', lastError: reason, nextAttemptAt: null, updatedAt: at }, $unset: { message: '' } });
    return r.modifiedCount > 0;
  }
}

type ReminderDoc = Omit<RentalReminder, 'id'> & { _id: string };

export class MongoReminderStore implements ReminderStore {
  private readonly coll: Collection<ReminderDoc>;
  constructor(db: Db) {
    this.coll = db.collection<ReminderDoc>('rental_reminders');
  }

  async schedule(r: RentalReminder): Promise<void> {
    const { id, ...rest } = r;
    // Only a scheduled reminder moves (rental.started brings the expiry forward); a fired or
    // canceled one stays so, whatever order the events arrive in.
    try {
      await this.coll.updateOne({ _id: id, status: 'scheduled' }, { $set: rest }, { upsert: true });
    } catch (err) {
      // The upsert met the same _id in another state: it is settled, nothing to do.
      if (!isDuplicateKey(err)) throw err;
    }
  }

  async cancel(id: string): Promise<boolean> {
    // Kept as canceled (not deleted), so an activation redelivered later does not schedule it again.
    const r = await this.coll.updateOne({ _id: id }, { $set: { status: 'canceled' } });
    return r.modifiedCount > 0;
  }

  async due(now: Date, limit: number): Promise<RentalReminder[]> {
    const docs = await this.coll.find({ status: 'scheduled', dueAt: { $lte: now } }).sort({ dueAt: 1 }).limit(limit).toArray();
    return docs.map(({ _id, ...d }) => ({ id: _id, ...d }));
  }

  async markFired(id: string): Promise<void> {
    await this.coll.updateOne({ _id: id, status: 'scheduled' }, { $set: { status: 'fired' } });
  }

  async cancelForUser(userId: string): Promise<void> {
    await this.coll.deleteMany({ userId });
  }
}
