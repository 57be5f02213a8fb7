import type { Db } from 'mongodb';
import type { UserDeleted } from '@flix/proto/flix/identity/v1/events';
import { pseudonymOf, type ErasedUsers } from '@flix/service';

/** Where an account's id sits in the payloads the event store keeps (proto3 JSON). */
const USER_PATHS = ['userId', 'payload.userId', 'payload.subscription.userId', 'payload.rental.userId', 'payload.payment.userId', 'payload.session.userId'];

/** Newest raw events exported in full. */
const EXPORT_EVENTS = 1_000;

/** What stands in for an erased account in the subscription rollup. */
export const erasedOwner = (userId: string) => `erased:${pseudonymOf(userId).slice(0, 32)}`;

/**
 * What analytics holds about a person, exported and erased (issue 14). The raw copies of the
 * events about them (the event store, dead letters included) and their active-day markers are
 * deleted; the subscription rollup keeps their subscriptions under a pseudonym, so churn and
 * revenue figures do not change; counts (daily rollups, title rollups, alerts) never held an
 * account id. Events about the account that arrive later are counted but not stored raw.
 */
export class AnalyticsPersonalData {
  constructor(private readonly deps: { db: Db; erased: ErasedUsers; eventsCollection: string }) {}

  private filter(userId: string, email: string): Record<string, unknown> {
    return { $or: [...USER_PATHS.map((path) => ({ [path]: userId })), ...(email ? [{ 'payload.email': email }] : [])] };
  }

  /**
   * The event copies are the same events the other services' parts describe: the count per
   * subject, and the newest EXPORT_EVENTS in full (a whole history would outgrow a gRPC message).
   */
  async export(userId: string): Promise<Record<string, unknown>> {
    const { db } = this.deps;
    const store = db.collection(this.deps.eventsCollection);
    const [events, counts, subscriptions] = await Promise.all([
      store.find(this.filter(userId, ''), { projection: { _id: 0 } }).sort({ time: -1 }).limit(EXPORT_EVENTS).toArray(),
      store.aggregate<{ _id: string; n: number }>([{ $match: this.filter(userId, '') }, { $group: { _id: '$meta.subject', n: { $sum: 1 } } }]).toArray(),
      db.collection('subscriptions').find({ userId }).toArray(),
    ]);
    return {
      eventCounts: Object.fromEntries(counts.map((c) => [c._id, c.n])),
      events: events.map((e) => ({ time: e.time, subject: e.meta?.subject, type: e.type, payload: e.payload })),
      subscriptions: subscriptions.map(({ _id, ...s }) => ({ id: _id, ...s })),
    };
  }

  async erase(e: UserDeleted): Promise<void> {
    // First: an event about them ingested meanwhile is then not stored raw.
    await this.deps.erased.record(e.userId, new Date());
    await this.forget(e.userId, e.email);
  }

  /** As far as this instance knows (memory): ingestion then writes nothing per account. */
  isErased(userId: string): boolean {
    return this.deps.erased.isErased(userId);
  }

  /**
   * After ingestion wrote about these accounts: one erased meanwhile (its erasure may have
   * deleted before the write landed, e.g. the raw copy of identity.user.deleted itself, stored
   * by the 'analytics' consumer while 'analytics-privacy' erased) is erased again.
   */
  async eraseIfErasedMeanwhile(userIds: string[]): Promise<void> {
    for (const userId of await this.deps.erased.erasedAmong(userIds)) await this.forget(userId, '');
  }

  private async forget(userId: string, email: string): Promise<void> {
    const { db } = this.deps;
    await db.collection(this.deps.eventsCollection).deleteMany(this.filter(userId, email));
    await db.collection('active_users').deleteMany({ _id: { $regex: `:${userId}$` } as never });
    await db.collection('subscriptions').updateMany({ userId }, { $set: { userId: erasedOwner(userId) } });
  }
}
