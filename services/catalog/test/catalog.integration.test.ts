import { FLIX_STREAMS } from '@flix/contracts';
import { createServer, type Server } from 'node:http';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNats, encodeEvent, ensureStreams, publishEvent, type NatsClients } from '@flix/events';
import { engagementEvents } from '@flix/contracts';
import { createClient, type PromiseClient } from '@flix/grpc';
import { CatalogServiceService } from '@flix/proto/flix/catalog/v1/catalog_service';
import { AssetStatus, MaturityRating, MovieStatus, PlanTier, type Movie } from '@flix/proto/flix/catalog/v1/resources';
import { freePort, startMongo, startNats, type MongoHandle, type NatsHandle } from '@flix/testkit';
import { startCatalog, type CatalogHandle } from '../src/main.js';
import { eventually, fakeMux, muxEnvelope, signMux, startTestKeys } from './helpers.js';

let mongo: MongoHandle;
let nats: NatsHandle;
let keys: Awaited<ReturnType<typeof startTestKeys>>;
let svc: CatalogHandle;
let other: CatalogHandle;
let client: PromiseClient<typeof CatalogServiceService>;
let otherClient: PromiseClient<typeof CatalogServiceService>;
let db: Db;
let dbClient: MongoClient;
let natsClients: NatsClients;
let feeds: Server;
let admin: string;
let viewer: string;
const mux = fakeMux();
const DB = `catalog_it_${Date.now()}`;
let slowHits = 0;

const as = (token: string) => ({ metadata: { authorization: `Bearer ${token}` } });
const browse = { pageSize: 0, pageToken: '', genre: '', language: '', releaseYearMin: 0, releaseYearMax: 0, maturity: '', profileId: '', source: '', includeUnpublished: false };
const list = (over: Partial<typeof browse & { orderBy: string }> = {}, token?: string) =>
  client.listMovies({ ...browse, orderBy: '', ...over }, token ? as(token) : {});
const search = (q: string, over: Partial<typeof browse> = {}, c = client) => c.searchMovies({ ...browse, q, ...over });
const webhook = (body: string, signature?: string) =>
  fetch(`http://127.0.0.1:${svc.httpPort}/webhooks/mux`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature === undefined ? {} : { 'mux-signature': signature }) },
    body,
  });

function draft(over: Partial<Movie> = {}): Movie {
  return {
    id: '', title: 'The Quiet Lighthouse', description: 'A keeper and a storm.', genres: ['Drama'], directors: ['Ines Moreau'], cast: ['Kofi Mensah'],
    releaseYear: 2024, runtimeMinutes: 104, maturityRating: MaturityRating.MATURITY_RATING_PG13, audioLanguages: ['en'], subtitleLanguages: ['fr'],
    artwork: { thumbnailUrl: 'https://img.example/t.jpg', backdropUrl: '' }, trailerUrl: '', requiredPlan: PlanTier.PLAN_TIER_STANDARD,
    rentalPrice: undefined, availableFrom: undefined, availableUntil: undefined, status: MovieStatus.MOVIE_STATUS_UNSPECIFIED, video: undefined,
    rating: undefined, source: '', partner: undefined, popularity: 0, createTime: undefined, updateTime: undefined, publishTime: undefined, version: 0,
    ...over,
  };
}

/** Creates a title and takes its video through Mux to ready, then publishes it. */
async function publishedTitle(over: Partial<Movie> = {}): Promise<Movie> {
  const m = await client.createMovie({ movie: draft(over) }, as(admin));
  const up = await client.createUpload({ movieId: m.id, corsOrigin: '' }, as(admin));
  const at = new Date();
  const ready = muxEnvelope('video.asset.ready', at, { id: `as_${m.id}`, upload_id: up.uploadId, passthrough: m.id, playback_ids: [{ id: `pb_${m.id}`, policy: 'signed' }], duration: 6240, max_stored_resolution: 'HD', aspect_ratio: '16:9' });
  expect((await webhook(ready, signMux(ready))).status).toBe(200);
  return client.publishMovie({ movieId: m.id }, as(admin));
}

