import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, call, startTestStack, type TestStack } from '../support/stack.js';
import { eventually as until } from '@flix/testkit';

let stack: TestStack;
let mongo: MongoClient;
let adminToken: string;
let viewer: { token: string; profileId: string; kidsProfileId: string };
let other: { token: string; profileId: string };
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);
const SPIDER_MAN = 'demo-000001'; // PG13
const INTERSTELLAR = 'demo-000002'; // PG13
const AMELIE = 'demo-000003'; // R

async function signUp(name: string) {
  const reg = await gw('POST', '/v1/auth/register', {
    body: { email: `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@example.com`, password: 'a-long-and-uncommon-passphrase', displayName: name, preferredLanguage: 'en' },
  });
  expect(reg.status, JSON.stringify(reg.body)).toBe(200);
  const token: string = reg.body.accessToken;
  const made = await gw('POST', '/v1/users/me/profiles', { token, body: { name: `${name} main` } });
  expect(made.status, JSON.stringify(made.body)).toBe(200);
  return { token, profileId: made.body.id as string };
}

/**
 * The catalog's aggregate: the public average is rounded to 2 decimals, so the exact sum is read
 * from catalog's own store (a test may look; services never do).
 */
async function catalogRating(movieId: string) {
  const doc = await mongo.db(stack.catalog.db).collection<{ _id: string; ratingSum: number; ratingCount: number }>('movies').findOne({ _id: movieId });
  const shown = (await gw('GET', `/v1/movies/${movieId}`)).body.rating as { average: number; count: number };
  return { sum: doc!.ratingSum, count: doc!.ratingCount, shown };
}

beforeAll(async () => {
  stack = await startTestStack();
  mongo = new MongoClient(stack.mongo.url);
  adminToken = (await gw('POST', '/v1/auth/login', { body: ADMIN })).body.accessToken;
  const v = await signUp('viewer');
  const kids = await gw('POST', '/v1/users/me/profiles', { token: v.token, body: { name: 'Kiddo', kids: true } });
  expect(kids.status, JSON.stringify(kids.body)).toBe(200);
  viewer = { ...v, kidsProfileId: kids.body.id };
  other = await signUp('other');
}, 90_000);

afterAll(async () => {
  await mongo?.close();
  await stack?.stop();
});

