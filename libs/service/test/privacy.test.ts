import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '@flix/auth';
import { runInTransaction } from '@flix/events';
import { startMongo, type MongoHandle } from '@flix/testkit';
import { ErasedUsers, forgetPublishedEvents, pseudonymOf, refuseErasedUsers } from '../src/index.js';

let mongo: MongoHandle;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  mongo = await startMongo();
  client = new MongoClient(mongo.url);
  db = client.db(`privacy_${Date.now()}`);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await mongo?.stop();
});

const principal = (subject: string, isService = false): Principal => ({ subject, roles: [], scopes: [], isService, tokenId: 't', expiresAt: new Date(Date.now() + 60_000) });

describe('deleted-account tombstones', () => {
  it('keep a pseudonym, never the id; another instance learns them at its refresh', async () => {
    const here = new ErasedUsers(db);
    const there = new ErasedUsers(db);
    await Promise.all([here.init(), there.init()]);
    await here.record('user-1', new Date());
    expect(here.isErased('user-1')).toBe(true);
    expect(there.isErased('user-1')).toBe(false);
    await there.refresh();
    expect(there.isErased('user-1')).toBe(true);
    const docs = await db.collection('erased_users').find({}).toArray();
    expect(docs.map((d) => d._id)).toEqual([pseudonymOf('user-1')]);
    expect(JSON.stringify(docs)).not.toContain('user-1');
  });

  it('erasedAmong reads the database: it finds another instance\'s erasure before this one\'s refresh', async () => {
    const here = new ErasedUsers(db);
    const there = new ErasedUsers(db);
    await Promise.all([here.init(), there.init()]);
    await there.record('user-among', new Date());
    expect(here.isErased('user-among')).toBe(false);
    expect(await here.erasedAmong(['user-among', 'user-kept', 'user-among'])).toEqual(new Set(['user-among']));
    expect(here.isErased('user-among')).toBe(true);
    expect(await here.erasedAmong([])).toEqual(new Set());
  });

  it('one written in an aborted transaction never refuses the account', async () => {
    const erased = new ErasedUsers(db);
    await erased.init();
    await expect(
      runInTransaction(client, async (session) => {
        await erased.record('user-2', new Date(), session);
        throw new Error('the deletion failed');
      }),
    ).rejects.toThrow('the deletion failed');
    expect(erased.isErased('user-2')).toBe(false);
    expect(await erased.erasedAt('user-2')).toBeNull();
  });

  it("refuse the deleted account's tokens, not service tokens", async () => {
    const erased = new ErasedUsers(db);
    await erased.init();
    await erased.record('user-3', new Date());
    const verify = refuseErasedUsers(async (token) => principal(token, token.startsWith('svc')), erased);
    await expect(verify('user-3')).rejects.toMatchObject({ kind: 'unauthenticated', reason: 'ACCOUNT_DELETED' });
    expect((await verify('user-4')).subject).toBe('user-4');
    expect((await verify('svc-user-3')).subject).toBe('svc-user-3');
  });
});

describe('forgetPublishedEvents', () => {
  it('removes published outbox entries naming the person, after publishing what is pending', async () => {
    const outbox = db.collection('outbox');
    await outbox.insertMany([
      { _id: 'a' as never, state: 'published', data: '{"userId":"1f0c7a2e-aaaa","email":"x@example.com"}' },
      { _id: 'b' as never, state: 'published', data: '{"email":"leaving@example.com"}' },
      { _id: 'c' as never, state: 'published', data: '{"userId":"someone-else"}' },
      { _id: 'd' as never, state: 'pending', data: '{"userId":"1f0c7a2e-aaaa"}' },
    ]);
    let flushed = 0;
    const relay = {
      flush: async () => {
        flushed++;
        await outbox.updateMany({ state: 'pending' }, { $set: { state: 'published' } });
        return 1;
      },
    };
    expect(await forgetPublishedEvents(db, relay, ['1f0c7a2e-aaaa', 'leaving@example.com'])).toBe(3);
    expect(flushed).toBe(1);
    expect((await outbox.find({}).toArray()).map((d) => d._id)).toEqual(['c']);
  });
});