beforeAll(async () => {
  [mongo, nats, keys] = await Promise.all([startMongo(), startNats(), startTestKeys()]);
  admin = await keys.token('admin-1', ['admin', 'viewer']);
  viewer = await keys.token('viewer-1', ['viewer']);
  // Partner feeds: one good, one broken (500), one that never answers in time.
  feeds = createServer((req, res) => {
    if (req.url === '/good') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ partner: 'goodflix', titles: [
        { id: 'g1', title: 'Harbor of Lisbon', language: 'pt', genres: ['Drama'], releaseYear: 1999, cost: { amountMinor: 299, currency: 'USD' }, url: 'https://good.example/g1' },
        { id: 'g2', title: 'Neon Wolf', language: 'en', genres: ['Action'], releaseYear: 2019, cost: null, url: 'https://good.example/g2' },
        { id: 'bad', title: '', language: 'xx', url: 'nope', cost: null },
      ] }));
    } else if (req.url === '/broken') {
      res.writeHead(500);
      res.end('boom');
    } else {
      slowHits++; // never answers
    }
  });
  await new Promise<void>((r) => feeds.listen(0, '127.0.0.1', r));
  const feedBase = `http://127.0.0.1:${(feeds.address() as { port: number }).port}`;
  const env = (grpc: number, http: number) => ({
    MONGO_URL: mongo.url, MONGO_DB: DB, NATS_URL: nats.url, GRPC_HOST: '127.0.0.1', GRPC_PORT: String(grpc), HTTP_PORT: String(http),
    LOG_LEVEL: 'silent', FLIX_JWKS_URL: keys.jwksUrl, MUX_BASE_URL: 'http://127.0.0.1:1', MUX_WEBHOOK_SECRET: 'test-mux-webhook-secret',
    FLIX_PARTNER_FEEDS: `goodflix|GoodFlix|${feedBase}/good,brokenflix|BrokenFlix|${feedBase}/broken,slowflix|SlowFlix|${feedBase}/slow`,
    FLIX_PARTNER_FEED_TIMEOUT_MS: '300', FLIX_PARTNER_FEED_INTERVAL_SECONDS: '3600', CATALOG_INDEX_POLL_MS: '100',
  });
  const [g1, h1, g2, h2] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  svc = await startCatalog(env(g1, h1), { mux });
  other = await startCatalog(env(g2, h2), { mux });
  client = createClient(CatalogServiceService, `127.0.0.1:${svc.grpcPort}`);
  otherClient = createClient(CatalogServiceService, `127.0.0.1:${other.grpcPort}`);
  dbClient = new MongoClient(mongo.url);
  db = dbClient.db(DB);
  natsClients = await connectNats(nats.url, 'catalog-test');
  await ensureStreams(natsClients.jsm, FLIX_STREAMS);
}, 60_000);

afterAll(async () => {
  client?.close();
  otherClient?.close();
  await other?.stop();
  await svc?.stop();
  await natsClients?.drain();
  await dbClient?.close();
  feeds?.closeAllConnections();
  feeds?.close();
  await keys?.close();
  await Promise.all([mongo?.stop(), nats?.stop()]);
});

