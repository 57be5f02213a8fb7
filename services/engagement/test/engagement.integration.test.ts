import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '@flix/errors';
import { connectNats, type NatsClients } from '@flix/events';
import { createClient, type PromiseClient } from '@flix/grpc';
import type { Maturity } from '@flix/profiles/maturity';
import { EngagementServiceService, ModerationAction } from '@flix/proto/flix/engagement/v1/engagement_service';
import { ReviewState } from '@flix/proto/flix/engagement/v1/resources';
import { freePort, startMongo, startNats, type MongoHandle, type NatsHandle } from '@flix/testkit';
import { startEngagement, type EngagementHandle } from '../src/main.js';
import type { MovieDirectory, ProfileDirectory } from '../src/domain/ports.js';
import { eventually, startTestKeys, streamEvents } from './helpers.js';

let mongo: MongoHandle;
let natsServer: NatsHandle;
let nats: NatsClients;
let keys: Awaited<ReturnType<typeof startTestKeys>>;
let svc: EngagementHandle;
let client: PromiseClient<typeof EngagementServiceService>;
let dbClient: MongoClient;
let db: Db;

/** Catalog double: m-* titles exist (PG13), m-r-* are rated R; anything else is unknown. */
const movies: MovieDirectory = {
  async get(id) {
    if (id.startsWith('m-r-')) return { id, maturity: 'R' };
    if (id.startsWith('m-')) return { id, maturity: 'PG13' };
    return null;
  },
};
/** Identity double: the profiles of account U are "U.*"; "U.kids" is capped at PG. */
const profiles: ProfileDirectory = {
  async maxMaturity(token, profileId): Promise<Maturity> {
    const sub = String((JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string }).sub);
    if (!profileId.startsWith(`${sub}.`))
      throw new DomainError('not_found', 'PROFILE_NOT_FOUND', `profileId: no profile ${profileId} on this account`, [{ field: 'profileId', description: 'not a profile of this account' }]);
    return profileId.endsWith('.kids') ? 'PG' : 'NC17';
  },
};

const as = async (sub: string, roles: string[] = []) => ({ metadata: { authorization: `Bearer ${await keys.token(sub, roles)}` } });
const newUser = () => `u-${randomBytes(4).toString('hex')}`;
const failure = (p: Promise<unknown>): Promise<DomainError> =>
  p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => {
      if (!(e instanceof DomainError)) throw e;
      return e;
    },
  );
/** Waits until the outbox has published everything, so the stream holds every event there will be. */
const drained = () => eventually(() => db.collection('outbox').countDocuments({ state: 'pending' }), (n) => n === 0, 'outbox drained');
const eventsOf = async (needle: string) => {
  await drained();
  return streamEvents(nats.jsm, needle);
};
const rateReq = (movieId: string, profileId: string, stars: number, review = '') => ({ movieId, profileId, stars, review });

beforeAll(async () => {
  [mongo, natsServer, keys] = await Promise.all([startMongo(), startNats(), startTestKeys()]);
  const [grpcPort, httpPort] = await Promise.all([freePort(), freePort()]);
  svc = await startEngagement(
    {
      MONGO_URL: mongo.url,
      MONGO_DB: `engagement_${randomBytes(4).toString('hex')}`,
      NATS_URL: natsServer.url,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
      HTTP_PORT: String(httpPort),
      LOG_LEVEL: 'silent',
      FLIX_JWKS_URL: keys.jwksUrl,
    },
    { movies, profiles },
  );
  client = createClient(EngagementServiceService, `127.0.0.1:${svc.grpcPort}`);
  nats = await connectNats(natsServer.url, 'engagement-test');
  dbClient = new MongoClient(mongo.url);
  db = dbClient.db(svc.store.ratings.dbName);
}, 60_000);

afterAll(async () => {
  client?.close();
  await nats?.drain();
  await svc?.stop();
  await dbClient?.close();
  await Promise.all([mongo?.stop(), natsServer?.stop(), keys?.close()]);
});

