/**
 * Playback through the gateway: every refusal, the signed tokens, stream slots, heartbeats,
 * resume, completion and history — against the real identity, catalog (its demo titles have
 * ready video), NATS and Mongo. Billing's answer is a controllable double here (the real billing
 * and Stripe emulator are exercised by playback-journey.test.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { decodeJwt, decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingEvents } from '@flix/contracts';
import { createClient } from '@flix/grpc';
import { publishEvent } from '@flix/events';
import { PlaybackServiceService } from '@flix/proto/flix/playback/v1/playback_service';
import { PlayerState } from '@flix/proto/flix/playback/v1/resources';
import { eventually, freePort } from '@flix/testkit';
import type { EntitlementDecision } from '../../services/playback/src/domain/model.js';
import { ADMIN, call, startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);

/** Billing's answer per user id (sub of the token); unknown users are not entitled. */
const entitled = new Map<string, Partial<EntitlementDecision>>();
const allow = (userId: string, maxStreams = 2) =>
  entitled.set(userId, { allowed: true, reason: 'SUBSCRIPTION', source: 'subscription', maxStreams, maxQuality: 'HD', validUntil: new Date(Date.now() + 30 * 86_400_000) });

interface Viewer {
  token: string;
  userId: string;
  profileId: string;
}
async function viewer(name: string): Promise<Viewer> {
  const r = await gw('POST', '/v1/auth/register', { body: { email: `${name}-${Date.now()}@example.com`, password: 'a long uncommon passphrase', displayName: name, preferredLanguage: 'en' } });
  expect(r.status).toBe(200);
  const token = r.body.accessToken as string;
  const profiles = await gw('GET', '/v1/users/me/profiles', { token });
  return { token, userId: r.body.user.id, profileId: profiles.body.profiles[0].id };
}

const start = (v: Viewer, movieId: string, deviceId = 'tv-1', profileId = v.profileId) => gw('POST', '/v1/playback/sessions', { token: v.token, body: { movieId, profileId, deviceId } });
const beat = (v: Viewer, sessionId: string, positionSeconds: number, state = 'PLAYER_STATE_PLAYING', rebufferMs = 0) =>
  gw('POST', `/v1/playback/sessions/${sessionId}:heartbeat`, { token: v.token, body: { positionSeconds, state, bitrateKbps: 4500, rebufferMs } });
const stop = (v: Viewer, sessionId: string, positionSeconds = 0) => gw('POST', `/v1/playback/sessions/${sessionId}:stop`, { token: v.token, body: { positionSeconds } });

let admin: string;
const movies: { id: string; playbackId: string; duration: number; maturity: string }[] = [];