describe('browsing', () => {
  it('lists the demo catalog, seeded once, with stable keyset pages', async () => {
    const first = await list({ pageSize: 50, orderBy: 'title' });
    expect(first.totalSize).toBe(320);
    expect(first.movies).toHaveLength(50);
    const seen = new Set(first.movies.map((m) => m.id));
    let token = first.nextPageToken;
    while (token) {
      const page = await list({ pageSize: 50, orderBy: 'title', pageToken: token });
      for (const m of page.movies) {
        expect(seen.has(m.id), `duplicate ${m.id}`).toBe(false);
        seen.add(m.id);
      }
      token = page.nextPageToken;
    }
    expect(seen.size).toBe(320);
    // Both instances seeded nothing twice.
    expect(await db.collection('movies').countDocuments()).toBeGreaterThanOrEqual(320);
    const titles = first.movies.map((m) => m.title);
    expect(titles.slice(0, 3).every((t) => typeof t === 'string')).toBe(true);
  });

  it('a page token survives inserts before its position', async () => {
    const p1 = await list({ pageSize: 5, orderBy: 'title', includeUnpublished: true }, admin);
    const p2 = await list({ pageSize: 5, orderBy: 'title', includeUnpublished: true }, admin);
    await client.createMovie({ movie: draft({ title: 'AAAA First In Line' }) }, as(admin));
    const next = await list({ pageSize: 5, orderBy: 'title', includeUnpublished: true, pageToken: p1.nextPageToken }, admin);
    const after = await list({ pageSize: 5, orderBy: 'title', includeUnpublished: true, pageToken: p2.nextPageToken }, admin);
    expect(next.movies.map((m) => m.id)).toEqual(after.movies.map((m) => m.id));
    expect(next.movies.map((m) => m.id)).not.toContain(p1.movies[4]!.id);
  });

  it('filters by genre, language, years and maturity, and orders by rating and popularity', async () => {
    const r = await list({ genre: 'sci-fi', language: 'en', releaseYearMin: 1990, releaseYearMax: 2020, maturity: 'PG13', pageSize: 100 });
    expect(r.totalSize).toBeGreaterThan(0);
    for (const m of r.movies) {
      expect(m.genres).toContain('Sci-Fi');
      expect([...m.audioLanguages, ...m.subtitleLanguages]).toContain('en');
      expect(m.releaseYear).toBeGreaterThanOrEqual(1990);
      expect(m.releaseYear).toBeLessThanOrEqual(2020);
      expect(m.maturityRating).toBeLessThanOrEqual(MaturityRating.MATURITY_RATING_PG13);
    }
    const byRating = (await list({ orderBy: 'rating', pageSize: 20 })).movies.map((m) => m.rating!.average);
    expect([...byRating].sort((a, b) => b - a)).toEqual(byRating);
    const byPop = (await list({ orderBy: 'popularity', pageSize: 20 })).movies.map((m) => m.popularity);
    expect([...byPop].sort((a, b) => b - a)).toEqual(byPop);
  });

  it('rejects bad filters with the field named, and tokens from another query', async () => {
    await expect(list({ maturity: 'X' })).rejects.toMatchObject({ kind: 'invalid_argument', message: expect.stringContaining('maturity') });
    await expect(list({ orderBy: 'random' })).rejects.toMatchObject({ message: expect.stringContaining('orderBy') });
    await expect(list({ releaseYearMin: 2010, releaseYearMax: 2000 })).rejects.toMatchObject({ message: expect.stringContaining('releaseYearMax') });
    await expect(list({ source: 'nowhere' })).rejects.toMatchObject({ message: expect.stringContaining('source') });
    const p = await list({ pageSize: 2, genre: 'Drama' });
    await expect(list({ pageSize: 2, genre: 'Comedy', pageToken: p.nextPageToken })).rejects.toMatchObject({ reason: 'INVALID_PAGE_TOKEN' });
    await expect(list({ pageToken: 'garbage!' })).rejects.toMatchObject({ reason: 'INVALID_PAGE_TOKEN' });
  });

  it('lists genres with counts, gets one title, and batch-gets for services without playback ids leaking to viewers', async () => {
    const g = await client.listGenres({ pageSize: 0, pageToken: '', source: '' });
    expect(g.genres.length).toBeGreaterThan(10);
    expect(g.genres.reduce((s, x) => s + x.count, 0)).toBeGreaterThan(320);
    const one = await client.getMovie({ movieId: 'demo-000002' });
    expect(one.title).toBe('Interstellar');
    expect(one.video?.status).toBe(AssetStatus.ASSET_STATUS_READY);
    expect(one.video?.playbackId).toBe('');
    const service = await keys.token('svc-playback', ['service']);
    const batch = await client.batchGetMovies({ movieIds: ['demo-000001', 'nope', 'demo-000002'] }, as(service));
    expect(batch.movies.map((m) => m.title)).toEqual(['Spider-Man', 'Interstellar']);
    expect(batch.movies[0]!.video!.playbackId).toBe('demo-playback-demo-000001');
    expect(batch.missingIds).toEqual(['nope']);
    await expect(client.getMovie({ movieId: 'nope' })).rejects.toMatchObject({ kind: 'not_found' });
  });
});