describe('ratings', () => {
  it('rates, re-rates (replacing), reads back and deletes, each change announced once with the exact previous stars', async () => {
    const u = newUser();
    const p = `${u}.main`;
    const first = await client.setRating(rateReq('m-1', p, 4, '  Loved it  '), await as(u));
    expect(first).toMatchObject({ movieId: 'm-1', profileId: p, stars: 4, review: 'Loved it', reviewState: ReviewState.REVIEW_STATE_PUBLISHED });
    expect(first.reviewId).not.toBe('');
    const again = await client.setRating({ movieId: 'm-1', profileId: p, stars: 0, thumbs: -1, review: '' }, await as(u));
    expect(again).toMatchObject({ stars: 1, review: '', reviewId: '' });
    expect(await client.getRating({ movieId: 'm-1', profileId: p }, await as(u))).toMatchObject({ stars: 1 });
    expect(await db.collection('ratings').countDocuments({ profileId: p })).toBe(1);

    expect(await client.deleteRating({ movieId: 'm-1', profileId: p }, await as(u))).toEqual({ previousStars: 1 });
    expect((await failure(client.getRating({ movieId: 'm-1', profileId: p }, await as(u)))).kind).toBe('not_found');
    expect((await failure(client.deleteRating({ movieId: 'm-1', profileId: p }, await as(u)))).kind).toBe('not_found');

    const events = await eventsOf(p);
    expect(events.map((e) => [e.subject, e.data.stars, e.data.previousStars ?? 0])).toEqual([
      ['engagement.rating.set', 4, 0],
      ['engagement.rating.set', 1, 4],
      ['engagement.rating.deleted', undefined, 1],
    ]);
    expect(events[0]!.data).toMatchObject({ userId: u, profileId: p, movieId: 'm-1', hasReview: true });
    expect(events[0]!.type).toBe('flix.engagement.v1.RatingSet');
    expect(events[0]!.msgId).toBe(events[0]!.data.eventId);
  });

  it('concurrent ratings of one title by one profile chain exactly: deltas add up to the final rating', async () => {
    const u = newUser();
    const p = `${u}.main`;
    const token = await as(u);
    const wanted = Array.from({ length: 12 }, (_, i) => (i % 5) + 1);
    await Promise.all(wanted.map((stars) => client.setRating(rateReq('m-race', p, stars), token)));
    const final = await client.getRating({ movieId: 'm-race', profileId: p }, token);
    const events = await eventsOf(p);
    expect(events).toHaveLength(wanted.length);
    expect(events.filter((e) => e.data.previousStars === undefined || e.data.previousStars === 0)).toHaveLength(1);
    const sum = events.reduce((s, e) => s + Number(e.data.stars) - Number(e.data.previousStars ?? 0), 0);
    expect(sum).toBe(final.stars);
    // Every replaced value is one that some other write actually stored: a chain, not guesses.
    const stored = events.map((e) => Number(e.data.stars)).sort();
    const replaced = [...events.map((e) => Number(e.data.previousStars ?? 0)).filter((n) => n > 0), final.stars].sort();
    expect(replaced).toEqual(stored);
  });

  it('rejects bad stars, thumbs and reviews naming the field, and unknown titles, foreign profiles and missing tokens', async () => {
    const u = newUser();
    const p = `${u}.main`;
    const t = await as(u);
    for (const stars of [0, 6]) {
      const e = await failure(client.setRating(rateReq('m-1', p, stars), t));
      expect(e.kind).toBe('invalid_argument');
      expect(e.fieldViolations.map((v) => v.field)).toEqual(['stars']);
    }
    expect((await failure(client.setRating({ ...rateReq('m-1', p, 0), thumbs: 3 }, t))).fieldViolations[0]?.field).toBe('thumbs');
    expect((await failure(client.setRating(rateReq('m-1', p, 3, 'x'.repeat(4001)), t))).fieldViolations[0]?.field).toBe('review');
    expect((await failure(client.setRating(rateReq('m-1', '', 3), t))).fieldViolations[0]?.field).toBe('profileId');
    const unknown = await failure(client.setRating(rateReq('nope', p, 3), t));
    expect(unknown.kind).toBe('not_found');
    expect(unknown.message).toMatch(/movieId.*nope/);
    const foreign = await failure(client.setRating(rateReq('m-1', 'someone-else.main', 3), t));
    expect(foreign.kind).toBe('not_found');
    expect(foreign.message).toMatch(/profileId/);
    // A kids profile cannot rate what the catalog would not show it.
    expect((await failure(client.setRating(rateReq('m-r-1', `${u}.kids`, 3), t))).message).toMatch(/movieId/);
    expect((await failure(client.setRating(rateReq('m-1', p, 3)))).kind).toBe('unauthenticated');
    expect(await eventsOf(u)).toEqual([]);
  });

  it("lists a profile's ratings newest first in pages", async () => {
    const u = newUser();
    const p = `${u}.main`;
    const t = await as(u);
    for (const m of ['m-a', 'm-b', 'm-c', 'm-d', 'm-e']) await client.setRating(rateReq(m, p, 3), t);
    await client.setRating(rateReq('m-b', p, 5), t);
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await client.listRatings({ profileId: p, pageSize: 2, pageToken }, t);
      expect(page.ratings.length).toBeLessThanOrEqual(2);
      seen.push(...page.ratings.map((r) => r.movieId));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen).toEqual(['m-b', 'm-e', 'm-d', 'm-c', 'm-a']);
    expect((await failure(client.listRatings({ profileId: p, pageSize: 2, pageToken: 'garbage' }, t))).fieldViolations[0]?.field).toBe('pageToken');
  });
});