beforeAll(async () => {
  stack = await startTestStack(
    {},
    {
      playback: { FLIX_STREAM_STALE_SECONDS: '4', FLIX_HEARTBEAT_INTERVAL_SECONDS: '1', FLIX_PROGRESS_FLUSH_SECONDS: '1', FLIX_SESSION_SWEEP_SECONDS: '3600' },
      playbackOverrides: {
        entitlements: {
          async check(accessToken) {
            const d = entitled.get(String(decodeJwt(accessToken).sub));
            return { allowed: false, reason: 'NO_SUBSCRIPTION', source: 'none', maxStreams: 0, maxQuality: null, validUntil: null, rentalId: '', ...d };
          },
        },
      },
    },
  );
  admin = (await gw('POST', '/v1/auth/login', { body: ADMIN })).body.accessToken;
  const page = await gw('GET', '/v1/movies?pageSize=60&orderBy=title', { token: admin });
  for (const m of page.body.movies) {
    const full = await gw('GET', `/v1/movies/${m.id}`, { token: admin });
    movies.push({ id: m.id, playbackId: full.body.video.playbackId, duration: full.body.video.durationSeconds, maturity: full.body.maturityRating });
  }
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const family = () => movies.find((m) => m.maturity === 'MATURITY_RATING_G' || m.maturity === 'MATURITY_RATING_PG')!;
const adult = () => movies.find((m) => m.maturity === 'MATURITY_RATING_R' || m.maturity === 'MATURITY_RATING_NC17')!;

describe('starting playback', () => {
  it('needs a token and names every missing field', async () => {
    expect((await gw('POST', '/v1/playback/sessions', { body: { movieId: movies[0]!.id, profileId: 'p', deviceId: 'd' } })).status).toBe(401);
    const v = await viewer('fields');
    const r = await gw('POST', '/v1/playback/sessions', { token: v.token, body: {} });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/movieId: is required/);
    expect(r.body.message).toMatch(/profileId: is required/);
    expect(r.body.message).toMatch(/deviceId: is required/);
  });

  it('refuses unknown titles (404), titles not published yet (400) and other accounts\' profiles (404)', async () => {
    const v = await viewer('refusals');
    allow(v.userId);
    const unknown = await start(v, 'no-such-title');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toMatch(/movieId/);

    const draft = await gw('POST', '/v1/movies', {
      token: admin,
      body: { title: 'Unfinished', description: 'x', genres: ['Drama'], releaseYear: 2024, runtimeMinutes: 90, maturityRating: 'MATURITY_RATING_PG', audioLanguages: ['en'], requiredPlan: 'PLAN_TIER_BASIC' },
    });
    expect(draft.status).toBe(200);
    const notYet = await start(v, draft.body.id);
    expect(notYet.status).toBe(400);
    expect(notYet.body.message).toMatch(/not published/);

    const other = await viewer('other');
    const foreign = await start(v, movies[0]!.id, 'tv-1', other.profileId);
    expect(foreign.status).toBe(404);
    expect(foreign.body.message).toMatch(/profileId/);
  });

  it('refuses an account billing does not entitle (403, with the reason)', async () => {
    const v = await viewer('unpaid');
    const r = await start(v, movies[0]!.id);
    expect(r.status).toBe(403);
    expect(r.body.message).toMatch(/no active subscription/);
  });

  it('keeps a kids profile to its maturity limit (403)', async () => {
    const v = await viewer('family');
    allow(v.userId);
    const kids = await gw('POST', '/v1/users/me/profiles', { token: v.token, body: { name: 'Kids', kids: true } });
    expect(kids.status).toBe(200);
    const refused = await start(v, adult().id, 'tablet', kids.body.id);
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/limited to PG/);
    const ok = await start(v, family().id, 'tablet', kids.body.id);
    expect(ok.status).toBe(200);
  });

  it('returns Mux-signed tokens for the title\'s playback id (video, thumbnail, storyboard) that outlive its runtime', async () => {
    const v = await viewer('tokens');
    allow(v.userId);
    const m = movies[1]!;
    const r = await start(v, m.id);
    expect(r.status).toBe(200);
    expect(r.body.maxQuality).toBe('MAX_QUALITY_HD');
    expect(r.body.resumePositionSeconds).toBe(0);
    expect(r.body.playbackUrl).toBe(`https://stream.mux.com/${m.playbackId}.m3u8?token=${r.body.playbackToken}`);
    const key = await importSPKI(stack.playback.signingKey.publicKeyPem, 'RS256');
    for (const [token, aud] of [[r.body.playbackToken, 'v'], [r.body.thumbnailToken, 't'], [r.body.storyboardToken, 's']] as const) {
      const { payload } = await jwtVerify(token, key, { algorithms: ['RS256'], audience: aud, subject: m.playbackId });
      // Mux names the signing key in a kid claim.
      expect(payload.kid).toBe(stack.playback.signingKey.id);
      expect(decodeProtectedHeader(token).alg).toBe('RS256');
      expect(payload.exp! * 1000).toBeGreaterThan(Date.now() + m.duration * 1000);
    }
    expect((decodeJwt(r.body.playbackToken) as { max_resolution?: string }).max_resolution).toBe('1080p');
    // The same key does not vouch for another title's token.
    await expect(jwtVerify(r.body.playbackToken, key, { subject: movies[2]!.playbackId })).rejects.toThrow();

    const refreshed = await gw('POST', `/v1/playback/sessions/${r.body.sessionId}:refreshTokens`, { token: v.token, body: {} });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.playbackToken).toMatch(/^ey/);
    expect(new Date(refreshed.body.expiresAt).getTime()).toBeGreaterThan(Date.now());
  });
});