describe('ratings through the gateway', () => {
  it("rates, re-rates and deletes; the viewer reads their own rating and the catalog's aggregate follows", async () => {
    const before = await catalogRating(INTERSTELLAR);
    const path = `/v1/movies/${INTERSTELLAR}/rating`;
    const put = await gw('PUT', path, { token: viewer.token, body: { profileId: viewer.profileId, stars: 4, review: 'A wonderful trip.' } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({ movieId: INTERSTELLAR, profileId: viewer.profileId, stars: 4, review: 'A wonderful trip.', reviewState: 'REVIEW_STATE_PUBLISHED' });
    await until(() => catalogRating(INTERSTELLAR), (r) => r.count === before.count + 1, 'catalog counts the rating');

    // Thumbs up on the other account: 5 stars.
    const thumbs = await gw('PUT', path, { token: other.token, body: { profileId: other.profileId, thumbs: 1 } });
    expect(thumbs.status, JSON.stringify(thumbs.body)).toBe(200);
    expect(thumbs.body.stars).toBe(5);
    // Re-rating replaces: the count stays, the sum moves by the difference.
    expect((await gw('PUT', path, { token: viewer.token, body: { profileId: viewer.profileId, stars: 2 } })).body.stars).toBe(2);
    const after = await until(() => catalogRating(INTERSTELLAR), (r) => r.count === before.count + 2 && r.sum === before.sum + 7, 'catalog applies the re-rating as a delta');
    expect(after.shown).toEqual({ count: after.count, average: Math.round((after.sum / after.count) * 100) / 100 });

    const mine = await gw('GET', `${path}?profileId=${viewer.profileId}`, { token: viewer.token });
    expect(mine.status, JSON.stringify(mine.body)).toBe(200);
    expect(mine.body).toMatchObject({ stars: 2, review: '' });
    const list = await gw('GET', `/v1/ratings?profileId=${viewer.profileId}&pageSize=10`, { token: viewer.token });
    expect(list.body.ratings.map((r: { movieId: string }) => r.movieId)).toEqual([INTERSTELLAR]);

    const del = await gw('DELETE', `${path}?profileId=${viewer.profileId}`, { token: viewer.token });
    expect(del.status, JSON.stringify(del.body)).toBe(200);
    expect(del.body).toEqual({ previousStars: 2 });
    await until(() => catalogRating(INTERSTELLAR), (r) => r.count === before.count + 1 && r.sum === before.sum + 5, 'catalog withdraws the rating');
    const gone = await gw('GET', `${path}?profileId=${viewer.profileId}`, { token: viewer.token });
    expect(gone.status).toBe(404);
    expect((await gw('DELETE', `${path}?profileId=${viewer.profileId}`, { token: viewer.token })).status).toBe(404);
  });

  it('answers bad input with the right status and a message naming the field', async () => {
    const path = `/v1/movies/${SPIDER_MAN}/rating`;
    for (const stars of [0, 6]) {
      const r = await gw('PUT', path, { token: viewer.token, body: { profileId: viewer.profileId, stars } });
      expect(r.status).toBe(400);
      expect(r.body.message).toContain('stars');
    }
    // Neutral thumbs (0) is a value, not an absent field: 3 stars.
    const neutral = await gw('PUT', `/v1/movies/${AMELIE}/rating`, { token: viewer.token, body: { profileId: viewer.profileId, thumbs: 0 } });
    expect(neutral.status, JSON.stringify(neutral.body)).toBe(200);
    expect(neutral.body.stars).toBe(3);
    const both = await gw('PUT', path, { token: viewer.token, body: { profileId: viewer.profileId, stars: 3, thumbs: 1 } });
    expect(both.status).toBe(400);
    expect(both.body.message).toContain('thumbs');
    const noProfile = await gw('PUT', path, { token: viewer.token, body: { stars: 3 } });
    expect(noProfile.status).toBe(400);
    expect(noProfile.body.message).toContain('profileId');
    expect((await gw('PUT', path, { body: { profileId: viewer.profileId, stars: 3 } })).status).toBe(401);
    expect((await gw('GET', `${path}?profileId=${viewer.profileId}`)).status).toBe(401);
    const unknown = await gw('PUT', '/v1/movies/no-such-title/rating', { token: viewer.token, body: { profileId: viewer.profileId, stars: 3 } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('no-such-title');
    const foreign = await gw('PUT', path, { token: viewer.token, body: { profileId: other.profileId, stars: 3 } });
    expect(foreign.status).toBe(404);
    expect(foreign.body.message).toContain('profileId');
    // The kids profile cannot rate an R title the catalog would not show it.
    const kids = await gw('PUT', `/v1/movies/${AMELIE}/rating`, { token: viewer.token, body: { profileId: viewer.kidsProfileId, stars: 3 } });
    expect(kids.status).toBe(404);
    expect(kids.body.message).toContain('movieId');
    const badPage = await gw('GET', `/v1/ratings?profileId=${viewer.profileId}&pageToken=garbage`, { token: viewer.token });
    expect(badPage.status).toBe(400);
    expect(badPage.body.message).toContain('pageToken');
  });
});

describe('reviews through the gateway', () => {
  it('are public and paged; an admin hides one and viewers no longer see it', async () => {
    const path = `/v1/movies/${SPIDER_MAN}/rating`;
    expect((await gw('PUT', path, { token: viewer.token, body: { profileId: viewer.profileId, stars: 5, review: 'Web-slinging joy.' } })).status).toBe(200);
    expect((await gw('PUT', path, { token: other.token, body: { profileId: other.profileId, stars: 1, review: 'SPOILER: he wins.' } })).status).toBe(200);

    const page1 = await gw('GET', `/v1/movies/${SPIDER_MAN}/reviews?pageSize=1`);
    expect(page1.status, JSON.stringify(page1.body)).toBe(200);
    expect(page1.body.reviews).toHaveLength(1);
    expect(page1.body.reviews[0]).toMatchObject({ text: 'SPOILER: he wins.', stars: 1, profileId: '', userId: '' });
    const page2 = await gw('GET', `/v1/movies/${SPIDER_MAN}/reviews?pageSize=1&pageToken=${encodeURIComponent(page1.body.nextPageToken)}`, { token: viewer.token });
    expect(page2.body.reviews.map((r: { text: string }) => r.text)).toEqual(['Web-slinging joy.']);
    expect(page2.body.nextPageToken).toBe('');

    const reviewId = page1.body.reviews[0].id as string;
    const asViewer = await gw('POST', `/v1/admin/reviews/${reviewId}:moderate`, { token: viewer.token, body: { action: 'MODERATION_ACTION_HIDE', reason: 'spoilers' } });
    expect(asViewer.status).toBe(403);
    expect((await gw('POST', `/v1/admin/reviews/${reviewId}:moderate`, { body: { action: 'MODERATION_ACTION_HIDE', reason: 'spoilers' } })).status).toBe(401);
    const noReason = await gw('POST', `/v1/admin/reviews/${reviewId}:moderate`, { token: adminToken, body: { action: 'MODERATION_ACTION_HIDE' } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.message).toContain('reason');
    expect((await gw('POST', '/v1/admin/reviews/nope:moderate', { token: adminToken, body: { action: 'MODERATION_ACTION_FLAG', reason: 'x' } })).status).toBe(404);
    const hidden = await gw('POST', `/v1/admin/reviews/${reviewId}:moderate`, { token: adminToken, body: { action: 'MODERATION_ACTION_HIDE', reason: 'spoilers' } });
    expect(hidden.status, JSON.stringify(hidden.body)).toBe(200);
    expect(hidden.body).toMatchObject({ state: 'REVIEW_STATE_HIDDEN', moderationReason: 'spoilers', profileId: other.profileId });

    const visible = await gw('GET', `/v1/movies/${SPIDER_MAN}/reviews`);
    expect(visible.body.reviews.map((r: { text: string }) => r.text)).toEqual(['Web-slinging joy.']);
    const all = await gw('GET', `/v1/movies/${SPIDER_MAN}/reviews?includeModerated=true`, { token: adminToken });
    expect(all.body.reviews.map((r: { state: string }) => r.state).sort()).toEqual(['REVIEW_STATE_HIDDEN', 'REVIEW_STATE_PUBLISHED']);
    expect((await gw('GET', `/v1/movies/${SPIDER_MAN}/reviews?includeModerated=true`, { token: viewer.token })).status).toBe(403);
    expect((await gw('GET', '/v1/movies/no-such-title/reviews')).status).toBe(404);
    expect((await gw('GET', `/v1/movies/${SPIDER_MAN}/reviews`, { token: 'not-a-jwt' })).status).toBe(401);
  });
});

describe.each([
  { name: 'watchlist', base: '/v1/watchlist' },
  { name: 'favourites', base: '/v1/favourites' },
])('$name through the gateway', ({ base }) => {
  it('adds (twice is harmless), lists with catalog details in pages, removes (twice is harmless)', async () => {
    const { token, profileId } = await signUp(`lists${base.replace(/\W/g, '')}`);
    const first = await gw('POST', base, { token, body: { profileId, movieId: SPIDER_MAN } });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ movieId: SPIDER_MAN, movie: { id: SPIDER_MAN, title: 'Spider-Man' } });
    const again = await gw('POST', base, { token, body: { profileId, movieId: SPIDER_MAN } });
    expect(again.body.addTime).toBe(first.body.addTime);
    expect((await gw('POST', base, { token, body: { profileId, movieId: INTERSTELLAR } })).status).toBe(200);

    const p1 = await gw('GET', `${base}?profileId=${profileId}&pageSize=1`, { token });
    expect(p1.status, JSON.stringify(p1.body)).toBe(200);
    expect(p1.body.items.map((i: { movieId: string }) => i.movieId)).toEqual([INTERSTELLAR]);
    expect(p1.body.items[0].movie.title).toBe('Interstellar');
    const p2 = await gw('GET', `${base}?profileId=${profileId}&pageSize=1&pageToken=${encodeURIComponent(p1.body.nextPageToken)}`, { token });
    expect(p2.body.items.map((i: { movieId: string }) => i.movieId)).toEqual([SPIDER_MAN]);

    const del = await gw('DELETE', `${base}/${SPIDER_MAN}?profileId=${profileId}`, { token });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ removed: true });
    expect((await gw('DELETE', `${base}/${SPIDER_MAN}?profileId=${profileId}`, { token })).body).toEqual({ removed: false });
    const left = await gw('GET', `${base}?profileId=${profileId}`, { token });
    expect(left.body.items.map((i: { movieId: string }) => i.movieId)).toEqual([INTERSTELLAR]);
  });

  it('rejects missing tokens, unknown titles, foreign profiles and bad page tokens', async () => {
    expect((await gw('GET', `${base}?profileId=${viewer.profileId}`)).status).toBe(401);
    expect((await gw('POST', base, { body: { profileId: viewer.profileId, movieId: SPIDER_MAN } })).status).toBe(401);
    const unknown = await gw('POST', base, { token: viewer.token, body: { profileId: viewer.profileId, movieId: 'no-such-title' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('no-such-title');
    const foreign = await gw('GET', `${base}?profileId=${other.profileId}`, { token: viewer.token });
    expect(foreign.status).toBe(404);
    expect(foreign.body.message).toContain('profileId');
    expect((await gw('DELETE', `${base}/${SPIDER_MAN}?profileId=${other.profileId}`, { token: viewer.token })).status).toBe(404);
    const noProfile = await gw('POST', base, { token: viewer.token, body: { movieId: SPIDER_MAN } });
    expect(noProfile.status).toBe(400);
    expect(noProfile.body.message).toContain('profileId');
    expect((await gw('GET', `${base}?profileId=${viewer.profileId}&pageToken=garbage`, { token: viewer.token })).status).toBe(400);
  });
});
