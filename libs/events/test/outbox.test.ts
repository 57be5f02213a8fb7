import { FLIX_STREAMS } from '@flix/contracts';
import { startMongo, startNats, type MongoHandle, type NatsHandle } from '@flix/testkit';
import type { Subscription } from '@nats-io/nats-core';
import { MongoClient, type Db } from 'mongodb';
import { register } from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UserRegistered } from '@flix/proto/flix/identity/v1/events';
import {
  connectNats,
  defineEvent,
  ensureStreams,
  Outbox,
  OutboxPublishError,
  runInTransaction,
  type NatsClients,
  type OutboxEntry,
} from '../src/index.js';
import { eventually, streamMessages, testLogger, UserRegisteredEvent } from './helpers.js';

let natsServer: NatsHandle;
let mongoServer: MongoHandle;
let nats: NatsClients;
let client: MongoClient;
let db: Db;
let dbSeq = 0;
const relays: Outbox[] = [];
let wire: { ids: string[]; sub: Subscription };

beforeAll(async () => {
  [natsServer, mongoServer] = await Promise.all([startNats(), startMongo()]);
  nats = await connectNats(natsServer.url, 'events-outbox-test');
  await ensureStreams(nats.jsm, FLIX_STREAMS);
  client = await new MongoClient(mongoServer.url).connect();
});

afterAll(async () => {
  await client?.close();
  await nats?.drain();
  await Promise.all([natsServer?.stop(), mongoServer?.stop()]);
});

beforeEach(async () => {
  // Unique per run: MONGO_URL may point at a server that outlives test runs.
  db = client.db(`events_outbox_${process.pid}_${++dbSeq}`);
  await nats.jsm.streams.purge('IDENTITY');
  // Core NATS sees every publish, duplicates included (JetStream drops those only in the
  // stream), so this counts how often the relay actually published each event.
  const ids: string[] = [];
  const sub = nats.nc.subscribe('identity.>', {
    callback: (_err, m) => {
      ids.push(m.headers?.get('Nats-Msg-Id') ?? '');
    },
  });
  await nats.nc.flush();
  wire = { ids, sub };
});

afterEach(async () => {
  wire.sub.unsubscribe();
  await Promise.all(relays.splice(0).map((r) => r.stop()));
  await db.dropDatabase();
});

function newOutbox(opts: { pollMs?: number; instanceId?: string } = {}): Outbox {
  const o = new Outbox(db, { js: nats.js, logger: testLogger(), service: 'identity', ...opts });
  relays.push(o);
  return o;
}

async function register3(outbox: Outbox, prefix: string): Promise<string[]> {
  return runInTransaction(client, async (session) => {
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++) {
      await db.collection('users').insertOne({ _id: `${prefix}${i}` as never, email: `${prefix}${i}@example.com` }, { session });
      ids.push((await outbox.enqueue(session, UserRegisteredEvent, { userId: `${prefix}${i}` })).eventId);
    }
    return ids;
  });
}

async function storedIds(): Promise<string[]> {
  return (await streamMessages(nats.jsm, 'IDENTITY')).map((m) => m.header.get('Nats-Msg-Id'));
}

