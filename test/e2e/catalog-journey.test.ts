import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMuxEmulator, type MuxEmulator } from '@flix/mux-emulator';
import { ADMIN, call, startTestStack, type TestStack } from '../support/stack.js';
import { eventually as until } from '@flix/testkit';

const WEBHOOK_SECRET = 'e2e-mux-webhook-secret';
let stack: TestStack;
let mux: MuxEmulator;
let mongo: MongoClient;
let db: Db;
let adminToken: string;
let viewerToken: string;
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);
const q = (s: string) => encodeURIComponent(s);

beforeAll(async () => {
  mux = await startMuxEmulator({ port: 0, webhookSecret: WEBHOOK_SECRET, tokenId: 'e2e-token', tokenSecret: 'e2e-secret' });
  stack = await startTestStack({}, {
    catalog: { MUX_BASE_URL: mux.url, MUX_TOKEN_ID: 'e2e-token', MUX_TOKEN_SECRET: 'e2e-secret', MUX_WEBHOOK_SECRET: WEBHOOK_SECRET, CATALOG_INDEX_POLL_MS: '100' },
  });
  mux.setWebhookUrl(`${stack.gatewayUrl}/webhooks/mux`);
  mongo = new MongoClient(stack.mongo.url);
  db = mongo.db(stack.catalog!.db);
  adminToken = (await gw('POST', '/v1/auth/login', { body: ADMIN })).body.accessToken;
  const reg = await gw('POST', '/v1/auth/register', {
    body: { email: `viewer-${Date.now()}@example.com`, password: 'a-long-and-uncommon-passphrase', displayName: 'Vi Ewer', preferredLanguage: 'en' },
  });
  viewerToken = reg.body.accessToken;
}, 60_000);

afterAll(async () => {
  await mongo?.close();
  await stack?.stop();
  await mux?.close();
});

describe('browsing through the gateway (no token needed)', () => {
  it('lists, pages, filters, gets one title and lists genres', async () => {
    const p1 = await gw('GET', '/v1/movies?genre=drama&orderBy=title&pageSize=5');
    expect(p1.status, JSON.stringify(p1.body)).toBe(200);
    expect(p1.body.movies).toHaveLength(5);
    expect(p1.body.totalSize).toBeGreaterThan(5);
    expect(p1.body.movies[0]).toMatchObject({ status: 'MOVIE_STATUS_PUBLISHED', source: 'flix' });
    const p2 = await gw('GET', `/v1/movies?genre=drama&orderBy=title&pageSize=5&pageToken=${q(p1.body.nextPageToken)}`);
    expect(p2.body.movies.map((m: { id: string }) => m.id)).not.toContain(p1.body.movies[0].id);
    const one = await gw('GET', '/v1/movies/demo-000003');
    expect(one.body).toMatchObject({ title: 'Amélie', maturityRating: 'MATURITY_RATING_R' });
    const genres = await gw('GET', '/v1/genres');
    expect(genres.status).toBe(200);
    expect(genres.body.genres[0]).toEqual({ name: expect.any(String), count: expect.any(Number) });
    const bad = await gw('GET', '/v1/movies?maturity=XXX');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('maturity');
    expect((await gw('GET', '/v1/movies/nope')).status).toBe(404);
  });

  it('search: typos, prefixes, accents, punctuation, people', async () => {
    const top = async (s: string) => (await gw('GET', `/v1/movies:search?q=${q(s)}`)).body.movies[0]?.title;
    expect(await top('spidr man')).toBe('Spider-Man');
    expect(await top('interst')).toBe('Interstellar');
    expect(await top('amelie')).toBe('Amélie');
    expect(await top('spider—man!!')).toBe('Spider-Man');
    const spidey = (await gw('GET', '/v1/movies/demo-000001')).body;
    const byDirector = await gw('GET', `/v1/movies:search?q=${q(spidey.directors[0])}`);
    expect(byDirector.body.movies.map((m: { id: string }) => m.id)).toContain('demo-000001');
    const filtered = await gw('GET', `/v1/movies:search?q=${q('interstellar')}&language=ja`);
    expect(filtered.body.movies.map((m: { title: string }) => m.title)).not.toContain('Interstellar');
    expect((await gw('GET', '/v1/movies:search?q=')).status).toBe(400);
  });

  it("caps maturity at the viewer's profile, asked from identity with the caller's token", async () => {
    const kids = await gw('POST', '/v1/users/me/profiles', { token: viewerToken, body: { name: 'Kiddo', kids: true } });
    expect(kids.status, JSON.stringify(kids.body)).toBe(200);
    const res = await gw('GET', `/v1/movies?profileId=${kids.body.id}&pageSize=100`, { token: viewerToken });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.totalSize).toBeGreaterThan(0);
    for (const m of res.body.movies) expect(['MATURITY_RATING_G', 'MATURITY_RATING_PG']).toContain(m.maturityRating);
    expect((await gw('GET', `/v1/movies?profileId=${kids.body.id}`)).status).toBe(401);
    expect((await gw('GET', '/v1/movies?profileId=not-mine', { token: viewerToken })).status).toBe(404);
  });
});