describe('concurrent streams', () => {
  it('refuses a stream beyond the plan\'s limit (429 naming the limit); the same device replaces its own session', async () => {
    const v = await viewer('streams');
    allow(v.userId, 2);
    const a = await start(v, movies[0]!.id, 'tv');
    const b = await start(v, movies[1]!.id, 'phone');
    expect([a.status, b.status]).toEqual([200, 200]);
    const c = await start(v, movies[2]!.id, 'laptop');
    expect(c.status).toBe(429);
    expect(c.body.message).toMatch(/allows 2 concurrent streams/);
    // Reloading the player on the phone takes the phone's own slot again.
    const again = await start(v, movies[3]!.id, 'phone');
    expect(again.status).toBe(200);
    expect((await beat(v, b.body.sessionId, 10)).status).toBe(400);
    // Stopping one frees its slot.
    expect((await stop(v, a.body.sessionId, 30)).status).toBe(200);
    expect((await start(v, movies[2]!.id, 'laptop')).status).toBe(200);
  });

  it('keeps the place reached in a title when the device moves on to another one', async () => {
    const v = await viewer('switcher');
    allow(v.userId, 1);
    const a = await start(v, movies[20]!.id, 'tv');
    expect((await beat(v, a.body.sessionId, 300)).status).toBe(200);
    expect((await start(v, movies[21]!.id, 'tv')).status).toBe(200);
    const cw = await gw('GET', `/v1/continue-watching?profileId=${v.profileId}`, { token: v.token });
    expect(cw.body.entries.find((e: { movieId: string }) => e.movieId === movies[20]!.id)).toMatchObject({ positionSeconds: 300 });
    expect((await start(v, movies[20]!.id, 'tv')).body.resumePositionSeconds).toBe(300);
  });

  it('frees the slot of a stream whose heartbeats stopped, after the stale timeout', async () => {
    const v = await viewer('stale');
    allow(v.userId, 1);
    const a = await start(v, movies[0]!.id, 'tv');
    expect(a.status).toBe(200);
    expect((await start(v, movies[0]!.id, 'phone')).status).toBe(429);
    await new Promise((r) => setTimeout(r, 4500));
    const b = await start(v, movies[0]!.id, 'phone');
    expect(b.status).toBe(200);
    // The silent session is over; its heartbeat is refused.
    const late = await beat(v, a.body.sessionId, 50);
    expect(late.status).toBe(400);
    expect(late.body.message).toMatch(/has ended/);
  });
});

