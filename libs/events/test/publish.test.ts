import { startNats, type NatsHandle } from '@flix/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FLIX_STREAMS } from '@flix/contracts';
import { connectNats, ensureStreams, EventHeaders, newEventId, publishEvent, type NatsClients } from '../src/index.js';
import { streamMessages, UserRegisteredEvent } from './helpers.js';

let server: NatsHandle;
let nats: NatsClients;

beforeAll(async () => {
  server = await startNats();
  nats = await connectNats(server.url, 'events-publish-test');
  await ensureStreams(nats.jsm, FLIX_STREAMS);
});

afterAll(async () => {
  await nats?.drain();
  await server?.stop();
});

beforeEach(async () => {
  await nats.jsm.streams.purge('IDENTITY');
});

describe('event ids', () => {
  it('are UUIDv7 and sort in creation order', () => {
    const ids = Array.from({ length: 5000 }, () => newEventId());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('defineEvent', () => {
  it('rejects subjects that are not <service>.<entity>.<verb>', async () => {
    const { defineEvent } = await import('../src/index.js');
    expect(() => defineEvent({ subject: 'identity.registered', type: 'flix.identity.v1.UserRegistered', codec: UserRegisteredEvent.codec })).toThrow();
  });
});

describe('streams', () => {
  it('creates one file stream per producer and the DLQ, 2-minute duplicate window, idempotently', async () => {
    await ensureStreams(nats.jsm, FLIX_STREAMS); // second call: nothing to change
    const names: string[] = [];
    for await (const s of nats.jsm.streams.list()) names.push(s.config.name);
    expect(names.sort()).toEqual(['ANALYTICS', 'BILLING', 'CATALOG', 'DLQ', 'ENGAGEMENT', 'IDENTITY', 'PLAYBACK']);
    const info = await nats.jsm.streams.info('IDENTITY');
    expect(info.config.subjects).toEqual(['identity.>']);
    expect(info.config.storage).toBe('file');
    expect(info.config.retention).toBe('limits');
    expect(info.config.duplicate_window).toBe(120 * 1e9);
    expect((await nats.jsm.streams.info('DLQ')).config.subjects).toEqual(['dlq.>']);
  });

  it('updates a stream whose settings changed', async () => {
    const spec = FLIX_STREAMS.find((s) => s.name === 'ANALYTICS')!;
    await ensureStreams(nats.jsm, [{ ...spec, maxAgeMs: 3_600_000 }]);
    expect((await nats.jsm.streams.info('ANALYTICS')).config.max_age).toBe(3_600_000 * 1e6);
    await ensureStreams(nats.jsm, [spec]);
    expect((await nats.jsm.streams.info('ANALYTICS')).config.max_age).toBe(spec.maxAgeMs * 1e6);
  });
});

describe('publishEvent', () => {
  it('sends proto3 JSON with the event id, type and trace headers, filling id and time', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const { event, duplicate } = await publishEvent(
      nats.js,
      UserRegisteredEvent,
      { userId: 'u1', email: 'ada@example.com', displayName: 'Ada', favouriteGenres: ['drama'] },
      { traceparent },
    );
    expect(duplicate).toBe(false);
    expect(event.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.occurTime).toBeInstanceOf(Date);

    const [m] = await streamMessages(nats.jsm, 'IDENTITY');
    expect(m.subject).toBe('identity.user.registered');
    expect(m.header.get(EventHeaders.MsgId)).toBe(event.eventId);
    expect(m.header.get(EventHeaders.EventType)).toBe('flix.identity.v1.UserRegistered');
    expect(m.header.get(EventHeaders.TraceParent)).toBe(traceparent);
    // proto3 JSON: lowerCamelCase, RFC 3339 timestamp, default-valued fields left out.
    expect(JSON.parse(new TextDecoder().decode(m.data))).toEqual({
      eventId: event.eventId,
      occurTime: event.occurTime!.toISOString(),
      userId: 'u1',
      email: 'ada@example.com',
      displayName: 'Ada',
      favouriteGenres: ['drama'],
    });
  });

  it('keeps a given event id and time', async () => {
    const occurTime = new Date('2026-01-02T03:04:05.678Z');
    const { event } = await publishEvent(nats.js, UserRegisteredEvent, { eventId: 'evt-given', occurTime, userId: 'u2' });
    expect(event.eventId).toBe('evt-given');
    const [m] = await streamMessages(nats.jsm, 'IDENTITY');
    expect(m.json<{ occurTime: string }>().occurTime).toBe('2026-01-02T03:04:05.678Z');
  });

  it('stores an event id published twice only once', async () => {
    const first = await publishEvent(nats.js, UserRegisteredEvent, { eventId: 'evt-dup', userId: 'u3' });
    const second = await publishEvent(nats.js, UserRegisteredEvent, { eventId: 'evt-dup', userId: 'u3' });
    expect(second.duplicate).toBe(true);
    expect(second.seq).toBe(first.seq);
    expect((await nats.jsm.streams.info('IDENTITY')).state.messages).toBe(1);
  });
});