describe('admin through the gateway', () => {
  it('401 without a token, 403 for a viewer', async () => {
    const body = { title: 'Nope', genres: ['Drama'], releaseYear: 2020, runtimeMinutes: 90, maturityRating: 'MATURITY_RATING_PG', audioLanguages: ['en'], requiredPlan: 'PLAN_TIER_BASIC' };
    expect((await gw('POST', '/v1/movies', { body })).status).toBe(401);
    expect((await gw('POST', '/v1/movies', { body, token: viewerToken })).status).toBe(403);
    expect((await gw('POST', '/v1/movies/demo-000001:publish', { body: {}, token: viewerToken })).status).toBe(403);
    expect((await gw('DELETE', '/v1/movies/demo-000001', { token: viewerToken })).status).toBe(403);
  });

  it('create → Mux upload → webhooks (bad signature, duplicate, out of order) → publish → searchable → delete', async () => {
    const created = await gw('POST', '/v1/movies', {
      token: adminToken,
      body: {
        title: 'Velvet Cartographer', description: 'Maps, and the people who draw them.', genres: ['drama', 'Mystery'], directors: ['Noor Haddad'], cast: ['Elif Yılmaz'],
        releaseYear: 2025, runtimeMinutes: 112, maturityRating: 'MATURITY_RATING_PG13', audioLanguages: ['en'], subtitleLanguages: ['de'],
        requiredPlan: 'PLAN_TIER_PREMIUM', rentalPrice: { amountMinor: 499, currency: 'USD' },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({ status: 'MOVIE_STATUS_DRAFT', genres: ['Drama', 'Mystery'] });
    const early = await gw('POST', `/v1/movies/${id}:publish`, { token: adminToken, body: {} });
    expect(early.status).toBe(400);
    expect(early.body.message).toContain('video');
    const invalid = await gw('PATCH', `/v1/movies/${id}?updateMask=runtimeMinutes`, { token: adminToken, body: { runtimeMinutes: -5 } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toContain('runtimeMinutes');

    const upload = await gw('POST', `/v1/movies/${id}:createUpload`, { token: adminToken, body: {} });
    expect(upload.status, JSON.stringify(upload.body)).toBe(200);
    expect(upload.body.movie.video.status).toBe('ASSET_STATUS_WAITING');

    // A forged webhook through the gateway: 400, nothing stored.
    const forged = await gw('POST', '/webhooks/mux', { rawBody: JSON.stringify({ type: 'video.asset.ready', id: 'forged', data: {} }), headers: { 'mux-signature': 't=1,v1=00' } });
    expect(forged.status).toBe(400);
    expect(await db.collection('mux_events').countDocuments({ _id: 'forged' as never })).toBe(0);

    await mux.completeUpload(upload.body.uploadId, { durationSeconds: 6720, maxResolution: 'FHD' });
    const ready = await until(() => gw('GET', `/v1/movies/${id}`, { token: adminToken }), (r) => r.body.video?.status === 'ASSET_STATUS_READY', 'the asset to be ready');
    expect(ready.body.video).toMatchObject({ durationSeconds: 6720, playbackId: expect.stringMatching(/\w+/) });

    // Every delivery again (duplicates), the oldest last (out of order): nothing changes.
    const stored = await db.collection('mux_events').countDocuments({ movieId: id });
    const mine = mux.deliveries().filter((d) => d.body.includes(id));
    for (const d of [...mine].reverse()) expect((await mux.redeliver(d.id)).status).toBe('delivered');
    expect(await db.collection('mux_events').countDocuments({ movieId: id })).toBe(stored);
    expect((await gw('GET', `/v1/movies/${id}`, { token: adminToken })).body.video.status).toBe('ASSET_STATUS_READY');

    const published = await gw('POST', `/v1/movies/${id}:publish`, { token: adminToken, body: {} });
    expect(published.status, JSON.stringify(published.body)).toBe(200);
    const found = await until(() => gw('GET', `/v1/movies:search?q=${q('velvet cartografer')}`), (r) => r.body.movies?.[0]?.id === id, 'the new title in search', 2_000);
    expect(found.body.movies[0].video.playbackId).toBe('');

    const deleted = await gw('DELETE', `/v1/movies/${id}`, { token: adminToken });
    expect(deleted.body.status).toBe('MOVIE_STATUS_ARCHIVED');
    expect((await gw('GET', `/v1/movies/${id}`)).status).toBe(404);
    const drafts = await gw('GET', '/v1/movies?includeUnpublished=true&orderBy=newest&pageSize=100', { token: adminToken });
    expect(drafts.body.movies.map((m: { id: string }) => m.id)).toContain(id);
  });
});

describe('partner titles through the gateway', () => {
  it('are listed apart, by source', async () => {
    const partners = await until(() => gw('GET', '/v1/movies?source=partners&pageSize=100'), (r) => r.body.totalSize > 0, 'demo partner feeds', 10_000);
    expect(new Set(partners.body.movies.map((m: { source: string }) => m.source))).toEqual(new Set(['primeview', 'cinevault']));
    expect(partners.body.movies[0].partner).toMatchObject({ partnerName: expect.any(String), url: expect.stringMatching(/^https:/) });
    const own = await gw('GET', '/v1/movies?pageSize=100');
    expect(own.body.movies.every((m: { source: string }) => m.source === 'flix')).toBe(true);
  });
});
