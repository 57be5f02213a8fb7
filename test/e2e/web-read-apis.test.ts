/**
 * The read APIs the web app needs, through the gateway: a title for a profile (GetMovie with
 * profileId), several titles at once (GET /v1/movies:batchGet), the caller's entitlement to a
 * title (GET /v1/entitlements/{movieId}) and one viewing entry (GET /v1/watch-history/{movieId}).
 * One stack for all of them; billing is the real one (no Stripe: nobody is subscribed), playback
 * asks a double of billing that lets everyone play, so that a viewing entry can be made.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, call, startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);

interface Viewer {
  token: string;
  profileId: string;
  kidsProfileId: string;
}
async function viewer(name: string): Promise<Viewer> {
  const r = await gw('POST', '/v1/auth/register', {
    body: { email: `${name}-${Date.now()}@example.com`, password: 'a long uncommon passphrase', displayName: name, preferredLanguage: 'en' },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const token = r.body.accessToken as string;
  // Every profile before the first profileId call (the services cache a token's profiles briefly).
  const kids = await gw('POST', '/v1/users/me/profiles', { token, body: { name: 'Kids', kids: true } });
  expect(kids.status, JSON.stringify(kids.body)).toBe(200);
  const profiles = await gw('GET', '/v1/users/me/profiles', { token });
  const main = profiles.body.profiles.find((p: { id: string }) => p.id !== kids.body.id);
  return { token, profileId: main.id, kidsProfileId: kids.body.id };
}

let admin: string;
let ann: Viewer;
let bob: Viewer;
/** Amélie, rated R. */
const ADULT = 'demo-000003';
/** A title a kids profile (capped at PG) may see. */
let family: string;

