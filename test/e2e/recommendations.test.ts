import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogSync } from '../../services/recommendations/src/catalog/catalog-sync.js';
import type { TitleInfo } from '../../services/recommendations/src/domain/model.js';
import { call, startTestStack, type TestStack } from '../support/stack.js';
import { eventually as until } from '@flix/testkit';

let stack: TestStack;
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);

// Demo titles the crowd below favours together (any published demo titles would do).
const SEED = 'demo-000010';
const ALSO = ['demo-000011', 'demo-000012', 'demo-000013'];

interface Rec {
  movieId: string;
  title: string;
  score: number;
  reason: string;
  reasonKind: string;
  genres: string[];
  maturity: string;
}

async function signUp(name: string, extra: { preferredLanguage?: string; favouriteGenres?: string[] } = {}) {
  const reg = await gw('POST', '/v1/auth/register', {
    body: { email: `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@example.com`, password: 'a-long-and-uncommon-passphrase', displayName: name, preferredLanguage: 'en', ...extra },
  });
  expect(reg.status, JSON.stringify(reg.body)).toBe(200);
  const token: string = reg.body.accessToken;
  const profiles = await gw('GET', '/v1/users/me/profiles', { token });
  return { token, profileId: profiles.body.profiles[0].id as string };
}

const recs = async (v: { token: string; profileId: string }, query = ''): Promise<Rec[]> => {
  const r = await gw('GET', `/v1/recommendations?profileId=${v.profileId}&pageSize=50${query}`, { token: v.token });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.recommendations;
};