describe('heartbeats, resume and history', () => {
  it('validates heartbeats and keeps other accounts out of a session', async () => {
    const v = await viewer('beats');
    allow(v.userId);
    const s = await start(v, movies[4]!.id);
    const bad = await gw('POST', `/v1/playback/sessions/${s.body.sessionId}:heartbeat`, { token: v.token, body: { positionSeconds: -1, state: 'PLAYER_STATE_UNSPECIFIED', rebufferMs: -5 } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/positionSeconds/);
    expect(bad.body.message).toMatch(/state/);
    expect(bad.body.message).toMatch(/rebufferMs/);
    const intruder = await viewer('intruder');
    expect((await beat(intruder, s.body.sessionId, 10)).status).toBe(404);
    expect((await gw('POST', `/v1/playback/sessions/${s.body.sessionId}:stop`, { token: intruder.token, body: {} })).status).toBe(404);
  });

  it('resumes where the profile stopped; two profiles on one account keep their own positions', async () => {
    const v = await viewer('resume');
    allow(v.userId, 4);
    const second = (await gw('POST', '/v1/users/me/profiles', { token: v.token, body: { name: 'Bo' } })).body.id as string;
    const m = movies[5]!;
    const s = await start(v, m.id, 'tv');
    for (const p of [10, 20, 30]) expect((await beat(v, s.body.sessionId, p)).status).toBe(200);
    const stopped = await stop(v, s.body.sessionId, 42);
    expect(stopped.body.state).toBe('SESSION_STATE_ENDED');
    expect(stopped.body.positionSeconds).toBe(42);

    const cw = await gw('GET', `/v1/continue-watching?profileId=${v.profileId}`, { token: v.token });
    expect(cw.status).toBe(200);
    expect(cw.body.entries[0]).toMatchObject({ movieId: m.id, positionSeconds: 42, completed: false });
    expect((await gw('GET', `/v1/continue-watching?profileId=${second}`, { token: v.token })).body.entries).toEqual([]);

    expect((await start(v, m.id, 'tv')).body.resumePositionSeconds).toBe(42);
    expect((await start(v, m.id, 'phone', second)).body.resumePositionSeconds).toBe(0);
    expect((await gw('GET', `/v1/continue-watching?profileId=nope`, { token: v.token })).status).toBe(404);
    expect((await gw('GET', `/v1/continue-watching`, { token: v.token })).status).toBe(400);
  });

  it('counts a title completed at 90 %: event, history, and off the continue-watching row', async () => {
    const v = await viewer('finisher');
    allow(v.userId);
    const m = movies[6]!;
    const s = await start(v, m.id);
    const hb = await beat(v, s.body.sessionId, Math.ceil(m.duration * 0.92));
    expect(hb.body.completed).toBe(true);
    await stop(v, s.body.sessionId);

    const history = await gw('GET', `/v1/watch-history?profileId=${v.profileId}`, { token: v.token });
    expect(history.body.entries[0]).toMatchObject({ movieId: m.id, completed: true, timesCompleted: 1 });
    const cw = await gw('GET', `/v1/continue-watching?profileId=${v.profileId}`, { token: v.token });
    expect(cw.body.entries.map((e: { movieId: string }) => e.movieId)).not.toContain(m.id);

    // The outbox publishes right after the commit: wait for playback's events to reach the stream.
    const nc = await connect({ servers: stack.nats.url });
    const jsm = await jetstream(nc).jetstreamManager();
    const last = async (subject: string) => (await jsm.streams.getMessage('PLAYBACK', { last_by_subj: subject }))?.json<Record<string, unknown>>();
    await eventually(
      async () => (await last('playback.title.completed'))?.sessionId === s.body.sessionId && (await last('playback.session.ended'))?.sessionId === s.body.sessionId,
      (done) => done,
      "the session's events on the PLAYBACK stream",
    );
    expect(await last('playback.title.completed')).toMatchObject({ sessionId: s.body.sessionId, movieId: m.id, userId: v.userId, profileId: v.profileId });
    expect(await last('playback.session.ended')).toMatchObject({ sessionId: s.body.sessionId, completed: true, reason: 'SESSION_END_REASON_STOPPED' });
    await nc.close();

    // Finished titles start from the beginning again; removing the entry forgets it.
    expect((await start(v, m.id)).body.resumePositionSeconds).toBe(0);
    expect((await gw('DELETE', `/v1/watch-history/${m.id}?profileId=${v.profileId}`, { token: v.token })).status).toBe(200);
    expect((await gw('DELETE', `/v1/watch-history/${m.id}?profileId=${v.profileId}`, { token: v.token })).status).toBe(200);
    const after = await gw('GET', `/v1/watch-history?profileId=${v.profileId}`, { token: v.token });
    expect(after.body.entries.map((e: { movieId: string }) => e.movieId)).not.toContain(m.id);
  });

  it('coalesces progress writes: a burst of heartbeats costs a write or two, and the last position is kept', async () => {
    const v = await viewer('burst');
    allow(v.userId);
    const s = await start(v, movies[9]!.id);
    await stack.playback.handle.flush();
    const before = stack.playback.handle.store.flushWrites;
    for (let p = 1; p <= 30; p++) expect((await beat(v, s.body.sessionId, p)).status).toBe(200);
    await stack.playback.handle.flush();
    // One session row (and at most one viewing row) per flush interval, not one per heartbeat.
    expect(stack.playback.handle.store.flushWrites - before).toBeLessThanOrEqual(4);
    const stored = await gw('GET', `/v1/playback/sessions/${s.body.sessionId}`, { token: v.token });
    expect(stored.body.positionSeconds).toBe(30);
    await stop(v, s.body.sessionId);
    const cw = await gw('GET', `/v1/continue-watching?profileId=${v.profileId}`, { token: v.token });
    expect(cw.body.entries[0]).toMatchObject({ movieId: movies[9]!.id, positionSeconds: 30 });
  });

  it('pages the watch history, most recent first', async () => {
    const v = await viewer('pages');
    allow(v.userId, 4);
    for (const m of movies.slice(10, 15)) {
      const s = await start(v, m.id, 'tv');
      await stop(v, s.body.sessionId, 60);
    }
    const p1 = await gw('GET', `/v1/watch-history?profileId=${v.profileId}&pageSize=3`, { token: v.token });
    expect(p1.body.entries.map((e: { movieId: string }) => e.movieId)).toEqual(movies.slice(12, 15).map((m) => m.id).reverse());
    const p2 = await gw('GET', `/v1/watch-history?profileId=${v.profileId}&pageSize=3&pageToken=${p1.body.nextPageToken}`, { token: v.token });
    expect(p2.body.entries.map((e: { movieId: string }) => e.movieId)).toEqual(movies.slice(10, 12).map((m) => m.id).reverse());
    expect(p2.body.nextPageToken).toBe('');
    expect((await gw('GET', `/v1/watch-history?profileId=${v.profileId}&pageToken=garbage`, { token: v.token })).status).toBe(400);
  });
});

describe('entitlement changes', () => {
  it('ends the session at the next heartbeat once billing says the entitlement is gone', async () => {
    const v = await viewer('revoked');
    allow(v.userId);
    const s = await start(v, movies[7]!.id);
    expect((await beat(v, s.body.sessionId, 5)).status).toBe(200);
    entitled.delete(v.userId);
    // What billing publishes when a subscription ends; playback's consumer makes sessions re-ask.
    await publishEvent((await import('@nats-io/jetstream')).jetstream(await connect({ servers: stack.nats.url })), billingEvents.subscriptionExpired, {
      subscription: { id: 'sub_x', userId: v.userId } as never,
    });
    let r = await beat(v, s.body.sessionId, 6);
    for (let i = 0; i < 50 && r.status === 200; i++) {
      await new Promise((res) => setTimeout(res, 100));
      r = await beat(v, s.body.sessionId, 7);
    }
    expect(r.status).toBe(403);
    expect(r.body.message).toMatch(/subscription/);
    const session = await gw('GET', `/v1/playback/sessions/${s.body.sessionId}`, { token: v.token });
    expect(session.body).toMatchObject({ state: 'SESSION_STATE_ENDED', endReason: 'revoked' });
  });
});

describe('a crashed instance', () => {
  let child: ChildProcess | undefined;
  afterAll(() => child?.kill('SIGKILL'));

  it('loses no position: the journal gives the last heartbeat to whoever ends the session', async () => {
    const v = await viewer('crash');
    allow(v.userId);
    // A second playback instance in its own process, on the same stores.
    const [grpcPort, httpPort] = await Promise.all([freePort(), freePort()]);
    child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../services/playback/src/main.ts')], {
      env: {
        ...process.env,
        MONGO_URL: stack.mongo.url,
        MONGO_DB: stack.playback.db,
        NATS_URL: stack.nats.url,
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(grpcPort),
        HTTP_PORT: String(httpPort),
        LOG_LEVEL: 'silent',
        FLIX_JWKS_URL: `${stack.identity.httpUrl}/.well-known/jwks.json`,
        CATALOG_GRPC_ADDR: stack.catalog.grpcAddress,
        BILLING_GRPC_ADDR: stack.billing.grpcAddress,
        IDENTITY_GRPC_ADDR: stack.identity.grpcAddress,
        FLIX_PLAYBACK_CLIENT_SECRET: 'playback-test-client-secret-0123456789',
        MUX_BASE_URL: 'http://127.0.0.1:1',
        MUX_SIGNING_KEY_ID: 'crash-test-key',
        MUX_SIGNING_KEY_PRIVATE: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        // Killed before its first progress write: without the journal the position would be lost.
        FLIX_PROGRESS_FLUSH_SECONDS: '5',
        FLIX_STREAM_STALE_SECONDS: '8',
        FLIX_HEARTBEAT_INTERVAL_SECONDS: '1',
      },
      stdio: 'ignore',
    });
    const deadline = Date.now() + 30_000;
    while ((await fetch(`http://127.0.0.1:${httpPort}/healthz`).then((r) => r.status, () => 0)) !== 200) {
      if (Date.now() > deadline) throw new Error('second playback instance did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
    const s = await start(v, movies[8]!.id);
    const client = createClient(PlaybackServiceService, `127.0.0.1:${grpcPort}`);
    const md = { metadata: { authorization: `Bearer ${v.token}` } };
    for (const p of [100, 200, 321.5]) await client.heartbeat({ sessionId: s.body.sessionId, positionSeconds: p, state: PlayerState.PLAYER_STATE_PLAYING, bitrateKbps: 3000, rebufferMs: 250 }, md);
    client.close();
    child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 4500));
    expect(await stack.playback.handle.expireStale()).toBeGreaterThanOrEqual(1);
    const cw = await gw('GET', `/v1/continue-watching?profileId=${v.profileId}`, { token: v.token });
    expect(cw.body.entries[0]).toMatchObject({ movieId: movies[8]!.id, positionSeconds: 321.5 });
    const session = await gw('GET', `/v1/playback/sessions/${s.body.sessionId}`, { token: v.token });
    expect(session.body).toMatchObject({ state: 'SESSION_STATE_ENDED', endReason: 'expired', positionSeconds: 321.5 });
  }, 60_000);
});