beforeAll(async () => {
  stack = await startTestStack(
    {},
    {
      playback: { FLIX_PROGRESS_FLUSH_SECONDS: '1', FLIX_SESSION_SWEEP_SECONDS: '3600' },
      playbackOverrides: {
        entitlements: {
          async check() {
            return { allowed: true, reason: 'SUBSCRIPTION', source: 'subscription', maxStreams: 4, maxQuality: 'HD', validUntil: new Date(Date.now() + 86_400_000), rentalId: '' };
          },
        },
      },
    },
  );
  admin = (await gw('POST', '/v1/auth/login', { body: ADMIN })).body.accessToken;
  [ann, bob] = await Promise.all([viewer('ann'), viewer('bob')]);
  const kidsPage = await gw('GET', `/v1/movies?profileId=${ann.kidsProfileId}&pageSize=1`, { token: ann.token });
  expect(kidsPage.status, JSON.stringify(kidsPage.body)).toBe(200);
  family = kidsPage.body.movies[0].id;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('GET /v1/movies/{movieId}?profileId=', () => {
  it("refuses a title above the profile's maturity limit with 403 naming the limit", async () => {
    const r = await gw('GET', `/v1/movies/${ADULT}?profileId=${ann.kidsProfileId}`, { token: ann.token });
    expect(r.status, JSON.stringify(r.body)).toBe(403);
    expect(r.body.message).toContain("above this profile's maturity limit (PG)");
    expect(r.body.message).toMatch(/^profileId: /);
  });

  it('shows titles within the limit, and is unchanged without profileId', async () => {
    const kids = await gw('GET', `/v1/movies/${family}?profileId=${ann.kidsProfileId}`, { token: ann.token });
    expect(kids.status, JSON.stringify(kids.body)).toBe(200);
    expect(['MATURITY_RATING_G', 'MATURITY_RATING_PG']).toContain(kids.body.maturityRating);
    const grownUp = await gw('GET', `/v1/movies/${ADULT}?profileId=${ann.profileId}`, { token: ann.token });
    expect(grownUp.status, JSON.stringify(grownUp.body)).toBe(200);
    expect(grownUp.body).toMatchObject({ id: ADULT, title: 'Amélie', maturityRating: 'MATURITY_RATING_R' });
    expect((await gw('GET', `/v1/movies/${ADULT}`)).body).toEqual(grownUp.body);
    expect((await gw('GET', `/v1/movies/${ADULT}`, { token: ann.token })).status).toBe(200);
  });

  it("401 without a token, 404 for another account's profile or an unknown title, 400 for a blank id", async () => {
    const anon = await gw('GET', `/v1/movies/${ADULT}?profileId=${ann.kidsProfileId}`);
    expect(anon.status).toBe(401);
    expect(anon.body.message).toContain('profileId');
    const foreign = await gw('GET', `/v1/movies/${family}?profileId=${bob.kidsProfileId}`, { token: ann.token });
    expect(foreign.status).toBe(404);
    expect(foreign.body.message).toContain('profileId');
    expect((await gw('GET', `/v1/movies/no-such-title?profileId=${ann.profileId}`, { token: ann.token })).status).toBe(404);
    const blank = await gw('GET', '/v1/movies/%20');
    expect(blank.status).toBe(400);
    expect(blank.body.message).toContain('movieId');
  });
});

describe('GET /v1/movies:batchGet', () => {
  const ids = (...list: string[]) => list.map((id) => `movieIds=${encodeURIComponent(id)}`).join('&');

  it('answers each id as GetMovie would, in the order asked, for anonymous callers, viewers and admins', async () => {
    const asked = ['demo-000002', 'nope', 'demo-000001', 'demo-000002'];
    for (const token of [undefined, ann.token, admin]) {
      const r = await gw('GET', `/v1/movies:batchGet?${ids(...asked)}`, { token });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.movies.map((m: { title: string }) => m.title)).toEqual(['Interstellar', 'Spider-Man']);
      expect(r.body.missingIds).toEqual(['nope']);
      expect(r.body.restrictedIds ?? []).toEqual([]);
      const one = await gw('GET', '/v1/movies/demo-000001', { token });
      expect(r.body.movies[1]).toEqual(one.body);
    }
    // Playback ids only for admins (and services), exactly as GetMovie.
    const viewerSees = (await gw('GET', `/v1/movies:batchGet?${ids('demo-000001')}`, { token: ann.token })).body.movies[0];
    expect(viewerSees.video.playbackId ?? '').toBe('');
    const adminSees = (await gw('GET', `/v1/movies:batchGet?${ids('demo-000001')}`, { token: admin })).body.movies[0];
    expect(adminSees.video.playbackId).toBe('demo-playback-demo-000001');
  });

  it('leaves drafts out for viewers, as GetMovie does', async () => {
    const draft = await gw('POST', '/v1/movies', {
      token: admin,
      body: { title: 'Not Yet', description: 'x', genres: ['Drama'], releaseYear: 2024, runtimeMinutes: 90, maturityRating: 'MATURITY_RATING_PG', audioLanguages: ['en'], requiredPlan: 'PLAN_TIER_BASIC' },
    });
    expect(draft.status, JSON.stringify(draft.body)).toBe(200);
    const id = draft.body.id as string;
    expect((await gw('GET', `/v1/movies/${id}`)).status).toBe(404);
    expect((await gw('GET', `/v1/movies:batchGet?${ids(id)}`)).body).toMatchObject({ missingIds: [id] });
    expect((await gw('GET', `/v1/movies:batchGet?${ids(id)}`, { token: admin })).body.movies[0]).toMatchObject({ id, status: 'MOVIE_STATUS_DRAFT' });
  });

  it("with profileId: titles above the profile's limit are listed apart in restrictedIds", async () => {
    const r = await gw('GET', `/v1/movies:batchGet?${ids(ADULT, family, 'nope')}&profileId=${ann.kidsProfileId}`, { token: ann.token });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.movies.map((m: { id: string }) => m.id)).toEqual([family]);
    expect(r.body.restrictedIds).toEqual([ADULT]);
    expect(r.body.missingIds).toEqual(['nope']);
    const grownUp = await gw('GET', `/v1/movies:batchGet?${ids(ADULT, family)}&profileId=${ann.profileId}`, { token: ann.token });
    expect(grownUp.body.movies.map((m: { id: string }) => m.id)).toEqual([ADULT, family]);
  });

  it("400 naming the field, 401 for profileId without a token, 404 for another account's profile", async () => {
    const bad = await gw('GET', `/v1/movies:batchGet?${ids('demo-000001', 'bad id')}`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('movieIds[1]');
    const none = await gw('GET', '/v1/movies:batchGet');
    expect(none.status).toBe(400);
    expect(none.body.message).toContain('movieIds');
    const tooMany = await gw('GET', `/v1/movies:batchGet?${ids(...Array.from({ length: 101 }, (_, i) => `demo-${String(i + 1).padStart(6, '0')}`))}`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toContain('at most 100');
    expect((await gw('GET', `/v1/movies:batchGet?${ids('demo-000001')}&profileId=${ann.kidsProfileId}`)).status).toBe(401);
    const foreign = await gw('GET', `/v1/movies:batchGet?${ids('demo-000001')}&profileId=${bob.profileId}`, { token: ann.token });
    expect(foreign.status).toBe(404);
    expect(foreign.body.message).toContain('profileId');
  });

  it('does not capture, nor get captured by, the other /v1/movies routes', async () => {
    expect((await gw('GET', '/v1/movies:search?q=interst')).body.movies[0].title).toBe('Interstellar');
    expect((await gw('GET', '/v1/movies/demo-000002')).body.title).toBe('Interstellar');
    expect((await gw('GET', '/v1/movies?pageSize=1')).body.movies).toHaveLength(1);
  });
});

describe('GET /v1/entitlements/{movieId}', () => {
  it("the caller's entitlement with the title's required tier and rental price", async () => {
    const page = await gw('GET', '/v1/movies?pageSize=100&orderBy=title');
    const rentable = page.body.movies.find((m: { rentalPrice?: { amountMinor: number } }) => (m.rentalPrice?.amountMinor ?? 0) > 0);
    const planOnly = page.body.movies.find((m: { rentalPrice?: unknown; requiredPlan?: string }) => !m.rentalPrice && m.requiredPlan);
    expect(rentable && planOnly).toBeTruthy();

    const r = await gw('GET', `/v1/entitlements/${rentable.id}`, { token: ann.token });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ movieId: rentable.id, reason: expect.stringMatching(/^ENTITLEMENT_REASON_(NO_SUBSCRIPTION|RENTAL_REQUIRED)$/), rentalPrice: rentable.rentalPrice });
    expect(r.body.allowed ?? false).toBe(false);
    expect(r.body.requiredTier ?? 'PLAN_TIER_UNSPECIFIED').toBe(rentable.requiredPlan ?? 'PLAN_TIER_UNSPECIFIED');

    const p = await gw('GET', `/v1/entitlements/${planOnly.id}`, { token: ann.token });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    expect(p.body).toMatchObject({ movieId: planOnly.id, reason: 'ENTITLEMENT_REASON_NO_SUBSCRIPTION', requiredTier: planOnly.requiredPlan });
    expect(p.body.rentalPrice).toBeUndefined();
    expect(p.body.tier ?? 'PLAN_TIER_UNSPECIFIED').toBe('PLAN_TIER_UNSPECIFIED');
  });

  it('401 without a token, 404 for an unknown title, 400 naming movieId for a bad one', async () => {
    expect((await gw('GET', '/v1/entitlements/demo-000001')).status).toBe(401);
    const unknown = await gw('GET', '/v1/entitlements/no-such-title', { token: ann.token });
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('movieId');
    const bad = await gw('GET', '/v1/entitlements/bad%20id', { token: ann.token });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('movieId');
  });
});