describe('reviews', () => {
  it('pages published reviews newest first; moderators flag and hide, viewers then no longer see them', async () => {
    const movieId = `m-rev-${randomBytes(3).toString('hex')}`;
    const authors = Array.from({ length: 5 }, () => newUser());
    for (const [i, u] of authors.entries()) await client.setRating(rateReq(movieId, `${u}.main`, i + 1, `Review number ${i}`), await as(u));
    // A rating without words is not a review.
    const silent = newUser();
    await client.setRating(rateReq(movieId, `${silent}.main`, 2), await as(silent));

    const readAll = async (opts: { admin?: boolean; includeModerated?: boolean } = {}) => {
      const texts: string[] = [];
      let pageToken = '';
      const meta = opts.admin ? await as('mod', ['admin']) : undefined;
      do {
        const page = await client.listReviews({ movieId, pageSize: 2, pageToken, includeModerated: !!opts.includeModerated }, meta);
        texts.push(...page.reviews.map((r) => r.text));
        pageToken = page.nextPageToken;
      } while (pageToken);
      return texts;
    };
    expect(await readAll()).toEqual(['Review number 4', 'Review number 3', 'Review number 2', 'Review number 1', 'Review number 0']);
    const anonymous = await client.listReviews({ movieId, pageSize: 1, pageToken: '', includeModerated: false });
    expect(anonymous.reviews[0]).toMatchObject({ stars: 5, profileId: '', userId: '', state: ReviewState.REVIEW_STATE_UNSPECIFIED });

    const target = (await client.getRating({ movieId, profileId: `${authors[2]}.main` }, await as(authors[2]!))).reviewId;
    const admin = await as('mod', ['admin']);
    expect((await failure(client.moderateReview({ reviewId: target, action: ModerationAction.MODERATION_ACTION_HIDE, reason: '' }, admin))).fieldViolations[0]?.field).toBe('reason');
    expect((await failure(client.moderateReview({ reviewId: target, action: ModerationAction.MODERATION_ACTION_UNSPECIFIED, reason: 'x' }, admin))).fieldViolations[0]?.field).toBe('action');
    expect((await failure(client.moderateReview({ reviewId: 'nope', action: ModerationAction.MODERATION_ACTION_HIDE, reason: 'x' }, admin))).kind).toBe('not_found');
    expect((await failure(client.moderateReview({ reviewId: target, action: ModerationAction.MODERATION_ACTION_HIDE, reason: 'x' }, await as(authors[0]!)))).kind).toBe('permission_denied');
    const hidden = await client.moderateReview({ reviewId: target, action: ModerationAction.MODERATION_ACTION_HIDE, reason: 'spoilers' }, admin);
    expect(hidden).toMatchObject({ state: ReviewState.REVIEW_STATE_HIDDEN, moderationReason: 'spoilers', profileId: `${authors[2]}.main` });
    const flagTarget = (await client.getRating({ movieId, profileId: `${authors[0]}.main` }, await as(authors[0]!))).reviewId;
    await client.moderateReview({ reviewId: flagTarget, action: ModerationAction.MODERATION_ACTION_FLAG, reason: 'reported' }, admin);

    expect(await readAll()).toEqual(['Review number 4', 'Review number 3', 'Review number 1']);
    expect(await readAll({ admin: true, includeModerated: true })).toHaveLength(5);
    expect((await failure(client.listReviews({ movieId, pageSize: 2, pageToken: '', includeModerated: true }, await as(authors[0]!)))).kind).toBe('permission_denied');
    // The author sees the verdict on their own rating.
    expect((await client.getRating({ movieId, profileId: `${authors[2]}.main` }, await as(authors[2]!))).reviewState).toBe(ReviewState.REVIEW_STATE_HIDDEN);

    await client.moderateReview({ reviewId: target, action: ModerationAction.MODERATION_ACTION_PUBLISH, reason: '' }, admin);
    expect(await readAll()).toEqual(['Review number 4', 'Review number 3', 'Review number 2', 'Review number 1']);
    expect((await failure(client.listReviews({ movieId: 'nope', pageSize: 2, pageToken: '', includeModerated: false }))).message).toMatch(/movieId/);
    // Moderation emits no rating events: the stars still count.
    expect((await eventsOf(`${authors[2]}.main`)).map((e) => e.subject)).toEqual(['engagement.rating.set']);
  });
});

