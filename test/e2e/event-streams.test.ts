/**
 * The operators' view of the event streams through the gateway, against a real nats-server:
 * streams, durable consumers, the DLQ, replay (applied once however often it is asked for) and
 * discard, all admin-only (GET/POST /v1/admin/streams…, /v1/admin/dead-letters…).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually as until } from '@flix/testkit';
import { ADMIN, call, startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
let adminToken: string;
let viewerToken: string;
let adminId: string;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);

/** A rating event as engagement publishes it (proto3 JSON). */
const ratingSet = (movieId: string, stars: number, eventId = randomUUID()) => ({
  eventId,
  occurTime: new Date().toISOString(),
  userId: `user-${randomBytes(3).toString('hex')}`,
  profileId: `profile-${randomBytes(3).toString('hex')}`,
  movieId,
  stars,
  previousStars: 0,
  hasReview: false,
});

/** Parks a message on dlq.<consumer> exactly as libs/events does after the consumer gave up. */
async function park(consumer: string, subject: string, payload: unknown, reason: string, eventId = (payload as { eventId?: string }).eventId ?? randomUUID()) {
  const h = natsHeaders();
  h.set('Flix-Event-Type', 'flix.engagement.v1.RatingSet');
  h.set('Flix-Event-Id', eventId);
  h.set('Flix-Dlq-Reason', reason);
  h.set('Flix-Dlq-Consumer', consumer);
  h.set('Flix-Dlq-Attempts', '5');
  h.set('Flix-Dlq-Stream', 'ENGAGEMENT');
  h.set('Flix-Dlq-Subject', subject);
  h.set('Flix-Dlq-Stream-Seq', '4242');
  const data = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const ack = await js.publish(`dlq.${consumer}`, data, { headers: h, msgID: `test:${randomUUID()}` });
  return ack.seq;
}

async function messagesWithId(stream: string, msgId: string): Promise<number> {
  const info = await jsm.streams.info(stream);
  let n = 0;
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (m?.header?.get('Nats-Msg-Id') === msgId) n++;
  }
  return n;
}

beforeAll(async () => {
  stack = await startTestStack();
  const login = await gw('POST', '/v1/auth/login', { body: { email: ADMIN.email, password: ADMIN.password } });
  expect(login.status).toBe(200);
  adminToken = login.body.accessToken;
  adminId = login.body.user.id;
  const reg = await gw('POST', '/v1/auth/register', {
    body: { email: `viewer-${randomBytes(4).toString('hex')}@flix.test`, password: 'A-long-enough-passphrase-1', displayName: 'Viewer', preferredLanguage: 'en' },
  });
  expect(reg.status).toBe(200);
  viewerToken = reg.body.accessToken;
  nc = await connect({ servers: stack.nats.url });
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
}, 120_000);

afterAll(async () => {
  await nc?.close();
  await stack?.stop();
});

describe('GET /v1/admin/streams', () => {
  it('lists every stream with its subjects, size and consumers, by name, in pages', async () => {
    const r = await until(
      () => gw('GET', '/v1/admin/streams', { token: adminToken }),
      (x) => x.status === 200 && x.body.streams.find((s: { name: string }) => s.name === 'IDENTITY')?.messages >= 1,
      'IDENTITY with messages',
    );
    const names = r.body.streams.map((s: { name: string }) => s.name);
    expect(names).toEqual(expect.arrayContaining(['ANALYTICS', 'BILLING', 'CATALOG', 'DLQ', 'ENGAGEMENT', 'IDENTITY', 'PLAYBACK']));
    expect(names).toEqual([...names].sort());
    const identity = r.body.streams.find((s: { name: string }) => s.name === 'IDENTITY');
    expect(identity).toMatchObject({ subjects: ['identity.>'], firstSequence: '1' });
    expect(Number(identity.bytes)).toBeGreaterThan(0);
    expect(Number(identity.lastSequence)).toBeGreaterThanOrEqual(Number(identity.messages));
    expect(identity.consumerCount).toBeGreaterThanOrEqual(2); // analytics and recommendations
    expect(Date.parse(identity.lastTime)).toBeGreaterThan(Date.now() - 600_000);
    expect(r.body.nextPageToken ?? '').toBe('');

    const p1 = await gw('GET', '/v1/admin/streams?pageSize=4', { token: adminToken });
    expect(p1.body.streams.map((s: { name: string }) => s.name)).toEqual(names.slice(0, 4));
    const rest: string[] = [];
    for (let token = p1.body.nextPageToken; token; ) {
      const p = await gw('GET', `/v1/admin/streams?pageSize=4&pageToken=${token}`, { token: adminToken });
      rest.push(...p.body.streams.map((s: { name: string }) => s.name));
      token = p.body.nextPageToken;
    }
    expect(rest).toEqual(names.slice(4));
  });
});