describe('GET /v1/watch-history/{movieId}?profileId=', () => {
  it("the profile's viewing entry for the title", async () => {
    const movieId = 'demo-000002';
    const start = await gw('POST', '/v1/playback/sessions', { token: ann.token, body: { movieId, profileId: ann.profileId, deviceId: 'web-1' } });
    expect(start.status, JSON.stringify(start.body)).toBe(200);
    const sessionId = start.body.sessionId as string;
    const beat = await gw('POST', `/v1/playback/sessions/${sessionId}:heartbeat`, { token: ann.token, body: { positionSeconds: 120, state: 'PLAYER_STATE_PLAYING', bitrateKbps: 3500, rebufferMs: 0 } });
    expect(beat.status, JSON.stringify(beat.body)).toBe(200);
    expect((await gw('POST', `/v1/playback/sessions/${sessionId}:stop`, { token: ann.token, body: { positionSeconds: 125 } })).status).toBe(200);

    const r = await gw('GET', `/v1/watch-history/${movieId}?profileId=${ann.profileId}`, { token: ann.token });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ movieId, profileId: ann.profileId, positionSeconds: 125, durationSeconds: start.body.durationSeconds, lastWatchedTime: expect.any(String) });
    expect(r.body.progress).toBeCloseTo(125 / start.body.durationSeconds, 5);
    expect(r.body.completed ?? false).toBe(false);
    const history = await gw('GET', `/v1/watch-history?profileId=${ann.profileId}`, { token: ann.token });
    expect(history.body.entries.find((e: { movieId: string }) => e.movieId === movieId)).toEqual(r.body);
  });

  it("400 without profileId, 401 without a token, 404 for another account's profile or a title not watched", async () => {
    const noProfile = await gw('GET', '/v1/watch-history/demo-000002', { token: ann.token });
    expect(noProfile.status).toBe(400);
    expect(noProfile.body.message).toContain('profileId');
    expect((await gw('GET', `/v1/watch-history/demo-000002?profileId=${ann.profileId}`)).status).toBe(401);
    const foreign = await gw('GET', `/v1/watch-history/demo-000002?profileId=${bob.profileId}`, { token: ann.token });
    expect(foreign.status).toBe(404);
    expect(foreign.body.message).toContain('profileId');
    const notWatched = await gw('GET', `/v1/watch-history/demo-000001?profileId=${ann.profileId}`, { token: ann.token });
    expect(notWatched.status).toBe(404);
    expect(notWatched.body.message).toContain('movieId');
    expect((await gw('GET', `/v1/watch-history/demo-000002?profileId=${ann.kidsProfileId}`, { token: ann.token })).status).toBe(404);
  });
});
