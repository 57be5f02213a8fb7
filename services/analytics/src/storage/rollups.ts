import type { ClientSession, Db, MongoClient } from 'mongodb';
import { runInTransaction } from '@flix/events';
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

export interface RollupItem {
  /** The once-only key: the event id (dead letters: dlq:<msg id>). */
  key: string;
  facts: Facts;
}

type Inc = Record<string, number>;
const addTo = (map: Map<string, Inc>, id: string, inc: Partial<Record<string, number>>) => {
  const cur = map.get(id) ?? {};
  for (const [k, v] of Object.entries(inc)) if (v) cur[k] = (cur[k] ?? 0) + v;
  map.set(id, cur);
};

/**
 * The rollups, updated incrementally in one transaction per batch of events together with each
 * event's `ingested` marker: a marker already there means the event was counted (a redelivery,
 * even after a crash between commit and ack) and it is left out; two deliveries racing in
 * separate transactions collide on the marker's unique _id and one aborts. Every update is an
 * increment, an insert-if-absent or a keep-the-newest, so the outcome does not depend on the
 * order events arrive in.
 */
export class RollupStore {
  constructor(
    private readonly client: MongoClient,
    readonly db: Db,
  ) {}

  /** Applies the facts of one event once; false when it had been counted already. */
  async apply(key: string, facts: Facts): Promise<boolean> {
    return (await this.applyBatch([{ key, facts }])).has(key);
  }

  /** Applies each event's facts once; returns the keys counted now (the rest were counted before). */
  async applyBatch(items: RollupItem[]): Promise<Set<string>> {
    return runInTransaction(this.client, (session) => this.write(session, items));
  }

  private async write(session: ClientSession, items: RollupItem[]): Promise<Set<string>> {
    const db = this.db;
    const ingested = db.collection<{ _id: string; at: Date; time: Date }>('ingested');
    const keys = [...new Set(items.map((i) => i.key))];
    const seen = new Set((await ingested.find({ _id: { $in: keys } }, { session, projection: { _id: 1 } }).toArray()).map((d) => d._id));
    const fresh: RollupItem[] = [];
    for (const item of items) {
      if (seen.has(item.key)) continue;
      seen.add(item.key); // the same event twice in one batch counts once
      fresh.push(item);
    }
    const counted = new Set(fresh.map((i) => i.key));
    if (fresh.length === 0) return counted;
    const now = new Date();
    await ingested.insertMany(fresh.map((i) => ({ _id: i.key, at: now, time: i.facts.time })), { session });

    const daily = new Map<string, Inc>();
    const monthly = new Map<string, Inc>();
    const titles = new Map<string, Inc>();
    const minutes = new Map<string, Inc>();
    // Distinct active users: the insert-if-absent of (day, user) and (month, user) tells
    // whether this is the account's first activity of that day or month.
    const activity = new Map<string, { kind: 'd' | 'm'; bucket: string }>();
    for (const { facts: f } of fresh) {
      const day = dayKey(f.time);
      addTo(daily, day, f.daily);
      if (f.title) addTo(titles, `${day}|${f.title.movieId}`, f.title.inc);
      if (f.signals) addTo(minutes, minuteStart(f.time).toISOString(), f.signals);
      if (f.activeUserId) {
        activity.set(`d:${day}:${f.activeUserId}`, { kind: 'd', bucket: day });
        activity.set(`m:${monthKey(f.time)}:${f.activeUserId}`, { kind: 'm', bucket: monthKey(f.time) });
      }
    }
    if (activity.size > 0) {
      const ids = [...activity.keys()];
      const r = await db
        .collection<{ _id: string; at: Date }>('active_users')
        .bulkWrite(ids.map((id) => ({ updateOne: { filter: { _id: id }, update: { $setOnInsert: { at: now } }, upsert: true } })), { session, ordered: false });
      for (const index of Object.keys(r.upsertedIds)) {
        const a = activity.get(ids[Number(index)]!)!;
        if (a.kind === 'd') addTo(daily, a.bucket, { dau: 1 });
        else addTo(monthly, a.bucket, { mau: 1 });
      }
    }
    const incAll = async (name: string, map: Map<string, Inc>, extra: (id: string) => Record<string, unknown> = () => ({})) => {
      if (map.size === 0) return;
      await db.collection<{ _id: string }>(name).bulkWrite(
        [...map].map(([id, inc]) => {
          const onInsert = extra(id);
          return { updateOne: { filter: { _id: id }, update: { $inc: inc, ...(Object.keys(onInsert).length > 0 ? { $setOnInsert: onInsert } : {}) }, upsert: true } };
        }),
        { session, ordered: false },
      );
    };
    await incAll('daily', daily);
    await incAll('monthly', monthly);
    await incAll('title_daily', titles, (id) => ({ day: id.slice(0, 10), movieId: id.slice(11) }));
    await incAll('signal_minutes', minutes, (id) => ({ at: new Date(id) }));

    const subOps = fresh.flatMap(({ facts: f }) => {
      const s = f.subscription;
      if (!s) return [];
      const earliest: Partial<SubscriptionDoc> = {};
      if (s.accessSince) earliest.accessSince = s.accessSince;
      if (s.endedAt) earliest.endedAt = s.endedAt;
      return [
        { updateOne: { filter: { _id: s.subscriptionId }, update: { $setOnInsert: { firstSeen: f.time }, ...(Object.keys(earliest).length > 0 ? { $min: earliest } : {}) }, upsert: true } },
        // The newest observation decides plan and state, whatever order they arrive in.
        {
          updateOne: {
            filter: { _id: s.subscriptionId, $or: [{ observedAt: { $exists: false } }, { observedAt: { $lt: s.observedAt } }] },
            update: { $set: { userId: s.userId, planId: s.planId, state: s.state, observedAt: s.observedAt } },
          },
        },
      ];
    });
    // In order: each observation's compare with the stored newest sees the ones before it.
    if (subOps.length > 0) await db.collection<SubscriptionDoc>('subscriptions').bulkWrite(subOps, { session, ordered: true });

    const prices = fresh.flatMap(({ facts: f }) => (f.observedPrice ? [f.observedPrice] : []));
    if (prices.length > 0) {
      // Only for plans billing's plan list has not told us about.
      await db.collection<{ _id: string }>('plan_prices').bulkWrite(
        prices.map((p) => ({ updateOne: { filter: { _id: p.planId }, update: { $setOnInsert: { amountMinor: p.amountMinor, currency: p.currency, months: p.months, source: 'payment' } }, upsert: true } })),
        { session, ordered: false },
      );
    }
    return counted;
  }
}