beforeAll(async () => {
  stack = await startTestStack();
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

describe('recommendations through the gateway', () => {
  it('a new account gets popular titles in the genres it picked, then what its crowd liked', async () => {
    const viewer = await signUp('picky', { preferredLanguage: 'en', favouriteGenres: ['Drama'] });
    // Cold start: the demo catalog reaches recommendations through catalog's events.
    const cold = await until(() => recs(viewer), (l) => l.length === 50 && l[0]?.reason === 'Because you like Drama', 'cold-start suggestions from the picks');
    expect(cold[0]).toMatchObject({ reasonKind: 'REASON_KIND_FAVOURITE_GENRE' });
    expect(cold[0]!.genres).toContain('Drama');
    expect(cold.length).toBe(50);

    // A crowd that favours SEED together with ALSO, through engagement's public API.
    for (let c = 0; c < 3; c++) {
      const fan = await signUp(`fan${c}`);
      for (const movieId of [SEED, ...ALSO]) expect((await gw('POST', '/v1/favourites', { token: fan.token, body: { profileId: fan.profileId, movieId } })).status).toBe(200);
    }
    const seedTitle = (await gw('GET', `/v1/movies/${SEED}`)).body.title as string;
    expect((await gw('POST', '/v1/favourites', { token: viewer.token, body: { profileId: viewer.profileId, movieId: SEED } })).status).toBe(200);
    const warm = await until(() => recs(viewer), (l) => l.slice(0, 3).every((r) => ALSO.includes(r.movieId)), 'the crowd’s titles first');
    expect(warm[0]).toMatchObject({ reason: `Because you liked ${seedTitle}`, reasonKind: 'REASON_KIND_SIMILAR_TO_SEEN' });
    expect(warm.map((r) => r.movieId)).not.toContain(SEED);

    // Rating one of them takes it out of the list.
    expect((await gw('PUT', `/v1/movies/${ALSO[0]}/rating`, { token: viewer.token, body: { profileId: viewer.profileId, stars: 4 } })).status).toBe(200);
    await until(() => recs(viewer), (l) => !l.some((r) => r.movieId === ALSO[0]), 'the rated title gone');

    // Pages follow each other without overlap.
    const p1 = await gw('GET', `/v1/recommendations?profileId=${viewer.profileId}&pageSize=5`, { token: viewer.token });
    expect(p1.body.recommendations).toHaveLength(5);
    const p2 = await gw('GET', `/v1/recommendations?profileId=${viewer.profileId}&pageSize=5&pageToken=${encodeURIComponent(p1.body.nextPageToken)}`, { token: viewer.token });
    const ids = [...p1.body.recommendations, ...p2.body.recommendations].map((r: Rec) => r.movieId);
    expect(new Set(ids).size).toBe(10);

    // Similar titles, anonymous: the crowd's co-favourites first.
    const similar = await until(() => gw('GET', `/v1/movies/${SEED}/similar?pageSize=3`), (r) => r.status === 200 && r.body.recommendations?.length === 3, 'similar titles');
    expect(similar.body.recommendations.map((r: Rec) => r.movieId).sort()).toEqual([...ALSO].sort());
    expect(similar.body.recommendations[0].reason).toBe(`Viewers who liked ${seedTitle} also liked this`);
    expect(similar.body.nextPageToken).not.toBe('');
  }, 120_000);

  it('a kids profile only gets titles within its maturity limit', async () => {
    const parent = await signUp('parent', { favouriteGenres: ['Horror'] });
    const kids = await gw('POST', '/v1/users/me/profiles', { token: parent.token, body: { name: 'Kiddo', kids: true } });
    expect(kids.status, JSON.stringify(kids.body)).toBe(200);
    const list = await until(() => recs({ token: parent.token, profileId: kids.body.id }), (l) => l.length > 0, 'kids suggestions');
    expect(list.every((r) => ['G', 'PG'].includes(r.maturity))).toBe(true);
    const adult = await recs(parent);
    expect(adult.some((r) => ['R', 'NC17'].includes(r.maturity))).toBe(true);
    const similar = await gw('GET', `/v1/movies/${SEED}/similar?profileId=${kids.body.id}&pageSize=100`, { token: parent.token });
    expect(similar.status, JSON.stringify(similar.body)).toBe(200);
    expect(similar.body.recommendations.every((r: Rec) => ['G', 'PG'].includes(r.maturity))).toBe(true);
  }, 60_000);

  it('rejects a missing token, a missing or foreign profile and unknown titles with the right status', async () => {
    const a = await signUp('a');
    const b = await signUp('b');
    const anon = await gw('GET', `/v1/recommendations?profileId=${a.profileId}`);
    expect(anon.status).toBe(401);
    const missing = await gw('GET', '/v1/recommendations', { token: a.token });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain('profileId');
    const foreign = await gw('GET', `/v1/recommendations?profileId=${b.profileId}`, { token: a.token });
    expect(foreign.status).toBe(404);
    expect(foreign.body.message).toContain('profileId');
    const badPage = await gw('GET', `/v1/recommendations?profileId=${a.profileId}&pageToken=nope`, { token: a.token });
    expect(badPage.status).toBe(400);
    expect(badPage.body.message).toContain('pageToken');
    const unknown = await gw('GET', '/v1/movies/no-such-title/similar');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('movieId');
    expect((await gw('GET', `/v1/movies/${SEED}/similar`, { token: 'not-a-jwt' })).status).toBe(401);
    // A profile on the similar list needs the token of its account.
    expect((await gw('GET', `/v1/movies/${SEED}/similar?profileId=${a.profileId}`)).status).toBe(401);
  }, 60_000);

  it('the title copy can be rebuilt from the catalog’s public ListMovies alone (no events)', async () => {
    const copied: TitleInfo[] = [];
    const sync = new CatalogSync(stack.catalog.grpcAddress, { upsert: async (t) => (copied.push(t), 'applied'), all: async () => copied });
    try {
      const r = await sync.run();
      const listed = await gw('GET', '/v1/movies?pageSize=1');
      expect(r.seen).toBe(listed.body.totalSize);
      const one = (await gw('GET', `/v1/movies/${SEED}`)).body;
      expect(copied.find((t) => t.id === SEED)).toMatchObject({ title: one.title, genres: one.genres, languages: one.audioLanguages, status: 'published' });
    } finally {
      sync.close();
    }
  });
});