describe('search', () => {
  const top = async (q: string, over: Partial<typeof browse> = {}) => (await search(q, over)).movies[0]?.title;

  it('tolerates typos, completes prefixes, ignores accents and punctuation', async () => {
    expect(await top('spidr man')).toBe('Spider-Man');
    expect(await top('spiderman')).toBe('Spider-Man');
    expect(await top('interst')).toBe('Interstellar');
    expect(await top('amelie')).toBe('Amélie');
    expect(await top('AMÉLIE!!!')).toBe('Amélie');
    expect(await top('leon')).toBe('Léon');
  });

  it('finds people and genres, ranking title hits above cast hits', async () => {
    const spidey = await client.getMovie({ movieId: 'demo-000001' });
    const director = spidey.directors[0]!;
    const byPerson = await search(director);
    expect(byPerson.movies.map((m) => m.id)).toContain('demo-000001');
    // A title that has a cast member's surname in its name outranks the films they play in.
    const surname = spidey.cast[0]!.split(' ')[1]!;
    await publishedTitle({ title: `${surname} Returns`, cast: [] });
    const bySurname = await search(surname);
    expect(bySurname.movies[0]!.title).toBe(`${surname} Returns`);
    const byGenre = await search('documentary', { pageSize: 100 });
    expect(byGenre.totalSize).toBeGreaterThan(5);
    expect(byGenre.movies.every((m) => m.genres.includes('Documentary') || m.title.toLowerCase().includes('documentar'))).toBe(true);
  });

  it('combines with filters and pages without repeats', async () => {
    const r = await search('the', { maturity: 'PG', pageSize: 5 });
    for (const m of r.movies) expect(m.maturityRating).toBeLessThanOrEqual(MaturityRating.MATURITY_RATING_PG);
    const next = await search('the', { maturity: 'PG', pageSize: 5, pageToken: r.nextPageToken });
    expect(next.movies.some((m) => r.movies.some((x) => x.id === m.id))).toBe(false);
    expect(await top('interstellar', { language: 'fr' })).not.toBe('Interstellar');
    await expect(search('  ')).rejects.toMatchObject({ kind: 'invalid_argument', message: expect.stringContaining('q') });
  });

  it('every instance sees a change made through another within a second', async () => {
    const m = await publishedTitle({ title: 'Zebulon Quasar Odyssey' });
    const hits = await eventually(() => search('zebulon quasar', {}, otherClient), (r) => r.movies.length > 0, 'the other instance to index the title', 2_000);
    expect(hits.movies[0]!.id).toBe(m.id);
    await client.archiveMovie({ movieId: m.id }, as(admin));
    await eventually(() => search('zebulon quasar', {}, otherClient), (r) => r.movies.length === 0, 'the other instance to drop the archived title', 2_000);
  });
});

