import { FLIX_STREAMS } from '@flix/contracts';
import { headers } from '@nats-io/nats-core';
import { startNats, type NatsHandle } from '@flix/testkit';
import type { UserRegistered } from '@flix/proto/flix/identity/v1/events';
import { register } from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  connectNats,
  ensureStreams,
  EventHeaders,
  MemoryIdempotencyStore,
  on,
  PoisonMessageError,
  publishEvent,
  startConsumer,
  type ConsumerHandle,
  type ConsumerOptions,
  type FlixEventMessage,
  type HandlerContext,
  type NatsClients,
} from '../src/index.js';
import { eventually, streamMessages, testLogger, UserRegisteredEvent, UserUpdatedEvent } from './helpers.js';

let server: NatsHandle;
let nats: NatsClients;
let durableSeq = 0;
let durable: string;
const running: ConsumerHandle[] = [];

beforeAll(async () => {
  server = await startNats();
  nats = await connectNats(server.url, 'events-consumer-test');
  await ensureStreams(nats.jsm, FLIX_STREAMS);
});

afterAll(async () => {
  await nats?.drain();
  await server?.stop();
});

beforeEach(async () => {
  await nats.jsm.streams.purge('IDENTITY');
  durable = `billing_${++durableSeq}`;
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

async function consume<H extends Record<string, FlixEventMessage>>(
  opts: Omit<ConsumerOptions<H>, 'js' | 'jsm' | 'stream' | 'durable' | 'logger'> & { durable?: string },
): Promise<ConsumerHandle> {
  const c = await startConsumer<H>({
    js: nats.js,
    jsm: nats.jsm,
    stream: 'IDENTITY',
    durable,
    filterSubject: 'identity.user.>',
    logger: testLogger(),
    backoffMs: [50, 100],
    ...opts,
  });
  running.push(c);
  return c;
}

function publishUser(userId: string, eventId?: string) {
  return publishEvent(nats.js, UserRegisteredEvent, { userId, email: `${userId}@example.com`, ...(eventId ? { eventId } : {}) });
}

async function consumerState() {
  const i = await nats.jsm.consumers.info('IDENTITY', durable);
  return { pending: i.num_pending, ackPending: i.num_ack_pending, redelivered: i.num_redelivered, ackFloor: i.ack_floor.stream_seq };
}

/** True once every message in IDENTITY is acknowledged (or terminated) by the consumer. */
async function allSettled(): Promise<boolean> {
  const last = (await nats.jsm.streams.info('IDENTITY')).state.last_seq;
  const s = await consumerState();
  return s.pending === 0 && s.ackPending === 0 && s.ackFloor === last;
}

async function dlqMessages(subject = `dlq.${durable}`) {
  return streamMessages(nats.jsm, 'DLQ', subject);
}

describe('startConsumer', () => {
  it('acks after the handler succeeds: each event handled once, nothing redelivered', async () => {
    const seen: string[] = [];
    const contexts: HandlerContext[] = [];
    await consume({
      idempotency: null,
      handlers: {
        'identity.user.registered': on(UserRegisteredEvent, async (u, ctx) => {
          seen.push(u.userId);
          contexts.push(ctx);
        }),
      },
    });
    const published = [];
    for (const id of ['u1', 'u2', 'u3']) published.push(await publishUser(id));
    await eventually(allSettled);
    expect(seen).toEqual(['u1', 'u2', 'u3']);
    expect((await consumerState()).redelivered).toBe(0);
    expect(contexts[0].eventId).toBe(published[0].event.eventId);
    expect(contexts[0].deliveryCount).toBe(1);
    expect(contexts[0].subject).toBe('identity.user.registered');
    expect(contexts[0].headers[EventHeaders.EventType]).toBe('flix.identity.v1.UserRegistered');
    const text = await register.metrics();
    expect(text).toContain(`flix_events_handled_total{consumer="${durable}",subject="identity.user.registered",result="ok"} 3`);
    expect(text).toContain(`flix_consumer_pending{stream="IDENTITY",consumer="${durable}"}`);
  });

  it('acks events of subjects it has no handler for', async () => {
    const seen: string[] = [];
    await consume({
      idempotency: null,
      handlers: { 'identity.user.registered': on(UserRegisteredEvent, async (u) => void seen.push(u.userId)) },
    });
    await publishEvent(nats.js, UserUpdatedEvent, { userId: 'u-upd' });
    await publishUser('u-reg');
    await eventually(allSettled);
    expect(seen).toEqual(['u-reg']);
    expect(await dlqMessages()).toHaveLength(0);
  });

  it('hands subjects without a typed handler to onUnknownSubject, once per event id', async () => {
    const raw: { subject: string; eventId: string; userId: unknown }[] = [];
    const typed: string[] = [];
    await consume({
      idempotency: new MemoryIdempotencyStore(),
      handlers: { 'identity.user.registered': on(UserRegisteredEvent, async (u) => void typed.push(u.userId)) },
      onUnknownSubject: async (e, ctx) => void raw.push({ subject: e.subject, eventId: ctx.eventId, userId: (e.json as { userId?: unknown }).userId }),
    });
    const upd = await publishEvent(nats.js, UserUpdatedEvent, { userId: 'u-upd' });
    // The same event again under a new stream message (JetStream's window de-duplicates on the
    // msg id, so it goes out with another one): the idempotency store still knows its event id.
    const h = headers();
    h.set(EventHeaders.EventType, UserUpdatedEvent.type);
    await nats.js.publish('identity.user.updated', JSON.stringify(UserUpdatedEvent.codec.toJSON(upd.event)), { headers: h, msgID: `${upd.event.eventId}-again` });
    await publishUser('u-reg');
    await eventually(allSettled);
    expect(typed).toEqual(['u-reg']);
    expect(raw).toEqual([{ subject: 'identity.user.updated', eventId: upd.event.eventId, userId: 'u-upd' }]);
    const text = await register.metrics();
    expect(text).toContain(`flix_consumer_lag{stream="IDENTITY",consumer="${durable}"}`);
    expect(text).toContain(`flix_consumer_ack_pending{stream="IDENTITY",consumer="${durable}"}`);
  });

  it('hands messages that arrived together to the batch handler, and falls back to one by one when a batch fails', async () => {
    const batches: string[][] = [];
    const single: string[] = [];
    let failBatches = false;
    const opts = {
      idempotency: new MemoryIdempotencyStore(),
      maxBatch: 50,
      handlers: { 'identity.user.registered': on(UserRegisteredEvent, async (u) => void single.push(u.userId)) },
      batchHandler: async (items: { payload: FlixEventMessage | undefined }[]) => {
        if (failBatches) throw new Error('batch store down');
        batches.push(items.map((i) => (i.payload as UserRegistered).userId));
      },
    };
    // Published before anyone consumes, so they arrive together.
    for (let i = 0; i < 20; i++) await publishUser(`b${i}`);
    await consume(opts);
    await eventually(allSettled);
    expect(batches.flat().sort()).toEqual(Array.from({ length: 20 }, (_, i) => `b${i}`).sort());
    expect(batches.some((b) => b.length > 1)).toBe(true);
    expect(single).toEqual([]);

    await running.pop()!.stop();
    for (let i = 0; i < 5; i++) await publishUser(`f${i}`);
    failBatches = true;
    await consume(opts);
    await eventually(allSettled);
    expect(single.sort()).toEqual(['f0', 'f1', 'f2', 'f3', 'f4']);
    expect(batches.flat().filter((id) => id.startsWith('f'))).toEqual([]);
    expect(await dlqMessages()).toHaveLength(0);
  });

  it('retries a failing handler with backoff until it succeeds', async () => {
    const attempts: { deliveryCount: number; at: number }[] = [];
    await consume({
      idempotency: null,
      maxDeliver: 5,
      handlers: {
        'identity.user.registered': on(UserRegisteredEvent, async (_u, ctx) => {
          attempts.push({ deliveryCount: ctx.deliveryCount, at: Date.now() });
          if (ctx.deliveryCount < 3) throw new Error('downstream unavailable');
        }),
      },
    });
    await publishUser('u-retry');
    await eventually(allSettled);
    expect(attempts.map((a) => a.deliveryCount)).toEqual([1, 2, 3]);
    // The nak delays are lower bounds set by backoffMs [50, 100] (a little slack for clocks).
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(40);
    expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(90);
    expect(await dlqMessages()).toHaveLength(0);
  });

  it('parks an always-failing event on dlq.<service> after maxDeliver attempts, with the reason headers', async () => {
    let calls = 0;
    await consume({
      idempotency: null,
      maxDeliver: 3,
      handlers: {
        'identity.user.registered': on(UserRegisteredEvent, async () => {
          calls++;
          throw new Error('stripe says no');
        }),
      },
    });
    const { event } = await publishUser('u-dlq');
    const [dead] = await eventually(async () => {
      const d = await dlqMessages();
      return d.length > 0 ? d : undefined;
    });
    await eventually(allSettled);
    expect(calls).toBe(3);
    expect(dead.subject).toBe(`dlq.${durable}`);
    expect(dead.header.get(EventHeaders.DlqConsumer)).toBe(durable);
    expect(dead.header.get(EventHeaders.DlqAttempts)).toBe('3');
    expect(dead.header.get(EventHeaders.DlqReason)).toContain('stripe says no');
    expect(dead.header.get(EventHeaders.DlqSubject)).toBe('identity.user.registered');
    expect(dead.header.get(EventHeaders.EventType)).toBe('flix.identity.v1.UserRegistered');
    expect(dead.header.get('Flix-Event-Id')).toBe(event.eventId);
    expect(dead.json<{ eventId: string; userId: string }>()).toMatchObject({ eventId: event.eventId, userId: 'u-dlq' });
    expect(await dlqMessages()).toHaveLength(1);
  });

  it('sends a payload that cannot be decoded to the DLQ at once', async () => {
    let calls = 0;
    await consume({
      idempotency: null,
      handlers: { 'identity.user.registered': on(UserRegisteredEvent, async () => void calls++) },
    });
    const h = headers();
    h.set(EventHeaders.EventType, 'flix.identity.v1.UserRegistered');
    await nats.js.publish('identity.user.registered', '{not json', { msgID: 'poison-1', headers: h });
    await nats.js.publish('identity.user.registered', '{"occurTime":"yesterday","userId":"x","eventId":"e"}', { msgID: 'poison-2', headers: h });
    await publishUser('u-after-poison');
    await eventually(allSettled);
    expect(calls).toBe(1);
    const dead = await dlqMessages();
    expect(dead.map((d) => new TextDecoder().decode(d.data))).toEqual([
      '{not json',
      '{"occurTime":"yesterday","userId":"x","eventId":"e"}',
    ]);
    expect(dead[0].header.get(EventHeaders.DlqAttempts)).toBe('1');
    expect(dead[0].header.get(EventHeaders.DlqReason)).toContain('undecodable');
  });

  it('dead-letters at once when the handler rejects the event as poison', async () => {
    let calls = 0;
    await consume({
      idempotency: null,
      handlers: {
        'identity.user.registered': on(UserRegisteredEvent, async () => {
          calls++;
          throw new PoisonMessageError('user id is not a valid id');
        }),
      },
    });
    await publishUser('bad id');
    await eventually(allSettled);
    const [dead] = await dlqMessages();
    expect(calls).toBe(1);
    expect(dead.header.get(EventHeaders.DlqAttempts)).toBe('1');
    expect(dead.header.get(EventHeaders.DlqReason)).toContain('user id is not a valid id');
  });

  it('handles a duplicate of an event (same event id, re-published) once', async () => {
    const seen: string[] = [];
    await consume({
      idempotency: new MemoryIdempotencyStore(),
      handlers: { 'identity.user.registered': on(UserRegisteredEvent, async (u) => void seen.push(u.userId)) },
    });
    const { event } = await publishUser('u-dup', 'evt-dup-1');
    // A re-publish outside JetStream's duplicate window: another message id, same event id.
    const h = headers();
    h.set(EventHeaders.EventType, UserRegisteredEvent.type);
    await nats.js.publish(UserRegisteredEvent.subject, JSON.stringify(UserRegisteredEvent.codec.toJSON(event)), { msgID: 'republish-1', headers: h });
    await publishUser('u-next');
    await eventually(allSettled);
    expect(seen).toEqual(['u-dup', 'u-next']);
  });

  it('resumes after a restart without reprocessing', async () => {
    const seen: string[] = [];
    const handlers = { 'identity.user.registered': on(UserRegisteredEvent, async (u: UserRegistered) => void seen.push(u.userId)) };
    const first = await consume({ idempotency: null, handlers });
    for (const id of ['a1', 'a2', 'a3']) await publishUser(id);
    await eventually(allSettled);
    await first.stop();

    for (const id of ['b1', 'b2']) await publishUser(id);
    expect((await consumerState()).pending).toBe(2);
    await consume({ idempotency: null, handlers });
    await eventually(allSettled);
    expect(seen).toEqual(['a1', 'a2', 'a3', 'b1', 'b2']);
    expect((await consumerState()).redelivered).toBe(0);
  });

  it('stop() finishes the messages in hand and acks them before resolving', async () => {
    const seen: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    let started = false;
    const handlers = {
      'identity.user.registered': on(UserRegisteredEvent, async (u: UserRegistered) => {
        started = true;
        await gate;
        seen.push(u.userId);
      }),
    };
    const firstSeq = (await publishUser('s1')).seq;
    for (const id of ['s2', 's3']) await publishUser(id);
    const c = await consume({ idempotency: null, handlers });
    await eventually(() => started);
    let stopped = false;
    const stopping = c.stop().then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false); // a handler is still running
    release();
    await stopping;
    const handledBeforeStop = [...seen];
    expect(handledBeforeStop.length).toBeGreaterThanOrEqual(1);
    // Everything handled is acknowledged; what was not handled is still pending, not lost.
    const s = await consumerState();
    expect(s.ackPending).toBe(0);
    expect(s.ackFloor).toBe(firstSeq - 1 + handledBeforeStop.length);
    expect(s.pending + s.ackFloor - (firstSeq - 1)).toBe(3);

    await consume({ idempotency: null, handlers });
    await eventually(allSettled);
    expect(seen).toEqual(['s1', 's2', 's3']);
  });

  it('updates the durable consumer\'s settings on restart and refuses a different filter', async () => {
    const handlers = { 'identity.user.registered': on(UserRegisteredEvent, async () => {}) };
    await (await consume({ idempotency: null, handlers, maxDeliver: 3, ackWaitMs: 10_000 })).stop();
    await (await consume({ idempotency: null, handlers, maxDeliver: 6, ackWaitMs: 20_000 })).stop();
    const cfg = (await nats.jsm.consumers.info('IDENTITY', durable)).config;
    expect(cfg.ack_policy).toBe('explicit');
    expect(cfg.ack_wait).toBe(20_000 * 1e6);
    expect(cfg.max_deliver).toBeGreaterThanOrEqual(6);
    await expect(consume({ idempotency: null, handlers, filterSubject: 'identity.>' })).rejects.toThrow(/filters/);
  });

  it('stop() still resolves when the connection was drained first', async () => {
    const own = await connectNats(server.url, 'events-consumer-drained');
    const c = await startConsumer({
      js: own.js,
      jsm: own.jsm,
      stream: 'IDENTITY',
      durable,
      logger: testLogger(),
      idempotency: null,
      handlers: { 'identity.user.registered': on(UserRegisteredEvent, async () => {}) },
    });
    await own.drain();
    await c.stop();
  });

  it('keeps a slow handler\'s message in progress past ack_wait', async () => {
    let calls = 0;
    await consume({
      idempotency: null,
      ackWaitMs: 1000,
      handlers: {
        'identity.user.registered': on(UserRegisteredEvent, async () => {
          calls++;
          await new Promise((r) => setTimeout(r, 2500));
        }),
      },
    });
    await publishUser('u-slow');
    await eventually(allSettled);
    expect(calls).toBe(1);
    expect((await consumerState()).redelivered).toBe(0);
  });
});
