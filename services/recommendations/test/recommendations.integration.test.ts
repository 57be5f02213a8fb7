import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogEvents, engagementEvents, identityEvents, playbackEvents } from '@flix/contracts';
import { buildEvent, connectNats, encodeEvent, publishEvent, type EventDef, type EventInit, type FlixEventMessage, type NatsClients } from '@flix/events';
import { createClient, type PromiseClient } from '@flix/grpc';
import { MaturityRating, MovieStatus } from '@flix/proto/flix/catalog/v1/resources';
import { RecommendationsServiceService } from '@flix/proto/flix/recommendations/v1/recommendations_service';
import { ReasonKind, type Recommendation } from '@flix/proto/flix/recommendations/v1/resources';
import { MongoClient } from 'mongodb';
import { ErasedUsers } from '@flix/service';
import { freePort, startMongo, startNats, type MongoHandle, type NatsHandle } from '@flix/testkit';
import { startRecommendations, type RecommendationsHandle } from '../src/main.js';
import { eventually, fakeProfiles, startTestKeys } from './helpers.js';

let mongo: MongoHandle;
let natsServer: NatsHandle;
let nats: NatsClients;
let keys: Awaited<ReturnType<typeof startTestKeys>>;
let svc: RecommendationsHandle;
let client: PromiseClient<typeof RecommendationsServiceService>;
let env: Record<string, string>;

const as = async (sub: string) => ({ metadata: { authorization: `Bearer ${await keys.token(sub)}` } });
const uid = () => randomBytes(3).toString('hex');
const publish = <T extends FlixEventMessage>(def: EventDef<T>, input: EventInit<T>) => publishEvent(nats.js, def, input);

/** Two taste clusters: drama titles d0..d7 and comedy titles c0..c7, plus titles that must stay hidden. */
const movie = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  title: `Title ${id}`,
  genres: [id.startsWith('d') ? 'Drama' : 'Comedy'],
  audioLanguages: [id.startsWith('d') ? 'fr' : 'en'],
  maturityRating: MaturityRating.MATURITY_RATING_PG,
  status: MovieStatus.MOVIE_STATUS_PUBLISHED,
  popularity: 10,
  version: 1,
  ...over,
});

async function recs(profileId: string, user = 'u-main', pageSize = 50): Promise<Recommendation[]> {
  return (await client.listRecommendations({ profileId, pageSize, pageToken: '' }, await as(user))).recommendations;
}

async function complete(profileId: string, movieId: string, user = 'u-crowd') {
  return publish(playbackEvents.titleCompleted, { userId: user, profileId, movieId, sessionId: randomUUID() });
}

beforeAll(async () => {
  [mongo, natsServer, keys] = await Promise.all([startMongo(), startNats(), startTestKeys()]);
  nats = await connectNats(natsServer.url, 'recommendations-test');
  const [g, h] = await Promise.all([freePort(), freePort()]);
  env = {
    MONGO_URL: mongo.url,
    MONGO_DB: `recs_${uid()}`,
    NATS_URL: natsServer.url,
    GRPC_HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    FLIX_JWKS_URL: keys.jwksUrl,
    FLIX_RECS_REFRESH_SECONDS: '0.3',
    FLIX_RECS_CATALOG_SYNC: 'false',
  };
  svc = await startRecommendations({ ...env, GRPC_PORT: String(g), HTTP_PORT: String(h) }, { profiles: fakeProfiles });
  client = createClient(RecommendationsServiceService, `127.0.0.1:${g}`);

  const titles = [
    ...[...Array(8).keys()].flatMap((k) => [movie(`d${k}`), movie(`c${k}`)]),
    movie('d-r', { maturityRating: MaturityRating.MATURITY_RATING_R }),
    movie('d-draft', { status: MovieStatus.MOVIE_STATUS_DRAFT }),
    movie('d-gone', { availableUntil: new Date(Date.now() - 86_400_000) }),
  ];
  for (const m of titles) await publish(catalogEvents.movieCreated, { movie: m, actorId: 'test' });
  // The crowd: drama viewers finish dramas, comedy viewers comedies (the hidden ones too).
  for (let u = 0; u < 12; u++) {
    const cluster = u % 2 === 0 ? 'd' : 'c';
    for (let k = 0; k < 8; k++) if ((u + k) % 3 !== 0) await complete(`crowd-${u}`, `${cluster}${k}`);
    if (cluster === 'd') for (const hidden of ['d-r', 'd-draft', 'd-gone']) await complete(`crowd-${u}`, hidden);
  }
});

