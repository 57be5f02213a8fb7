import { startMongo, type MongoHandle } from '@flix/testkit';
import { ensureIndexes } from '@flix/mongo';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_KEY_INDEXES, IDEMPOTENCY_KEYS_COLLECTION, MongoIdempotencyKeyStore } from './idempotency-keys.js';

let mongo: MongoHandle;
let client: MongoClient;
let db: Db;
let store: MongoIdempotencyKeyStore;

beforeAll(async () => {
  mongo = await startMongo();
  client = new MongoClient(mongo.url);
  db = client.db(`idempotency-keys-${process.pid}`);
  await ensureIndexes(db, IDEMPOTENCY_KEY_INDEXES);
  store = new MongoIdempotencyKeyStore(db);
});
afterAll(async () => {
  await client?.close();
  await mongo?.stop();
});

const t0 = new Date('2026-06-01T00:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const claim = (name: string, leaseS = 60, keepS = 86_400) => ({ claim: name, fingerprint: 'fp', method: '/x.Y/Z', leaseUntil: at(leaseS), expiresAt: at(keepS) });

describe('MongoIdempotencyKeyStore', () => {
  it('lets exactly one of many concurrent claims win; the others see it pending', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.claim('race', claim(`c${i}`), t0)));
    const winners = results.filter((r) => r === undefined);
    expect(winners).toHaveLength(1);
    for (const r of results.filter(Boolean)) expect(r).toMatchObject({ state: 'pending', fingerprint: 'fp' });
  });

  it('completes only for the holder, and returns the sealed bytes as stored', async () => {
    expect(await store.claim('done', claim('holder'), t0)).toBeUndefined();
    await store.complete('done', 'impostor', new Uint8Array([9]), at(100));
    expect((await store.claim('done', claim('late'), t0))?.state).toBe('pending');
    await store.complete('done', 'holder', new Uint8Array([1, 2, 3]), at(100));
    const rec = await store.claim('done', claim('late'), t0);
    expect(rec?.state).toBe('completed');
    expect(Buffer.from(rec!.sealed!)).toEqual(Buffer.from([1, 2, 3]));
  });

  it('release frees the key for the next claim; a completed key cannot be released', async () => {
    await store.claim('rel', claim('a'), t0);
    await store.release('rel', 'a');
    expect(await store.claim('rel', claim('b'), t0)).toBeUndefined();
    await store.complete('rel', 'b', new Uint8Array([7]), at(100));
    await store.release('rel', 'b');
    expect((await store.claim('rel', claim('c'), t0))?.state).toBe('completed');
  });

  it('takes over a pending claim only after its lease, and only once', async () => {
    await store.claim('crash', claim('dead', 60), t0);
    expect(await store.takeOver('crash', claim('early'), at(30))).toBe(false);
    const both = await Promise.all([store.takeOver('crash', claim('x', 200), at(61)), store.takeOver('crash', claim('y', 200), at(61))]);
    expect(both.filter(Boolean)).toHaveLength(1);
  });

  it('treats a record past its retention as gone, before the TTL monitor removes it', async () => {
    await store.claim('old', claim('first', 60, 10), t0);
    expect(await store.claim('old', claim('fresh'), at(11))).toBeUndefined();
    expect((await db.collection(IDEMPOTENCY_KEYS_COLLECTION).findOne({ _id: 'old' as never }))?.claim).toBe('fresh');
  });

  it('has a TTL index on expiresAt', async () => {
    const indexes = await db.collection(IDEMPOTENCY_KEYS_COLLECTION).indexes();
    expect(indexes.find((i) => i.name === 'expiresAt_ttl')).toMatchObject({ key: { expiresAt: 1 }, expireAfterSeconds: 0 });
  });
});