describe('GET /v1/admin/streams/{stream}/consumers', () => {
  it("lists a stream's durable consumers with their backlog", async () => {
    const r = await until(
      () => gw('GET', '/v1/admin/streams/ENGAGEMENT/consumers', { token: adminToken }),
      (x) => x.status === 200 && x.body.consumers.length >= 3,
      'engagement consumers',
    );
    const byName = Object.fromEntries(r.body.consumers.map((c: { name: string }) => [c.name, c]));
    expect(Object.keys(byName)).toEqual(expect.arrayContaining(['analytics', 'catalog', 'recommendations']));
    expect(byName.catalog).toMatchObject({ stream: 'ENGAGEMENT', name: 'catalog', filterSubject: 'engagement.rating.>' });
    for (const c of r.body.consumers) {
      expect(Number(c.pending ?? 0)).toBeGreaterThanOrEqual(0);
      expect(Number(c.ackPending ?? 0)).toBeGreaterThanOrEqual(0);
      expect(Number(c.redelivered ?? 0)).toBeGreaterThanOrEqual(0);
      expect(c.createTime).toBeTruthy();
    }
  });

  it('answers 404 for an unknown stream and 400 naming the field for a bad name', async () => {
    const missing = await gw('GET', '/v1/admin/streams/NOPE/consumers', { token: adminToken });
    expect(missing.status).toBe(404);
    expect(missing.body.message).toMatch(/stream NOPE not found/);
    const bad = await gw('GET', '/v1/admin/streams/bad.name/consumers', { token: adminToken });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^stream: /);
  });
});