describe('Outbox', () => {
  it('publishes a committed transaction\'s events exactly once when the relay starts after a crash', async () => {
    const crashed = newOutbox();
    await crashed.init();
    const ids = await register3(crashed, 'c');
    // Nothing runs the relay of the "crashed" instance: the events wait in the database.
    expect(await crashed.backlog()).toBe(3);
    expect(await storedIds()).toEqual([]);
    // It even got the first one out before dying, without marking it published.
    const entries = await db.collection<OutboxEntry>('outbox').find().sort({ _id: 1 }).toArray();
    await nats.js.publish(entries[0].subject, entries[0].data, { msgID: entries[0].eventId });

    const restarted = newOutbox();
    await restarted.start();
    await eventually(async () => (await restarted.backlog()) === 0);
    expect(await storedIds()).toEqual(ids);
    await nats.nc.flush();
    // The restarted relay re-sent the first (stored once thanks to Nats-Msg-Id) and the rest once.
    expect(wire.ids).toEqual([ids[0], ...ids]);
    expect(await db.collection('users').countDocuments()).toBe(3);
    const payload = (await streamMessages(nats.jsm, 'IDENTITY'))[1].json<{ userId: string; eventId: string }>();
    expect(payload).toMatchObject({ userId: 'c2', eventId: ids[1] });
  });

  it('never publishes the events of an aborted transaction', async () => {
    const outbox = newOutbox();
    await outbox.start();
    await expect(
      runInTransaction(client, async (session) => {
        await db.collection('users').insertOne({ _id: 'aborted' as never }, { session });
        await outbox.enqueue(session, UserRegisteredEvent, { userId: 'aborted' });
        throw new Error('validation failed after the write');
      }),
    ).rejects.toThrow('validation failed');
    const ids = await register3(outbox, 'ok');
    await eventually(async () => (await storedIds()).length === 3);
    expect(await outbox.flush()).toBe(0);
    expect(await storedIds()).toEqual(ids);
    expect(await db.collection('outbox').countDocuments()).toBe(3);
    expect(await db.collection('users').findOne({ _id: 'aborted' as never })).toBeNull();
  });

  it('publishes in enqueue order and right after the commit (no poll needed)', async () => {
    // A poll far beyond the wait below: only the post-commit nudge can publish in time.
    const outbox = newOutbox({ pollMs: 600_000 });
    await outbox.start();
    const ids: string[] = [];
    for (let t = 0; t < 4; t++) ids.push(...(await register3(outbox, `o${t}-`)));
    await eventually(async () => (await storedIds()).length === ids.length, 10_000);
    expect(await storedIds()).toEqual(ids);
    expect(await outbox.backlog()).toBe(0);
  });

  it('two relays on one collection publish each event once, in order', async () => {
    const a = newOutbox({ pollMs: 20, instanceId: 'relay-a' });
    const b = newOutbox({ pollMs: 20, instanceId: 'relay-b' });
    await Promise.all([a.start(), b.start()]);
    const ids: string[] = [];
    for (let t = 0; t < 8; t++) ids.push(...(await register3(t % 2 ? a : b, `r${t}-`)));
    await eventually(async () => (await a.backlog()) === 0);
    await nats.nc.flush();
    expect(wire.ids).toEqual(ids);
    expect(await storedIds()).toEqual(ids);
  });

  it('keeps an event pending while JetStream cannot take it, then publishes it', async () => {
    // No stream captures this subject yet, so every publish fails.
    const OrphanEvent = defineEvent({ subject: 'orphan.thing.happened', type: 'flix.identity.v1.UserRegistered', codec: UserRegistered });
    const outbox = newOutbox();
    await outbox.init();
    const event = await runInTransaction(client, (session) => outbox.enqueue(session, OrphanEvent, { userId: 'o1' }));
    await expect(outbox.flush()).rejects.toBeInstanceOf(OutboxPublishError);
    expect(await outbox.backlog()).toBe(1);
    const [entry] = await db.collection<OutboxEntry>('outbox').find().toArray();
    expect(entry).toMatchObject({ state: 'pending', attempts: 1 });
    expect(entry.lastError).toBeTruthy();

    await ensureStreams(nats.jsm, [{ name: 'ORPHAN', subjects: ['orphan.>'], maxAgeMs: 60_000 }]);
    try {
      expect(await outbox.flush()).toBe(1);
      const [m] = await streamMessages(nats.jsm, 'ORPHAN');
      expect(m.header.get('Nats-Msg-Id')).toBe(event.eventId);
    } finally {
      await nats.jsm.streams.delete('ORPHAN');
    }
  });

  it('refuses to enqueue outside a transaction', async () => {
    const outbox = newOutbox();
    await client.withSession(async (session) => {
      await expect(outbox.enqueue(session, UserRegisteredEvent, { userId: 'x' })).rejects.toThrow(/transaction/);
    });
  });

  it('exposes the backlog and published counts as metrics', async () => {
    const outbox = newOutbox({ pollMs: 600_000 });
    await outbox.init();
    await register3(outbox, 'm');
    expect(await outbox.backlog()).toBe(3);
    await outbox.start();
    await eventually(async () => (await outbox.backlog()) === 0);
    const text = await register.metrics();
    expect(text).toMatch(/flix_outbox_backlog\{service="identity"\} 0/);
    expect(text).toMatch(/flix_events_published_total\{subject="identity.user.registered"\} \d+/);
  });
});