describe('admin', () => {
  it('needs a token (401) and the admin role (403)', async () => {
    await expect(client.createMovie({ movie: draft() })).rejects.toMatchObject({ kind: 'unauthenticated' });
    await expect(client.createMovie({ movie: draft() }, as(viewer))).rejects.toMatchObject({ kind: 'permission_denied' });
    await expect(client.publishMovie({ movieId: 'demo-000001' }, as(viewer))).rejects.toMatchObject({ kind: 'permission_denied' });
    await expect(list({ includeUnpublished: true }, viewer)).rejects.toMatchObject({ kind: 'permission_denied' });
  });

  it('validates every field at once and stores nothing on bad input', async () => {
    const before = await db.collection('movies').countDocuments();
    const err = await client
      .createMovie({ movie: draft({ title: ' ', genres: ['Drama', 'Polka'], releaseYear: 1700, runtimeMinutes: 0, audioLanguages: ['xx'], requiredPlan: PlanTier.PLAN_TIER_UNSPECIFIED }) }, as(admin))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'invalid_argument' });
    const message = (err as Error).message;
    for (const field of ['title:', 'genres[1]:', 'releaseYear:', 'runtimeMinutes:', 'audioLanguages[0]:', 'requiredPlan:']) expect(message).toContain(field);
    expect(await db.collection('movies').countDocuments()).toBe(before);
  });

  it('create → update with a mask → cannot publish without a ready video → delete archives', async () => {
    const m = await client.createMovie({ movie: draft({ title: 'Paper Compass' }) }, as(admin));
    expect(m.status).toBe(MovieStatus.MOVIE_STATUS_DRAFT);
    const u = await client.updateMovie({ movie: { ...draft({ title: 'Paper Compass (Director’s Cut)', runtimeMinutes: 999 }), id: m.id }, updateMask: ['title'] }, as(admin));
    expect(u.title).toBe('Paper Compass (Director’s Cut)');
    expect(u.runtimeMinutes).toBe(104);
    await expect(client.updateMovie({ movie: { ...draft(), id: m.id }, updateMask: ['status'] }, as(admin))).rejects.toMatchObject({ message: expect.stringContaining('updateMask') });
    await expect(client.publishMovie({ movieId: m.id }, as(admin))).rejects.toMatchObject({ kind: 'invalid_argument', message: expect.stringContaining('video') });
    const past = await client.createMovie({ movie: draft({ title: 'Gone Already', availableUntil: new Date(Date.now() - 86_400_000) }) }, as(admin));
    await expect(client.publishMovie({ movieId: past.id }, as(admin))).rejects.toMatchObject({ message: expect.stringContaining('availableUntil') });
    const del = await client.deleteMovie({ movieId: m.id }, as(admin));
    expect(del.status).toBe(MovieStatus.MOVIE_STATUS_ARCHIVED);
    expect((await client.deleteMovie({ movieId: m.id }, as(admin))).status).toBe(MovieStatus.MOVIE_STATUS_ARCHIVED);
    await expect(client.getMovie({ movieId: m.id })).rejects.toMatchObject({ kind: 'not_found' });
    expect((await client.getMovie({ movieId: m.id }, as(admin))).status).toBe(MovieStatus.MOVIE_STATUS_ARCHIVED);
  });
});

describe('Mux webhooks', () => {
  it('refuse a bad or missing signature and store nothing', async () => {
    const m = await client.createMovie({ movie: draft({ title: 'Unsigned' }) }, as(admin));
    const up = await client.createUpload({ movieId: m.id, corsOrigin: '' }, as(admin));
    const body = muxEnvelope('video.asset.created', new Date(), { id: 'as_x', upload_id: up.uploadId, passthrough: m.id });
    expect((await webhook(body)).status).toBe(400);
    const bad = await webhook(body, signMux(body, 'wrong-secret'));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('mux-signature');
    expect((await webhook(body, signMux(body, undefined, Math.floor(Date.now() / 1000) - 3600))).status).toBe(400);
    expect(await db.collection('mux_events').countDocuments({ movieId: m.id })).toBe(0);
    expect((await client.getMovie({ movieId: m.id }, as(admin))).video?.status).toBe(AssetStatus.ASSET_STATUS_WAITING);
  });

  it('take duplicates and out-of-order deliveries in stride, and emit asset events', async () => {
    const m = await client.createMovie({ movie: draft({ title: 'Out Of Order' }) }, as(admin));
    const up = await client.createUpload({ movieId: m.id, corsOrigin: 'https://admin.flix.example' }, as(admin));
    expect(up.uploadUrl).toMatch(/^http/);
    expect(up.movie!.video!.status).toBe(AssetStatus.ASSET_STATUS_WAITING);
    const t0 = Date.now();
    const created = muxEnvelope('video.asset.created', new Date(t0), { id: 'as_ooo', upload_id: up.uploadId, passthrough: m.id });
    const ready = muxEnvelope('video.asset.ready', new Date(t0 + 5000), { id: 'as_ooo', upload_id: up.uploadId, passthrough: m.id, playback_ids: [{ id: 'pb_ooo' }], duration: 5400.5, max_stored_resolution: 'FHD', aspect_ratio: '16:9' });
    const errored = muxEnvelope('video.asset.errored', new Date(t0 + 1000), { id: 'as_ooo', upload_id: up.uploadId, passthrough: m.id });
    // Ready arrives first, then the older "created", then ready again (redelivery), then a stale error.
    for (const body of [ready, created, ready, errored]) {
      const res = await webhook(body, signMux(body));
      expect(res.status).toBe(200);
    }
    const again = await webhook(ready, signMux(ready));
    expect(((await again.json()) as { outcome: string }).outcome).toBe('duplicate');
    const after = await client.getMovie({ movieId: m.id }, as(admin));
    expect(after.video).toMatchObject({ status: AssetStatus.ASSET_STATUS_READY, assetId: 'as_ooo', playbackId: 'pb_ooo', durationSeconds: 5400.5 });
    expect(await db.collection('mux_events').countDocuments({ movieId: m.id })).toBe(3);
    const subjects = await eventually(
      async () => (await db.collection('outbox').find({ subject: /^catalog\.asset\./ }).toArray()).filter((e) => String(e.data).includes(m.id)).map((e) => e.subject),
      (s) => s.length >= 1,
      'asset events in the outbox',
    );
    expect(subjects).toEqual(['catalog.asset.ready']);
    expect((await client.publishMovie({ movieId: m.id }, as(admin))).status).toBe(MovieStatus.MOVIE_STATUS_PUBLISHED);
  });
});