afterAll(async () => {
  client?.close();
  await svc?.stop();
  await nats?.drain();
  await Promise.all([mongo?.stop(), natsServer?.stop(), keys?.close()]);
});

describe('recommendations from events', () => {
  it('a profile that finished a drama is shown other dramas, with the reason, and not what it finished', async () => {
    const p = `p-${uid()}`;
    await complete(p, 'd1', 'u-main');
    const list = await eventually(() => recs(p), (l) => l.filter((r) => r.reasonKind === ReasonKind.REASON_KIND_SIMILAR_TO_SEEN).length >= 4, 'collaborative suggestions');
    const cf = list.filter((r) => r.reasonKind === ReasonKind.REASON_KIND_SIMILAR_TO_SEEN);
    expect(cf.every((r) => r.movieId.startsWith('d'))).toBe(true);
    expect(cf[0]!.reason).toBe('Because you watched Title d1');
    expect(cf[0]!.becauseMovieId).toBe('d1');
    const ids = list.map((r) => r.movieId);
    expect(ids).not.toContain('d1');
    // Unpublished and expired titles never appear, whatever the crowd watched.
    expect(ids).not.toContain('d-draft');
    expect(ids).not.toContain('d-gone');
    expect(ids).toContain('d-r');
  });

  it('a profile limited to PG never sees the R-rated drama', async () => {
    const p = `kid-${uid()}`;
    await complete(p, 'd2', 'u-main');
    const list = await eventually(() => recs(p), (l) => l.some((r) => r.reasonKind === ReasonKind.REASON_KIND_SIMILAR_TO_SEEN), 'collaborative suggestions');
    expect(list.map((r) => r.movieId)).not.toContain('d-r');
  });

  it('a new signal changes what the profile sees (comedy after drama)', async () => {
    const p = `p-${uid()}`;
    await publish(engagementEvents.favouriteAdded, { userId: 'u-main', profileId: p, movieId: 'c3' });
    const first = await eventually(() => recs(p), (l) => l[0]?.reasonKind === ReasonKind.REASON_KIND_SIMILAR_TO_SEEN, 'suggestions from the favourite');
    expect(first[0]!.movieId.startsWith('c')).toBe(true);
    expect(first[0]!.reason).toBe('Because you liked Title c3');
    expect(first.map((r) => r.movieId)).not.toContain('c3');
    // Rating a title takes it out at once; its similarity feeds the list too.
    await publish(engagementEvents.ratingSet, { userId: 'u-main', profileId: p, movieId: 'c5', stars: 5 });
    await eventually(() => recs(p), (l) => !l.some((r) => r.movieId === 'c5'), 'the rated title gone');
  });

  it('a rating withdrawn and set arriving out of order ends as the later one (withdrawn)', async () => {
    const p = `p-${uid()}`;
    const t = Date.now();
    await publish(engagementEvents.ratingDeleted, { userId: 'u-main', profileId: p, movieId: 'c6', previousStars: 4, occurTime: new Date(t) });
    await publish(engagementEvents.ratingSet, { userId: 'u-main', profileId: p, movieId: 'c6', stars: 4, occurTime: new Date(t - 5_000) });
    // A later rating of another title: once it shows, both earlier events have been handled.
    await publish(engagementEvents.ratingSet, { userId: 'u-main', profileId: p, movieId: 'c7', stars: 5 });
    const list = await eventually(() => recs(p), (l) => l.length > 0 && !l.some((r) => r.movieId === 'c7'), 'the sentinel rating applied');
    expect(list.map((r) => r.movieId)).toContain('c6');
  });

  it('removing a title from the history forgets the completion: it can be suggested again', async () => {
    const p = `p-${uid()}`;
    await complete(p, 'd4', 'u-main');
    await complete(p, 'd5', 'u-main');
    await eventually(() => recs(p), (l) => l.some((r) => r.reasonKind === ReasonKind.REASON_KIND_SIMILAR_TO_SEEN) && !l.some((r) => r.movieId === 'd4'), 'd4 excluded as finished');
    await publish(playbackEvents.historyRemoved, { userId: 'u-main', profileId: p, movieId: 'd4' });
    const list = await eventually(() => recs(p), (l) => l.some((r) => r.movieId === 'd4'), 'd4 back after the history removal');
    // Suggested because of what is still in the history.
    expect(list.find((r) => r.movieId === 'd4')!.reason).toBe('Because you watched Title d5');
    expect(list.map((r) => r.movieId)).not.toContain('d5');
  });

  it('a redelivered completion is not counted twice in what is popular', async () => {
    // Titles nobody in the crowd watched: one finished by two viewers, one by a single viewer
    // whose event arrives three times, a sentinel finished last by one viewer, one never watched.
    for (const id of ['c-two', 'c-once', 'c-sentinel', 'c-a-unwatched']) await publish(catalogEvents.movieCreated, { movie: movie(id, { popularity: 0 }), actorId: 'test' });
    const once = buildEvent(playbackEvents.titleCompleted, { userId: 'u-x', profileId: 'viewer-a', movieId: 'c-once', sessionId: 's1' });
    for (let i = 0; i < 3; i++) await nats.js.publish(playbackEvents.titleCompleted.subject, encodeEvent(playbackEvents.titleCompleted, once), { msgID: randomUUID() });
    await publish(playbackEvents.titleCompleted, { userId: 'u-y', profileId: 'viewer-b', movieId: 'c-two', sessionId: 's3' });
    await publish(playbackEvents.titleCompleted, { userId: 'u-z', profileId: 'viewer-c', movieId: 'c-two', sessionId: 's4' });
    // A second session finishing the same title is the same fact, not a second viewer.
    await publish(playbackEvents.titleCompleted, { userId: 'u-z', profileId: 'viewer-c', movieId: 'c-two', sessionId: 's5' });
    await publish(playbackEvents.titleCompleted, { userId: 'u-w', profileId: 'viewer-d', movieId: 'c-sentinel', sessionId: 's6' });
    const rank = (l: Recommendation[], id: string) => l.findIndex((r) => r.movieId === id);
    // Once the sentinel outranks the unwatched title, everything published before it is in the model.
    const list = await eventually(
      () => recs(`p-${uid()}`, `u-new-${uid()}`, 100),
      (l) => rank(l, 'c-sentinel') >= 0 && rank(l, 'c-a-unwatched') > rank(l, 'c-sentinel'),
      'the sentinel completion in the model',
    );
    const score = (id: string) => list.find((r) => r.movieId === id)!.score;
    expect(rank(list, 'c-two')).toBeLessThan(rank(list, 'c-once'));
    expect(score('c-once')).toBe(score('c-sentinel'));
  });

  it('a new account gets popular titles in its language and the genres it picked', async () => {
    const user = `u-${uid()}`;
    await publish(identityEvents.userRegistered, { userId: user, email: `${user}@x.test`, preferredLanguage: 'fr', favouriteGenres: ['Drama'] });
    const list = await eventually(() => recs(`p-${uid()}`, user), (l) => l[0]?.reasonKind === ReasonKind.REASON_KIND_FAVOURITE_GENRE, 'cold start from the picks');
    expect(list[0]!.reason).toBe('Because you like Drama');
    expect(list.slice(0, 8).every((r) => r.genres.includes('Drama'))).toBe(true);
    expect(list.some((r) => r.reason === 'Popular on Flix')).toBe(true);
    await publish(identityEvents.userUpdated, { userId: user, preferredLanguage: 'en', favouriteGenres: [] });
    const after = await eventually(() => recs(`p-${uid()}`, user), (l) => l[0]?.reasonKind === ReasonKind.REASON_KIND_POPULAR_IN_LANGUAGE, 'picks updated');
    expect(after[0]!.reason).toBe('Popular in en');
  });

  it('similar titles come from the crowd, and pages do not overlap', async () => {
    const similar = await eventually(
      () => client.listSimilarMovies({ movieId: 'c2', profileId: '', pageSize: 3, pageToken: '' }),
      (r) => r.recommendations[0]?.reasonKind === ReasonKind.REASON_KIND_SIMILAR_TO_SEEN,
      'similar titles',
    );
    expect(similar.recommendations.every((r) => r.movieId.startsWith('c') && r.movieId !== 'c2')).toBe(true);
    expect(similar.nextPageToken).not.toBe('');
    const next = await client.listSimilarMovies({ movieId: 'c2', profileId: '', pageSize: 3, pageToken: similar.nextPageToken });
    const ids = [...similar.recommendations, ...next.recommendations].map((r) => r.movieId);
    expect(new Set(ids).size).toBe(6);
  });

  it('rejects a missing or foreign profile, a bad page token and an unknown title, naming the field', async () => {
    await expect(client.listRecommendations({ profileId: '', pageSize: 10, pageToken: '' }, await as('u-main'))).rejects.toMatchObject({ kind: 'invalid_argument', message: expect.stringContaining('profileId') });
    await expect(client.listRecommendations({ profileId: 'x-other', pageSize: 10, pageToken: '' }, await as('u-main'))).rejects.toMatchObject({ kind: 'not_found', message: expect.stringContaining('profileId') });
    await expect(client.listRecommendations({ profileId: 'p-1', pageSize: 10, pageToken: 'junk!' }, await as('u-main'))).rejects.toMatchObject({ kind: 'invalid_argument', message: expect.stringContaining('pageToken') });
    await expect(client.listRecommendations({ profileId: 'p-1', pageSize: -1, pageToken: '' }, await as('u-main'))).rejects.toMatchObject({ kind: 'invalid_argument', message: expect.stringContaining('pageSize') });
    await expect(client.listRecommendations({ profileId: 'p-1', pageSize: 10, pageToken: '' })).rejects.toMatchObject({ kind: 'unauthenticated' });
    await expect(client.listSimilarMovies({ movieId: 'nope', profileId: '', pageSize: 10, pageToken: '' })).rejects.toMatchObject({ kind: 'not_found', message: expect.stringContaining('movieId') });
  });

  it('a signal about an account another instance erased moments ago is not kept', async () => {
    // This instance learns of another's erasure from memory only at its next refresh (2 s), so
    // the signal is written first and must be erased again afterwards.
    const mongoClient = new MongoClient(mongo.url);
    const db = mongoClient.db(env.MONGO_DB!);
    const user = `u-erased-${uid()}`;
    try {
      await new ErasedUsers(db).record(user, new Date());
      const { seq } = await publish(engagementEvents.ratingSet, { userId: user, profileId: `p-${uid()}`, movieId: 'd1', stars: 5 });
      await eventually(
        () => nats.jsm.consumers.info('ENGAGEMENT', 'recommendations'),
        (c) => c.ack_floor.stream_seq >= seq && c.num_ack_pending === 0,
        'the rating handled',
      );
      expect(await db.collection('interactions').countDocuments({ userId: user })).toBe(0);
    } finally {
      await mongoClient.close();
    }
  });

  it('a second instance on the same database rebuilds the same model from it', async () => {
    await svc.retrain();
    const before = svc.recommendations.recommender.model.neighbours('d3');
    expect(before.length).toBeGreaterThan(0);
    const [g, h] = await Promise.all([freePort(), freePort()]);
    const other = await startRecommendations({ ...env, GRPC_PORT: String(g), HTTP_PORT: String(h) }, { profiles: fakeProfiles });
    try {
      expect(other.recommendations.recommender.model.neighbours('d3')).toEqual(before);
    } finally {
      await other.stop();
    }
  });
});
