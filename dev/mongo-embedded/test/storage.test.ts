/**
 * Storage behaviour through the official driver. Written against MongoDB's documented behaviour:
 * with MONGO_URL set (a replica set) the same suite runs against a real server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoBulkWriteError, MongoServerError, ObjectId, type CollectionInfo, type Db, type Document } from 'mongodb';
import { REAL_MONGO_URL, openHarness, type Harness } from './harness.js';

let h: Harness;
let db: Db;

beforeAll(async () => {
  h = await openHarness();
  db = h.db;
});
afterAll(async () => {
  await h?.stop();
});

async function serverError(p: Promise<unknown>): Promise<MongoServerError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof MongoServerError) return e;
    throw e;
  }
  throw new Error('expected the server to refuse');
}

describe('CRUD', () => {
  it('inserts, finds, updates, replaces and deletes', async () => {
    const c = db.collection('crud');
    const { insertedId } = await c.insertOne({ name: 'Alien', year: 1979, tags: ['sci-fi'] });
    expect(insertedId).toBeInstanceOf(ObjectId);
    expect(await c.findOne({ _id: insertedId })).toEqual({ _id: insertedId, name: 'Alien', year: 1979, tags: ['sci-fi'] });

    const upd = await c.updateOne({ _id: insertedId }, { $set: { year: 1980 } });
    expect([upd.matchedCount, upd.modifiedCount]).toEqual([1, 1]);
    const same = await c.updateOne({ _id: insertedId }, { $set: { year: 1980 } });
    expect([same.matchedCount, same.modifiedCount]).toEqual([1, 0]);

    const rep = await c.replaceOne({ _id: insertedId }, { name: 'Aliens', year: 1986 });
    expect(rep.modifiedCount).toBe(1);
    expect(await c.findOne({ _id: insertedId })).toEqual({ _id: insertedId, name: 'Aliens', year: 1986 });

    expect((await c.deleteOne({ _id: insertedId })).deletedCount).toBe(1);
    expect(await c.findOne({ _id: insertedId })).toBeNull();
  });

  it('keeps custom _id values and rejects a duplicate _id', async () => {
    const c = db.collection('ids');
    await c.insertOne({ _id: 'user-1' as unknown as ObjectId, v: 1 });
    const e = await serverError(c.insertOne({ _id: 'user-1' as unknown as ObjectId, v: 2 }));
    expect(e.code).toBe(11000);
    expect(e.message).toContain('index: _id_ dup key: { _id: "user-1" }');
    expect(await c.countDocuments()).toBe(1);
  });

  it('updateMany and deleteMany touch every match', async () => {
    const c = db.collection('many');
    await c.insertMany([1, 2, 3, 4, 5, 6].map((i) => ({ i, even: i % 2 === 0 })));
    const u = await c.updateMany({ even: true }, { $set: { flagged: true } });
    expect([u.matchedCount, u.modifiedCount]).toEqual([3, 3]);
    expect(await c.countDocuments({ flagged: true })).toBe(3);
    expect((await c.deleteMany({ i: { $gt: 4 } })).deletedCount).toBe(2);
    expect(await c.countDocuments()).toBe(4);
  });
});

describe('update operators', () => {
  it('applies field, array and arithmetic operators', async () => {
    const c = db.collection('ops');
    const { insertedId: _id } = await c.insertOne({
      a: 1, b: 10, price: 2.5, lo: 5, hi: 5, tags: ['x', 'y'], list: [1, 2, 3, 4], old: 'v', gone: true, nested: { k: 1 },
    });
    await c.updateOne(
      { _id },
      {
        $inc: { a: 2 },
        $mul: { price: 2 },
        $min: { lo: 3 },
        $max: { hi: 9 },
        $set: { 'nested.k': 2, 'nested.deep.z': 'new' },
        $unset: { gone: '' },
        $rename: { old: 'renamed' },
        $addToSet: { tags: 'z' },
        $pull: { list: { $gte: 3 } },
        $currentDate: { touchedAt: true },
      } as Document,
    );
    const d = (await c.findOne({ _id })) as Document;
    expect(d).toMatchObject({ a: 3, b: 10, price: 5, lo: 3, hi: 9, renamed: 'v', tags: ['x', 'y', 'z'], list: [1, 2], nested: { k: 2, deep: { z: 'new' } } });
    expect(d.gone).toBeUndefined();
    expect(d.old).toBeUndefined();
    expect(d.touchedAt).toBeInstanceOf(Date);

    await c.updateOne({ _id }, { $push: { list: { $each: [7, 8, 9], $slice: -3 } }, $pop: { tags: -1 } } as Document);
    expect(await c.findOne({ _id }, { projection: { _id: 0, list: 1, tags: 1 } })).toEqual({ list: [7, 8, 9], tags: ['y', 'z'] });
  });

  it('supports the positional operator and arrayFilters', async () => {
    const c = db.collection('arrays');
    const { insertedId: _id } = await c.insertOne({ grades: [{ s: 'math', v: 50 }, { s: 'art', v: 90 }, { s: 'bio', v: 40 }] });
    await c.updateOne({ _id, 'grades.s': 'art' }, { $set: { 'grades.$.v': 95 } });
    await c.updateOne({ _id }, { $inc: { 'grades.$[low].v': 10 } }, { arrayFilters: [{ 'low.v': { $lt: 60 } }] });
    const d = await c.findOne({ _id });
    expect(d?.grades).toEqual([{ s: 'math', v: 60 }, { s: 'art', v: 95 }, { s: 'bio', v: 50 }]);
  });

  it('supports pipeline-style updates', async () => {
    const c = db.collection('pipeupd');
    const { insertedId: _id } = await c.insertOne({ first: 'Ada', last: 'Lovelace' });
    await c.updateOne({ _id }, [{ $set: { full: { $concat: ['$first', ' ', '$last'] } } }, { $unset: 'first' }]);
    expect(await c.findOne({ _id }, { projection: { _id: 0 } })).toEqual({ last: 'Lovelace', full: 'Ada Lovelace' });
  });

  it('fails loudly on operators applied to the wrong type', async () => {
    const c = db.collection('typed');
    const { insertedId: _id } = await c.insertOne({ s: 'text', n: 1 });
    expect((await serverError(c.updateOne({ _id }, { $inc: { s: 1 } }))).code).toBe(14); // TypeMismatch
    expect((await serverError(c.updateOne({ _id }, { $push: { s: 1 } } as Document))).code).toBe(2); // BadValue
    expect((await serverError(c.updateOne({ _id }, { $set: { n: 2 }, $inc: { n: 1 } }))).code).toBe(40); // ConflictingUpdateOperators
    expect(await c.findOne({ _id }, { projection: { _id: 0 } })).toEqual({ s: 'text', n: 1 });
  });

  it('refuses to change _id', async () => {
    const c = db.collection('immutable');
    const { insertedId: _id } = await c.insertOne({ v: 1 });
    const e = await serverError(c.updateOne({ _id }, { $set: { _id: new ObjectId() } }));
    expect(e.code).toBe(66); // ImmutableField (write errors carry no codeName)
  });
});

describe('upsert', () => {
  it('inserts from the query equalities plus the update, with $setOnInsert only on insert', async () => {
    const c = db.collection('upsert');
    const first = await c.updateOne({ userId: 'u1', 'profile.kind': 'main' }, { $set: { seen: 1 }, $setOnInsert: { createdBy: 'upsert' } }, { upsert: true });
    expect(first.upsertedCount).toBe(1);
    expect(first.upsertedId).toBeInstanceOf(ObjectId);
    expect(await c.findOne({ _id: first.upsertedId as ObjectId }, { projection: { _id: 0 } })).toEqual({
      userId: 'u1', profile: { kind: 'main' }, seen: 1, createdBy: 'upsert',
    });

    const second = await c.updateOne({ userId: 'u1' }, { $set: { seen: 2 }, $setOnInsert: { createdBy: 'again' } }, { upsert: true });
    expect([second.matchedCount, second.modifiedCount, second.upsertedCount]).toEqual([1, 1, 0]);
    expect((await c.findOne({ userId: 'u1' }))?.createdBy).toBe('upsert');
  });

  it('upserts with a given _id, via replaceOne and via findOneAndUpdate', async () => {
    const c = db.collection('upsert2');
    const r = await c.replaceOne({ _id: 'k1' as unknown as ObjectId }, { v: 1 }, { upsert: true });
    expect(r.upsertedId).toBe('k1');
    expect(await c.findOne({ _id: 'k1' as unknown as ObjectId })).toEqual({ _id: 'k1', v: 1 });

    const after = await c.findOneAndUpdate({ _id: 'k2' as unknown as ObjectId }, { $inc: { n: 1 } }, { upsert: true, returnDocument: 'after' });
    expect(after).toEqual({ _id: 'k2', n: 1 });
    const before = await c.findOneAndUpdate({ _id: 'k2' as unknown as ObjectId }, { $inc: { n: 1 } }, { returnDocument: 'before' });
    expect(before).toEqual({ _id: 'k2', n: 1 });
    const res = await c.findOneAndUpdate({ _id: 'k3' as unknown as ObjectId }, { $set: { x: 1 } }, { upsert: true, includeResultMetadata: true });
    expect(res.value).toBeNull();
    expect(res.lastErrorObject).toMatchObject({ n: 1, updatedExisting: false, upserted: 'k3' });
  });

  it('bulkWrite reports upserted ids by index', async () => {
    const c = db.collection('bulkupsert');
    const r = await c.bulkWrite([
      { insertOne: { document: { k: 'a' } } },
      { updateOne: { filter: { k: 'b' }, update: { $set: { v: 1 } }, upsert: true } },
      { updateOne: { filter: { k: 'a' }, update: { $set: { v: 2 } }, upsert: true } },
      { deleteOne: { filter: { k: 'zzz' } } },
    ]);
    expect(r.insertedCount).toBe(1);
    expect(r.upsertedCount).toBe(1);
    expect(Object.keys(r.upsertedIds)).toEqual(['1']);
    expect(r.matchedCount).toBe(1);
    expect(r.deletedCount).toBe(0);
  });
});

describe('queries and cursors', () => {
  beforeAll(async () => {
    const c = db.collection('movies');
    await c.insertMany(
      Array.from({ length: 250 }, (_, i) => ({
        n: i,
        title: `Movie ${String(i).padStart(3, '0')}`,
        genre: ['drama', 'comedy', 'horror'][i % 3],
        rating: (i * 7) % 10,
        cast: i % 2 ? ['ann', 'bob'] : ['cid'],
        released: new Date(Date.UTC(2000 + (i % 20), 0, 1)),
      })),
    );
  });

  it('iterates a cursor across several batches with getMore', async () => {
    const started: string[] = [];
    const listener = (ev: { commandName: string }) => started.push(ev.commandName);
    const { MongoClient } = await import('mongodb');
    const client = await new MongoClient(h.url, { monitorCommands: true }).connect();
    client.on('commandStarted', listener);
    try {
      const docs = await client.db(db.databaseName).collection('movies').find({}, { batchSize: 40 }).toArray();
      expect(docs).toHaveLength(250);
      expect(new Set(docs.map((d) => d.n)).size).toBe(250);
      expect(started.filter((n) => n === 'getMore').length).toBeGreaterThanOrEqual(6);
    } finally {
      await client.close();
    }
  });

  it('closes a cursor early with killCursors', async () => {
    const cursor = db.collection('movies').find({}, { batchSize: 10 });
    expect(await cursor.next()).not.toBeNull();
    await cursor.close();
    expect(cursor.killed).toBe(true);
  });

  it('applies sort, skip, limit and projection', async () => {
    const c = db.collection('movies');
    const docs = await c.find({ genre: 'drama' }, { projection: { _id: 0, n: 1, title: 1 } }).sort({ rating: -1, n: 1 }).skip(2).limit(3).toArray();
    const all = (await c.find({ genre: 'drama' }).toArray()).sort((a, b) => b.rating - a.rating || a.n - b.n);
    expect(docs).toEqual(all.slice(2, 5).map((d) => ({ n: d.n, title: d.title })));
    const excl = await c.findOne({ n: 5 }, { projection: { cast: 0, released: 0 } });
    expect(Object.keys(excl ?? {}).sort()).toEqual(['_id', 'genre', 'n', 'rating', 'title']);
  });

  it('matches comparison, logical, array, element and regex operators', async () => {
    const c = db.collection('movies');
    expect(await c.countDocuments({ n: { $in: [1, 2, 3, 999] } })).toBe(3);
    expect(await c.countDocuments({ $or: [{ n: 0 }, { n: { $gte: 248 } }] })).toBe(3);
    expect(await c.countDocuments({ cast: 'bob', n: { $lt: 10 } })).toBe(5);
    expect(await c.countDocuments({ cast: { $all: ['ann', 'bob'] }, cast2: { $exists: false } })).toBe(125);
    expect(await c.countDocuments({ title: /^Movie 00/ })).toBe(10);
    expect(await c.countDocuments({ released: { $gte: new Date(Date.UTC(2019, 0, 1)) } })).toBe(12);
    expect(await c.countDocuments({ n: { $not: { $lt: 200 } }, genre: { $ne: 'horror' } })).toBe(33);
    expect(await c.countDocuments({ _id: { $type: 'objectId' } })).toBe(250);
  });

  it('counts and lists distinct values', async () => {
    const c = db.collection('movies');
    expect(await c.countDocuments({ genre: 'comedy' })).toBe(83);
    expect(await c.countDocuments({}, { skip: 200, limit: 30 })).toBe(30);
    expect(await c.estimatedDocumentCount()).toBe(250);
    expect((await c.distinct('genre')).sort()).toEqual(['comedy', 'drama', 'horror']);
    expect((await c.distinct('cast', { n: { $lt: 4 } })).sort()).toEqual(['ann', 'bob', 'cid']);
  });
});

describe('aggregation', () => {
  beforeAll(async () => {
    await db.collection('orders').insertMany([
      { _id: 1 as unknown as ObjectId, user: 'u1', items: [{ sku: 'a', qty: 2 }, { sku: 'b', qty: 1 }], total: 30 },
      { _id: 2 as unknown as ObjectId, user: 'u2', items: [{ sku: 'a', qty: 1 }], total: 10 },
      { _id: 3 as unknown as ObjectId, user: 'u1', items: [{ sku: 'c', qty: 5 }], total: 55 },
      { _id: 4 as unknown as ObjectId, user: 'u3', items: [], total: 0 },
    ]);
    await db.collection('users').insertMany([
      { _id: 'u1' as unknown as ObjectId, name: 'Ann' },
      { _id: 'u2' as unknown as ObjectId, name: 'Bob' },
    ]);
  });

  it('runs $match $group $sort $limit $skip $project', async () => {
    const out = await db
      .collection('orders')
      .aggregate([
        { $match: { total: { $gt: 0 } } },
        { $group: { _id: '$user', spent: { $sum: '$total' }, orders: { $sum: 1 } } },
        { $sort: { spent: -1 } },
        { $skip: 0 },
        { $limit: 5 },
        { $project: { _id: 0, user: '$_id', spent: 1, orders: 1 } },
      ])
      .toArray();
    expect(out).toEqual([
      { spent: 85, orders: 2, user: 'u1' },
      { spent: 10, orders: 1, user: 'u2' },
    ]);
  });

  it('runs $unwind $count $addFields $set $sortByCount $bucket $facet', async () => {
    const orders = db.collection('orders');
    expect(await orders.aggregate([{ $unwind: '$items' }, { $count: 'lines' }]).toArray()).toEqual([{ lines: 4 }]);
    const added = await orders.aggregate([{ $match: { _id: 2 } }, { $addFields: { n: { $size: '$items' } } }, { $set: { big: { $gt: ['$total', 5] } } }]).toArray();
    expect(added[0]).toMatchObject({ n: 1, big: true });
    expect(await orders.aggregate([{ $unwind: '$items' }, { $sortByCount: '$items.sku' }, { $sort: { count: -1, _id: 1 } }]).toArray()).toEqual([
      { _id: 'a', count: 2 },
      { _id: 'b', count: 1 },
      { _id: 'c', count: 1 },
    ]);
    expect(await orders.aggregate([{ $bucket: { groupBy: '$total', boundaries: [0, 20, 100], default: 'other' } }]).toArray()).toEqual([
      { _id: 0, count: 2 },
      { _id: 20, count: 2 },
    ]);
    const [facets] = await orders
      .aggregate([{ $facet: { top: [{ $sort: { total: -1 } }, { $limit: 1 }, { $project: { _id: 1 } }], n: [{ $count: 'c' }] } }])
      .toArray();
    expect(facets).toEqual({ top: [{ _id: 3 }], n: [{ c: 4 }] });
  });

  it('joins with $lookup in the same database', async () => {
    const out = await db
      .collection('orders')
      .aggregate([
        { $match: { _id: { $in: [1, 2] } } },
        { $lookup: { from: 'users', localField: 'user', foreignField: '_id', as: 'who' } },
        { $project: { _id: 1, name: { $first: '$who.name' } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(out).toEqual([
      { _id: 1, name: 'Ann' },
      { _id: 2, name: 'Bob' },
    ]);
  });

  it('counts with countDocuments over an aggregate and iterates aggregate cursors in batches', async () => {
    const c = db.collection('aggbatches');
    await c.insertMany(Array.from({ length: 120 }, (_, i) => ({ i })));
    const docs = await c.aggregate([{ $match: { i: { $gte: 10 } } }], { batchSize: 25 }).toArray();
    expect(docs).toHaveLength(110);
  });

  it.skipIf(REAL_MONGO_URL)('refuses $out and $merge loudly', async () => {
    const e = await serverError(db.collection('orders').aggregate([{ $out: 'copy' }]).toArray());
    expect(e.codeName).toBe('CommandNotSupported');
    const m = await serverError(db.collection('orders').aggregate([{ $merge: { into: 'copy' } }]).toArray());
    expect(m.codeName).toBe('CommandNotSupported');
  });
});

describe('unique indexes', () => {
  it('rejects a duplicate via insertOne with MongoDB’s error shape', async () => {
    const c = db.collection('accounts');
    expect(await c.createIndex({ email: 1 }, { unique: true })).toBe('email_1');
    await c.insertOne({ email: 'a@b.c' });
    const e = await serverError(c.insertOne({ email: 'a@b.c' }));
    expect(e.code).toBe(11000);
    expect(e.message).toBe(`E11000 duplicate key error collection: ${db.databaseName}.accounts index: email_1 dup key: { email: "a@b.c" }`);
    expect(e.keyPattern).toEqual({ email: 1 });
    expect(e.keyValue).toEqual({ email: 'a@b.c' });
  });

  it('reports insertMany duplicates as MongoBulkWriteError (ordered stops, unordered continues)', async () => {
    const c = db.collection('accounts');
    let ordered: unknown;
    await c.insertMany([{ email: 'o1' }, { email: 'a@b.c' }, { email: 'o2' }]).catch((e: unknown) => (ordered = e));
    expect(ordered).toBeInstanceOf(MongoBulkWriteError);
    const oe = ordered as MongoBulkWriteError;
    expect(oe.code).toBe(11000);
    expect(oe.insertedCount).toBe(1);
    expect(oe.writeErrors).toHaveLength(1);
    expect(await c.countDocuments({ email: 'o2' })).toBe(0);

    let unordered: unknown;
    await c.insertMany([{ email: 'u1' }, { email: 'a@b.c' }, { email: 'u2' }, { email: 'u1' }], { ordered: false }).catch((e: unknown) => (unordered = e));
    const ue = unordered as MongoBulkWriteError;
    expect(ue).toBeInstanceOf(MongoBulkWriteError);
    expect(ue.insertedCount).toBe(2);
    expect((ue.writeErrors as unknown as Array<{ index: number; code: number }>).map((w) => [w.index, w.code])).toEqual([
      [1, 11000],
      [3, 11000],
    ]);
  });

  it('enforces uniqueness on updateOne, upsert and findOneAndUpdate', async () => {
    const c = db.collection('accounts');
    await c.insertOne({ email: 'other@b.c' });
    const u = await serverError(c.updateOne({ email: 'other@b.c' }, { $set: { email: 'a@b.c' } }));
    expect(u.code).toBe(11000);
    expect(u.keyValue).toEqual({ email: 'a@b.c' });
    const up = await serverError(c.updateOne({ email: 'a@b.c', nope: true }, { $set: { x: 1 } }, { upsert: true }));
    expect(up.code).toBe(11000);
    const fam = await serverError(c.findOneAndUpdate({ email: 'other@b.c' }, { $set: { email: 'a@b.c' } }));
    expect(fam.code).toBe(11000);
    expect(fam.codeName).toBe('DuplicateKey');
    expect(await c.countDocuments({ email: 'a@b.c' })).toBe(1);
  });

  it('supports compound and sparse unique indexes', async () => {
    const c = db.collection('ratings');
    await c.createIndex({ userId: 1, movieId: 1 }, { unique: true });
    await c.createIndex({ handle: 1 }, { unique: true, sparse: true });
    await c.insertMany([{ userId: 'u', movieId: 'm1' }, { userId: 'u', movieId: 'm2' }, { userId: 'v', movieId: 'm1' }]);
    const e = await serverError(c.insertOne({ userId: 'u', movieId: 'm1', stars: 3 }));
    expect(e.keyPattern).toEqual({ userId: 1, movieId: 1 });
    expect(e.keyValue).toEqual({ userId: 'u', movieId: 'm1' });
    expect(e.message).toContain('index: userId_1_movieId_1 dup key: { userId: "u", movieId: "m1" }');
    // Sparse: documents without the field do not collide.
    await c.insertOne({ handle: 'h1' });
    expect(await serverError(c.insertOne({ handle: 'h1' }))).toMatchObject({ code: 11000 });
  });

  it('enforces a partial unique index only where its filter matches', async () => {
    const c = db.collection('partial');
    await c.createIndex({ email: 1 }, { unique: true, partialFilterExpression: { deleted: false } });
    await c.insertMany([{ email: 'p@x', deleted: true }, { email: 'p@x', deleted: true }, { email: 'p@x', deleted: false }]);
    expect((await serverError(c.insertOne({ email: 'p@x', deleted: false }))).code).toBe(11000);
    expect(await c.countDocuments({ email: 'p@x' })).toBe(3);
  });

  it('refuses to build a unique index over existing duplicates, and lists and drops indexes', async () => {
    const c = db.collection('idx');
    await c.insertMany([{ k: 1 }, { k: 1 }]);
    expect((await serverError(c.createIndex({ k: 1 }, { unique: true }))).code).toBe(11000);
    await c.createIndex({ k: 1, z: -1 }, { name: 'kz' });
    const names = (await c.listIndexes().toArray()).map((i) => i.name);
    expect(names).toEqual(['_id_', 'kz']);
    await c.dropIndex('kz');
    expect((await c.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);
    expect((await serverError(c.dropIndex('nope'))).codeName).toBe('IndexNotFound');
  });
});

describe('TTL', () => {
  it('expires documents after expireAfterSeconds and at per-document expiry dates', async () => {
    // A real mongod runs its TTL pass every 60 s by default; shorten it (the embedded one honours this too).
    await h.client.db('admin').command({ setParameter: 1, ttlMonitorSleepSecs: 1 });
    const sessions = db.collection('ttl_sessions');
    const tokens = db.collection('ttl_tokens');
    await sessions.createIndex({ lastSeen: 1 }, { expireAfterSeconds: 60 });
    await tokens.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
    const now = Date.now();
    await sessions.insertMany([
      { s: 'stale', lastSeen: new Date(now - 3_600_000) },
      { s: 'fresh', lastSeen: new Date(now) },
      { s: 'no-date', lastSeen: 'yesterday' },
    ]);
    await tokens.insertMany([
      { t: 'expired', expiresAt: new Date(now - 1000) },
      { t: 'valid', expiresAt: new Date(now + 3_600_000) },
    ]);
    const deadline = Date.now() + 90_000;
    while ((await sessions.countDocuments()) + (await tokens.countDocuments()) > 3) {
      if (Date.now() > deadline) throw new Error('TTL monitor never removed the expired documents');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await sessions.find().toArray()).map((d) => d.s).sort()).toEqual(['fresh', 'no-date']);
    expect((await tokens.find().toArray()).map((d) => d.t)).toEqual(['valid']);
  }, 120_000);
});

describe('transactions', () => {
  it('commits a business document and its outbox event together', async () => {
    const subs = db.collection('subscriptions');
    const outbox = db.collection('outbox');
    await subs.insertOne({ _id: 'warmup' as unknown as ObjectId }); // collections exist before the txn
    await outbox.insertOne({ _id: 'warmup' as unknown as ObjectId });
    const session = h.client.startSession();
    try {
      await session.withTransaction(async () => {
        await subs.insertOne({ _id: 's1' as unknown as ObjectId, state: 'active' }, { session });
        await outbox.insertOne({ type: 'billing.subscription.activated', subId: 's1' }, { session });
        // Reads inside the transaction see its own writes.
        expect(await subs.findOne({ _id: 's1' as unknown as ObjectId }, { session })).toMatchObject({ state: 'active' });
        await subs.updateOne({ _id: 's1' as unknown as ObjectId }, { $set: { state: 'trialing' } }, { session });
      });
    } finally {
      await session.endSession();
    }
    expect(await subs.findOne({ _id: 's1' as unknown as ObjectId })).toMatchObject({ state: 'trialing' });
    expect(await outbox.countDocuments({ subId: 's1' })).toBe(1);
  });

  it('leaves nothing behind when the callback throws or the transaction is aborted', async () => {
    const subs = db.collection('subscriptions');
    const outbox = db.collection('outbox');
    const session = h.client.startSession();
    try {
      await expect(
        session.withTransaction(async () => {
          await subs.insertOne({ _id: 's2' as unknown as ObjectId }, { session });
          await subs.updateOne({ _id: 'warmup' as unknown as ObjectId }, { $set: { touched: true } }, { session });
          await outbox.deleteOne({ _id: 'warmup' as unknown as ObjectId }, { session });
          throw new Error('business rule failed');
        }),
      ).rejects.toThrow('business rule failed');

      session.startTransaction();
      await outbox.insertOne({ subId: 's3' }, { session });
      await session.abortTransaction();
    } finally {
      await session.endSession();
    }
    expect(await subs.findOne({ _id: 's2' as unknown as ObjectId })).toBeNull();
    expect(await subs.findOne({ _id: 'warmup' as unknown as ObjectId })).toEqual({ _id: 'warmup' });
    expect(await outbox.findOne({ _id: 'warmup' as unknown as ObjectId })).not.toBeNull();
    expect(await outbox.countDocuments({ subId: 's3' })).toBe(0);
  });

  it('aborts on a duplicate key inside the transaction and reports 11000', async () => {
    const c = db.collection('txn_unique');
    await c.createIndex({ email: 1 }, { unique: true });
    await c.insertOne({ email: 'taken' });
    const session = h.client.startSession();
    let error: unknown;
    try {
      await session.withTransaction(async () => {
        await c.insertOne({ email: 'fresh' }, { session });
        await c.insertOne({ email: 'taken' }, { session });
      });
    } catch (e) {
      error = e;
    } finally {
      await session.endSession();
    }
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(11000);
    expect(await c.countDocuments({ email: 'fresh' })).toBe(0);
  });

  it('keeps uncommitted writes invisible to other sessions', async () => {
    const c = db.collection('isolation');
    await c.insertOne({ _id: 'a' as unknown as ObjectId, n: 0, tag: 'x' });
    const session = h.client.startSession();
    try {
      session.startTransaction();
      await c.updateOne({ _id: 'a' as unknown as ObjectId }, { $set: { n: 1, tag: 'y' } }, { session });
      await c.insertOne({ _id: 'b' as unknown as ObjectId, n: 2, tag: 'y' }, { session });
      // Outside the transaction: the last committed state, without waiting for the commit.
      expect(await c.findOne({ _id: 'a' as unknown as ObjectId })).toEqual({ _id: 'a', n: 0, tag: 'x' });
      expect(await c.countDocuments({ tag: 'y' })).toBe(0);
      expect(await c.find({}).toArray()).toEqual([{ _id: 'a', n: 0, tag: 'x' }]);
      expect(await c.distinct('tag')).toEqual(['x']);
      await session.commitTransaction();
    } finally {
      await session.endSession();
    }
    expect(await c.countDocuments({ tag: 'y' })).toBe(2);
  });

  it('serializes concurrent read-modify-write transactions (no lost update)', async () => {
    const c = db.collection('counters');
    await c.insertOne({ _id: 'plays' as unknown as ObjectId, n: 0 });
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        const session = h.client.startSession();
        try {
          await session.withTransaction(async () => {
            const cur = await c.findOne({ _id: 'plays' as unknown as ObjectId }, { session });
            await c.updateOne({ _id: 'plays' as unknown as ObjectId }, { $set: { n: (cur?.n as number) + 1 } }, { session });
          });
        } finally {
          await session.endSession();
        }
      }),
    );
    expect((await c.findOne({ _id: 'plays' as unknown as ObjectId }))?.n).toBe(5);
  });
});

describe('collections and databases', () => {
  it('creates, lists (incl. time series) and drops collections', async () => {
    await db.createCollection('plain');
    await db.createCollection('events', { timeseries: { timeField: 'ts', metaField: 'meta' } });
    const infos = await db.listCollections({ name: { $in: ['plain', 'events'] } }).toArray();
    const byName = Object.fromEntries(infos.map((i) => [i.name, i as CollectionInfo]));
    expect(byName.plain.type).toBe('collection');
    expect(byName.events.type).toBe('timeseries');
    expect(byName.events.options?.timeseries).toMatchObject({ timeField: 'ts', metaField: 'meta' });
    await db.collection('events').insertOne({ ts: new Date(), meta: { k: 1 }, v: 3 });
    expect(await db.collection('events').countDocuments({ 'meta.k': 1 })).toBe(1);
    expect((await serverError(db.createCollection('plain', { capped: true, size: 1024 }))).code).toBe(48);
    expect(await db.collection('plain').drop()).toBe(true);
    expect((await db.listCollections({ name: 'plain' }).toArray()).length).toBe(0);
    const dbs = await h.client.db('admin').admin().listDatabases();
    expect(dbs.databases.map((d) => d.name)).toContain(db.databaseName);
  });
});

describe('time-series collections', () => {
  it('refuse writes inside a multi-document transaction, as mongod does, and take them outside', async () => {
    await db.createCollection('ts_txn', { timeseries: { timeField: 'ts', metaField: 'meta' } });
    const ts = db.collection('ts_txn');
    const plain = db.collection('plain_txn');
    const failure = await h.client
      .withSession((session) =>
        session.withTransaction(async () => {
          await plain.insertOne({ _id: 'x' as unknown as ObjectId }, { session });
          await ts.insertOne({ ts: new Date(), meta: { k: 1 } }, { session });
        }),
      )
      .then(() => null, (e: unknown) => e as { code?: number });
    expect(failure?.code).toBe(263);
    // The whole transaction is gone, the plain insert with it.
    expect(await plain.countDocuments()).toBe(0);
    await ts.insertOne({ ts: new Date(), meta: { k: 1 } });
    expect(await ts.countDocuments()).toBe(1);
  });
});

describe('document validation', () => {
  it('enforces a collection validator on insert and update', async () => {
    await db.createCollection('validated', { validator: { email: { $type: 'string' }, age: { $gte: 0 } } });
    const c = db.collection('validated');
    await c.insertOne({ email: 'a@b.c', age: 3 });
    expect((await serverError(c.insertOne({ email: 42, age: 3 }))).code).toBe(121);
    expect((await serverError(c.updateOne({ email: 'a@b.c' }, { $set: { age: -1 } }))).code).toBe(121);
    expect(await c.countDocuments()).toBe(1);
  });
});

describe('errors', () => {
  it('answers an unknown command with CommandNotFound', async () => {
    const e = await serverError(db.command({ definitelyNotACommand: 1 }));
    expect(e.code).toBe(59);
    expect(e.codeName).toBe('CommandNotFound');
    expect(e.message).toBe("no such command: 'definitelyNotACommand'");
  });

  it('rejects unknown query, update and pipeline operators', async () => {
    const c = db.collection('errs');
    await c.insertOne({ a: 1 });
    const q = await serverError(c.find({ a: { $nope: 1 } }).toArray());
    expect([q.code, q.codeName]).toEqual([2, 'BadValue']);
    expect(q.message).toContain('unknown operator: $nope');
    const top = await serverError(c.find({ $nope: [{ a: 1 }] }).toArray());
    expect(top.message).toContain('unknown top level operator: $nope');
    const u = await serverError(c.updateOne({ a: 1 }, { $nope: { a: 2 } } as Document));
    expect(u.code).toBe(9); // FailedToParse
    expect(u.message).toContain('Unknown modifier: $nope');
    const p = await serverError(c.aggregate([{ $nope: {} }]).toArray());
    expect(p.code).toBe(40324);
    expect(p.message).toContain("Unrecognized pipeline stage name: '$nope'");
  });

  it('rejects unknown command fields', async () => {
    const e = await serverError(db.command({ find: 'errs', filter: {}, bogusOption: true }));
    expect(e.code).toBe(40415);
    expect(e.message).toContain("BSON field 'find.bogusOption' is an unknown field.");
  });
});