describe('ratings from engagement', () => {
  it('keeps the aggregate right under redelivery', async () => {
    const m = await publishedTitle({ title: 'Rated Film' });
    const e1 = await publishEvent(natsClients.js, engagementEvents.ratingSet, { userId: 'u1', profileId: 'p1', movieId: m.id, stars: 4, previousStars: 0 });
    // The same event again under another message id: JetStream cannot de-duplicate it, the consumer must.
    await natsClients.js.publish('engagement.rating.set', encodeEvent(engagementEvents.ratingSet, e1.event), { msgID: `${e1.event.eventId}-again` });
    await publishEvent(natsClients.js, engagementEvents.ratingSet, { userId: 'u2', profileId: 'p2', movieId: m.id, stars: 2, previousStars: 0 });
    await publishEvent(natsClients.js, engagementEvents.ratingSet, { userId: 'u1', profileId: 'p1', movieId: m.id, stars: 5, previousStars: 4 });
    await publishEvent(natsClients.js, engagementEvents.ratingDeleted, { userId: 'u2', profileId: 'p2', movieId: m.id, previousStars: 2 });
    const r = await eventually(() => client.getMovie({ movieId: m.id }), (x) => x.rating?.count === 1 && x.rating.average === 5, 'the aggregate', 10_000);
    expect(r.rating).toEqual({ average: 5, count: 1 });
  });
});

describe('partner titles', () => {
  it('a broken or slow feed affects nobody else; titles are listable and searchable by source', async () => {
    const feedsOf = svc.partnerFeeds();
    const results = await Promise.all(feedsOf.map((f) => svc.partnerSync.syncOnce(f, true)));
    expect(results).toEqual(['synced', 'failed', 'failed']);
    expect(slowHits).toBeGreaterThan(0);
    const status = await db.collection('partner_feeds').find().toArray();
    expect(status.find((s) => s._id === 'slowflix' as never)?.lastError).toContain('no answer within 300 ms');
    expect(status.find((s) => s._id === 'brokenflix' as never)?.lastError).toContain('HTTP 500');
    const partners = await eventually(() => list({ source: 'partners' }), (r) => r.totalSize === 2, 'partner titles in the index');
    expect(partners.movies.map((m) => m.partner?.partnerName)).toEqual(['GoodFlix', 'GoodFlix']);
    expect((await list()).movies.some((m) => m.source !== 'flix')).toBe(false);
    const found = await search('harbor lisbon', { source: 'goodflix' });
    expect(found.movies[0]).toMatchObject({ title: 'Harbor of Lisbon', partner: { price: { amountMinor: 299, currency: 'USD' } } });
    const all = await search('neon wolf', { source: 'all' });
    expect(all.movies.map((m) => m.source)).toContain('goodflix');
    // The good partner's snapshot stays when its feed later fails.
    expect((await client.getMovie({ movieId: partners.movies[0]!.id })).source).toBe('goodflix');
  });
});