describe.each([
  {
    name: 'watchlist',
    add: (r: { profileId: string; movieId: string }, m?: object) => client.addToWatchlist(r, m),
    remove: (r: { profileId: string; movieId: string }, m?: object) => client.removeFromWatchlist(r, m),
    list: (r: { profileId: string; pageSize: number; pageToken: string }, m?: object) => client.listWatchlist(r, m),
    subjects: ['engagement.watchlist.added', 'engagement.watchlist.removed'],
  },
  {
    name: 'favourites',
    add: (r: { profileId: string; movieId: string }, m?: object) => client.addFavourite(r, m),
    remove: (r: { profileId: string; movieId: string }, m?: object) => client.removeFavourite(r, m),
    list: (r: { profileId: string; pageSize: number; pageToken: string }, m?: object) => client.listFavourites(r, m),
    subjects: ['engagement.favourite.added', 'engagement.favourite.removed'],
  },
])('$name', ({ add, remove, list, subjects }) => {
  it('adding twice or removing what is not there is harmless and announces only real changes', async () => {
    const u = newUser();
    const p = `${u}.main`;
    const t = await as(u);
    const first = await add({ profileId: p, movieId: 'm-1' }, t);
    const second = await add({ profileId: p, movieId: 'm-1' }, t);
    expect(second.addTime).toEqual(first.addTime);
    expect((await list({ profileId: p, pageSize: 0, pageToken: '' }, t)).items.map((i) => i.movieId)).toEqual(['m-1']);
    expect(await remove({ profileId: p, movieId: 'm-1' }, t)).toEqual({ removed: true });
    expect(await remove({ profileId: p, movieId: 'm-1' }, t)).toEqual({ removed: false });
    expect(await remove({ profileId: p, movieId: 'never-there' }, t)).toEqual({ removed: false });
    const events = await eventsOf(p);
    expect(events.map((e) => e.subject)).toEqual(subjects);
    expect(events[0]!.data).toMatchObject({ userId: u, profileId: p, movieId: 'm-1' });
  });

  it('concurrent adds of one title make one entry and one event', async () => {
    const u = newUser();
    const p = `${u}.main`;
    const t = await as(u);
    await Promise.all(Array.from({ length: 8 }, () => add({ profileId: p, movieId: 'm-2' }, t)));
    expect((await list({ profileId: p, pageSize: 0, pageToken: '' }, t)).items).toHaveLength(1);
    expect(await eventsOf(p)).toHaveLength(1);
  });

  it('pages newest first, keeps profiles apart and checks titles and profiles', async () => {
    const u = newUser();
    const p = `${u}.main`;
    const t = await as(u);
    for (const m of ['m-a', 'm-b', 'm-c', 'm-d', 'm-e']) await add({ profileId: p, movieId: m }, t);
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await list({ profileId: p, pageSize: 2, pageToken }, t);
      seen.push(...page.items.map((i) => i.movieId));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen).toEqual(['m-e', 'm-d', 'm-c', 'm-b', 'm-a']);
    expect((await list({ profileId: `${u}.other`, pageSize: 0, pageToken: '' }, t)).items).toEqual([]);
    expect((await failure(add({ profileId: p, movieId: 'nope' }, t))).message).toMatch(/movieId/);
    expect((await failure(add({ profileId: 'x.main', movieId: 'm-a' }, t))).message).toMatch(/profileId/);
    expect((await failure(list({ profileId: 'x.main', pageSize: 0, pageToken: '' }, t))).kind).toBe('not_found');
    expect((await failure(list({ profileId: p, pageSize: 0, pageToken: '' }))).kind).toBe('unauthenticated');
  });
});
