import type { ClientSession, Db, MongoClient } from 'mongodb';
import { runInTransaction } from '@flix/events';
import { isDuplicateKey } from '@flix/mongo';
import { dayKey, minuteStart, monthKey, type Facts } from '../domain/model.js';

export interface DailyDoc {
  _id: string;
  dau?: number;
}

export interface SubscriptionDoc {
  _id: string;
  userId?: string;
  planId?: string;
  state?: string;
  observedAt?: Date;
  accessSince?: Date;
  endedAt?: Date;
  firstSeen?: Date;
}

class AlreadyIngested extends Error {}

/**
 * The rollups, updated incrementally in one transaction per event together with the event's
 * `ingested` marker: the marker's unique _id makes a second delivery of the event abort its
 * transaction, so nothing is ever counted twice, even when the process died after the commit
 * but before the ack. Every update is an increment, an insert-if-absent or a keep-the-newest,
 * so the result does not depend on the order events arrive in.
 */
export class RollupStore {
  constructor(
    private readonly client: MongoClient,
    readonly db: Db,
  ) {}

  /** Applies the facts once; false when the event had been counted already. */
  async apply(key: string, facts: Facts): Promise<boolean> {
    try {
      await runInTransaction(this.client, (session) => this.write(session, key, facts));
      return true;
    } catch (err) {
      if (err instanceof AlreadyIngested) return false;
      throw err;
    }
  }

  private async write(session: ClientSession, key: string, f: Facts): Promise<void> {
    const db = this.db;
    try {
      await db.collection<{ _id: string; at: Date; time: Date }>('ingested').insertOne({ _id: key, at: new Date(), time: f.time }, { session });
    } catch (err) {
      if (isDuplicateKey(err)) throw new AlreadyIngested();
      throw err;
    }
    const day = dayKey(f.time);
    const inc: Record<string, number> = { ...(f.daily as Record<string, number>) };
    if (f.activeUserId) {
      const users = db.collection<{ _id: string; at: Date }>('active_users');
      const seen = (id: string) =>
        users.updateOne({ _id: id }, { $setOnInsert: { at: new Date() } }, { upsert: true, session }).then((r) => r.upsertedCount === 1);
      if (await seen(`d:${day}:${f.activeUserId}`)) inc.dau = 1;
      const month = monthKey(f.time);
      if (await seen(`m:${month}:${f.activeUserId}`)) {
        await db.collection<{ _id: string }>('monthly').updateOne({ _id: month }, { $inc: { mau: 1 } }, { upsert: true, session });
      }
    }
    await db.collection<{ _id: string }>('daily').updateOne({ _id: day }, { $inc: inc }, { upsert: true, session });
    if (f.title) {
      await db
        .collection<{ _id: string }>('title_daily')
        .updateOne({ _id: `${day}|${f.title.movieId}` }, { $inc: f.title.inc as Record<string, number>, $setOnInsert: { day, movieId: f.title.movieId } }, { upsert: true, session });
    }
    if (f.signals) {
      const minute = minuteStart(f.time);
      await db
        .collection<{ _id: string }>('signal_minutes')
        .updateOne({ _id: minute.toISOString() }, { $inc: f.signals as Record<string, number>, $setOnInsert: { at: minute } }, { upsert: true, session });
    }
    if (f.subscription) {
      const s = f.subscription;
      const subs = db.collection<SubscriptionDoc>('subscriptions');
      const earliest: Partial<SubscriptionDoc> = {};
      if (s.accessSince) earliest.accessSince = s.accessSince;
      if (s.endedAt) earliest.endedAt = s.endedAt;
      await subs.updateOne(
        { _id: s.subscriptionId },
        { $setOnInsert: { firstSeen: f.time }, ...(Object.keys(earliest).length > 0 ? { $min: earliest } : {}) },
        { upsert: true, session },
      );
      // The newest observation decides plan and state, whatever order they arrive in.
      await subs.updateOne(
        { _id: s.subscriptionId, $or: [{ observedAt: { $exists: false } }, { observedAt: { $lt: s.observedAt } }] },
        { $set: { userId: s.userId, planId: s.planId, state: s.state, observedAt: s.observedAt } },
        { session },
      );
    }
    if (f.observedPrice) {
      const p = f.observedPrice;
      // Only for plans billing's plan list has not told us about.
      await db
        .collection<{ _id: string }>('plan_prices')
        .updateOne({ _id: p.planId }, { $setOnInsert: { amountMinor: p.amountMinor, currency: p.currency, months: p.months, source: 'payment' } }, { upsert: true, session });
    }
  }
}
