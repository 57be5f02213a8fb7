import { FLIX_STREAMS } from '@flix/contracts';
import { startMongo, startNats, type MongoHandle, type NatsHandle } from '@flix/testkit';
import type { UserRegistered } from '@flix/proto/flix/identity/v1/events';
import { headers } from '@nats-io/nats-core';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectNats,
  ensureStreams,
  EventHeaders,
  MongoIdempotencyStore,
  on,
  publishEvent,
  startConsumer,
  type HandlerContext,
  type NatsClients,
} from '../src/index.js';
import { eventually, testLogger, UserRegisteredEvent } from './helpers.js';

let natsServer: NatsHandle;
let mongoServer: MongoHandle;
let nats: NatsClients;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  [natsServer, mongoServer] = await Promise.all([startNats(), startMongo()]);
  nats = await connectNats(natsServer.url, 'events-consumer-mongo-test');
  await ensureStreams(nats.jsm, FLIX_STREAMS);
  client = await new MongoClient(mongoServer.url).connect();
  // Unique per run: MONGO_URL may point at a server that outlives test runs.
  db = client.db(`events_consumer_mongo_${process.pid}`);
});

afterAll(async () => {
  await db?.dropDatabase();
  await client?.close();
  await nats?.drain();
  await Promise.all([natsServer?.stop(), mongoServer?.stop()]);
});

async function settled(durable: string): Promise<boolean> {
  const last = (await nats.jsm.streams.info('IDENTITY')).state.last_seq;
  const i = await nats.jsm.consumers.info('IDENTITY', durable);
  return i.num_pending === 0 && i.num_ack_pending === 0 && i.ack_floor.stream_seq === last;
}

function republish(event: UserRegistered, msgId: string) {
  const h = headers();
  h.set(EventHeaders.EventType, UserRegisteredEvent.type);
  return nats.js.publish(UserRegisteredEvent.subject, JSON.stringify(UserRegisteredEvent.codec.toJSON(event)), { msgID: msgId, headers: h });
}

describe('startConsumer with MongoIdempotencyStore', () => {
  it('handles an event once across duplicates and restarts, recording processed_events', async () => {
    const customers = db.collection<{ _id: string; email: string }>('customers');
    // Creates a customer and marks the event handled in one transaction.
    let calls = 0;
    const handle = async (u: UserRegistered, ctx: HandlerContext) => {
      calls++;
      await client.withSession((s) =>
        s.withTransaction(async (session) => {
          await customers.insertOne({ _id: u.userId, email: u.email }, { session });
          await ctx.recordProcessed(session);
        }),
      );
    };
    const start = () =>
      startConsumer({
        js: nats.js,
        jsm: nats.jsm,
        stream: 'IDENTITY',
        durable: 'billing',
        filterSubject: 'identity.user.>',
        idempotency: new MongoIdempotencyStore(db),
        logger: testLogger(),
        backoffMs: [50],
        handlers: { 'identity.user.registered': on(UserRegisteredEvent, handle) },
      });

    const first = await start();
    const { event } = await publishEvent(nats.js, UserRegisteredEvent, { userId: 'u1', email: 'u1@example.com' });
    await republish(event, 'copy-1');
    await eventually(() => settled('billing'));
    await first.stop();

    // After a restart (new store instance, same database) a late copy is still recognised.
    const second = await start();
    await republish(event, 'copy-2');
    await publishEvent(nats.js, UserRegisteredEvent, { userId: 'u2', email: 'u2@example.com' });
    await eventually(() => settled('billing'));
    await second.stop();

    expect(calls).toBe(2);
    expect(await customers.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'u1', email: 'u1@example.com' },
      { _id: 'u2', email: 'u2@example.com' },
    ]);
    const processed = await db.collection('processed_events').find().toArray();
    expect(processed.map((p) => p._id).sort()).toContain(`billing:${event.eventId}`);
    expect(processed).toHaveLength(2);
    const indexes = await db.collection('processed_events').indexes();
    expect(indexes.some((i) => typeof i.expireAfterSeconds === 'number')).toBe(true);
  });
});