describe('the dead-letter queue', () => {
  let movieId: string;
  const rating = async () => (await gw('GET', `/v1/movies/${movieId}`, { token: adminToken })).body.rating ?? {};

  beforeAll(async () => {
    const created = await gw('POST', '/v1/movies', {
      token: adminToken,
      body: { title: 'Harbour Lights', description: 'A lighthouse keeper and the last ferry.', genres: ['drama'], releaseYear: 2024, runtimeMinutes: 98, maturityRating: 'MATURITY_RATING_PG', audioLanguages: ['en'], requiredPlan: 'PLAN_TIER_BASIC' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    movieId = created.body.id;
  });

  it('shows a poison event a consumer rejected, with its subject, error and payload', async () => {
    const poison = ratingSet(movieId, 9);
    const h = natsHeaders();
    h.set('Flix-Event-Type', 'flix.engagement.v1.RatingSet');
    await js.publish('engagement.rating.set', JSON.stringify(poison), { msgID: poison.eventId, headers: h });
    const r = await until(
      () => gw('GET', '/v1/admin/dead-letters', { token: adminToken }),
      (x) => x.status === 200 && (x.body.deadLetters ?? []).some((d: { eventId: string; consumer: string }) => d.eventId === poison.eventId && d.consumer === 'catalog'),
      'the poison rating in the DLQ',
    );
    const dl = r.body.deadLetters.find((d: { eventId: string; consumer: string }) => d.eventId === poison.eventId && d.consumer === 'catalog');
    expect(dl).toMatchObject({ subject: 'engagement.rating.set', originalStream: 'ENGAGEMENT', consumer: 'catalog', eventType: 'flix.engagement.v1.RatingSet', payload: poison });
    expect(dl.error).toMatch(/handler rejected the event/);
    expect(dl.deliveryCount).toBe(1);
    expect(Date.parse(dl.parkTime)).toBeGreaterThan(Date.now() - 60_000);
    expect(Number(r.body.totalSize)).toBeGreaterThanOrEqual(1);
  });

  it('lists newest first in pages, with non-JSON payloads as text', async () => {
    const a = await park('catalog', 'engagement.rating.set', 'not json {', 'undecodable payload: test');
    const b = await park('catalog', 'engagement.rating.set', ratingSet(movieId, 3), 'handler failed 5 times: test');
    const p1 = await gw('GET', '/v1/admin/dead-letters?pageSize=1', { token: adminToken });
    expect(p1.status).toBe(200);
    expect(p1.body.deadLetters.map((d: { sequence: string }) => Number(d.sequence))).toEqual([b]);
    const p2 = await gw('GET', `/v1/admin/dead-letters?pageSize=1&pageToken=${p1.body.nextPageToken}`, { token: adminToken });
    expect(p2.body.deadLetters).toHaveLength(1);
    expect(Number(p2.body.deadLetters[0].sequence)).toBe(a);
    expect(p2.body.deadLetters[0].payload).toBeUndefined();
    expect(p2.body.deadLetters[0].payloadText).toBe('not json {');
    expect(p2.body.nextPageToken).toBeTruthy();
    // Tidy: these two are discarded (and discarding twice answers with the first record).
    for (const seq of [a, b]) {
      const d1 = await gw('POST', `/v1/admin/dead-letters/${seq}:discard`, { token: adminToken, body: {} });
      expect(d1.status, JSON.stringify(d1.body)).toBe(200);
      const d2 = await gw('POST', `/v1/admin/dead-letters/${seq}:discard`, { token: adminToken, body: {} });
      expect(d2.body).toEqual(d1.body);
    }
  });

  it('replays a dead letter once, however often it is asked, and records who did it', async () => {
    const event = ratingSet(movieId, 4);
    const seq = await park('catalog', 'engagement.rating.set', event, 'handler failed 5 times: mongo down');
    expect((await rating()).count ?? 0).toBe(0);

    const first = await gw('POST', `/v1/admin/dead-letters/${seq}:replay`, { token: adminToken, body: {} });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({
      sequence: String(seq),
      kind: 'KIND_REPLAYED',
      actor: adminId,
      subject: 'engagement.rating.set',
      consumer: 'catalog',
      replayMessageId: `replay-${seq}`,
      replayStream: 'ENGAGEMENT',
      eventId: event.eventId,
    });
    expect(Date.parse(first.body.actionTime)).toBeGreaterThan(Date.now() - 60_000);
    const again = await gw('POST', `/v1/admin/dead-letters/${seq}:replay`, { token: adminToken, body: {} });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);

    // Its effect, once: catalog counted the rating.
    await until(rating, (r) => r.count === 1, 'the replayed rating counted');
    // The re-published message carries the original event id, so even the original arriving
    // late (or a replay racing it) is not counted again.
    await js.publish('engagement.rating.set', JSON.stringify(event), { msgID: event.eventId });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await rating()).toMatchObject({ count: 1, average: 4 });
    expect(await messagesWithId('ENGAGEMENT', `replay-${seq}`)).toBe(1);
    const replayed = await jsm.streams.getMessage('ENGAGEMENT', { seq: Number(first.body.replaySequence) });
    expect(replayed?.header?.get('Flix-Replay-Of')).toBe(String(seq));
    expect(replayed?.header?.get('Flix-Replayed-By')).toBe(adminId);
    expect(replayed?.json()).toEqual(event);

    // Gone from the DLQ; discarding it now is refused, naming the field.
    const list = await gw('GET', '/v1/admin/dead-letters?pageSize=100', { token: adminToken });
    expect(list.body.deadLetters.map((d: { sequence: string }) => Number(d.sequence))).not.toContain(seq);
    const discard = await gw('POST', `/v1/admin/dead-letters/${seq}:discard`, { token: adminToken, body: {} });
    expect(discard.status).toBe(400);
    expect(discard.body.message).toMatch(/^sequence: dead letter \d+ was already replayed/);
  });

  it('applies two concurrent replays of the same dead letter once, both answering with one record', async () => {
    const event = ratingSet(movieId, 2);
    const seq = await park('catalog', 'engagement.rating.set', event, 'handler failed 5 times: test');
    const before = (await rating()).count;
    const [a, b] = await Promise.all([1, 2].map(() => gw('POST', `/v1/admin/dead-letters/${seq}:replay`, { token: adminToken, body: {} })));
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(b.status, JSON.stringify(b.body)).toBe(200);
    expect(b.body.actionTime).toBe(a.body.actionTime);
    expect(b.body.replayMessageId).toBe(`replay-${seq}`);
    await until(rating, (r) => r.count === before + 1, 'the replayed rating counted');
    await new Promise((r) => setTimeout(r, 1000));
    expect((await rating()).count).toBe(before + 1);
    expect(await messagesWithId('ENGAGEMENT', `replay-${seq}`)).toBe(1);
  });

  it('discards a dead letter without re-publishing it', async () => {
    const counted = (await rating()).count;
    const event = ratingSet(movieId, 1);
    const seq = await park('catalog', 'engagement.rating.set', event, 'handler failed 5 times: test');
    const before = (await jsm.streams.info('ENGAGEMENT')).state.last_seq;
    const r = await gw('POST', `/v1/admin/dead-letters/${seq}:discard`, { token: adminToken, body: {} });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ sequence: String(seq), kind: 'KIND_DISCARDED', actor: adminId, subject: 'engagement.rating.set', consumer: 'catalog', eventId: event.eventId });
    expect(r.body.replayMessageId ?? '').toBe('');
    expect((await jsm.streams.info('ENGAGEMENT')).state.last_seq).toBe(before);
    expect(await jsm.streams.getMessage('DLQ', { seq }).catch(() => null)).toBeNull();
    const replay = await gw('POST', `/v1/admin/dead-letters/${seq}:replay`, { token: adminToken, body: {} });
    expect(replay.status).toBe(400);
    expect(replay.body.message).toMatch(/^sequence: dead letter \d+ was already discarded/);
    expect((await rating()).count).toBe(counted);
  });

  it('answers 404 for an unknown sequence and 400 naming the field for a bad one or a bad page token', async () => {
    for (const action of ['replay', 'discard']) {
      const missing = await gw('POST', `/v1/admin/dead-letters/999999:${action}`, { token: adminToken, body: {} });
      expect(missing.status).toBe(404);
      expect(missing.body.message).toMatch(/dead letter 999999 not found/);
      const zero = await gw('POST', `/v1/admin/dead-letters/0:${action}`, { token: adminToken, body: {} });
      expect(zero.status).toBe(400);
      expect(zero.body.message).toMatch(/^sequence: /);
      const word = await gw('POST', `/v1/admin/dead-letters/abc:${action}`, { token: adminToken, body: {} });
      expect(word.status).toBe(400);
      expect(String(word.body.message ?? word.body)).toMatch(/sequence/);
    }
    const token = await gw('GET', '/v1/admin/dead-letters?pageToken=garbage', { token: adminToken });
    expect(token.status).toBe(400);
    expect(token.body.message).toMatch(/^pageToken: /);
    const size = await gw('GET', '/v1/admin/streams?pageSize=-1', { token: adminToken });
    expect(size.status).toBe(400);
    expect(size.body.message).toMatch(/^pageSize: /);
  });
});

describe('admin only', () => {
  const routes: [string, string][] = [
    ['GET', '/v1/admin/streams'],
    ['GET', '/v1/admin/streams/IDENTITY/consumers'],
    ['GET', '/v1/admin/dead-letters'],
    ['POST', '/v1/admin/dead-letters/1:replay'],
    ['POST', '/v1/admin/dead-letters/1:discard'],
  ];
  it('refuses an anonymous caller (401) and a viewer (403)', async () => {
    for (const [method, path] of routes) {
      const body = method === 'POST' ? {} : undefined;
      const anonymous = await gw(method, path, { body });
      expect(anonymous.status, `${method} ${path}`).toBe(401);
      const viewer = await gw(method, path, { body, token: viewerToken });
      // The gateway's RBAC refuses it before analytics sees it (google.rpc.Status, PERMISSION_DENIED).
      expect(viewer.status, `${method} ${path}`).toBe(403);
      expect(viewer.body).toMatchObject({ code: 7, message: 'RBAC: access denied' });
    }
  });
});
