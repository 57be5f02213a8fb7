import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, call, startTestStack, type TestStack } from '../support/stack.js';

/** The Studio's moderation queue: GET /v1/admin/reviews over every title, and what a verdict does. */

let stack: TestStack;
let adminToken: string;
let ann: Viewer;
let bob: Viewer;
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);
const TITLES = ['demo-000001', 'demo-000002', 'demo-000004'];

interface Viewer {
  token: string;
  profileId: string;
}
interface AdminReview {
  id: string;
  movieId: string;
  stars: number;
  text: string;
  state: string;
  profileId: string;
  userId: string;
  moderationReason: string;
  moderateTime?: string;
}

async function signUp(name: string): Promise<Viewer> {
  const reg = await gw('POST', '/v1/auth/register', {
    body: { email: `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@example.com`, password: 'a-long-and-uncommon-passphrase', displayName: name, preferredLanguage: 'en' },
  });
  expect(reg.status, JSON.stringify(reg.body)).toBe(200);
  const made = await gw('POST', '/v1/users/me/profiles', { token: reg.body.accessToken, body: { name: `${name} main` } });
  expect(made.status, JSON.stringify(made.body)).toBe(200);
  return { token: reg.body.accessToken, profileId: made.body.id };
}

async function review(who: Viewer, movieId: string, stars: number, text: string): Promise<string> {
  const res = await gw('PUT', `/v1/movies/${movieId}/rating`, { token: who.token, body: { profileId: who.profileId, stars, review: text } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  // Distinct write times, so "newest first" has one right answer.
  await new Promise((r) => setTimeout(r, 5));
  return res.body.reviewId;
}

async function queue(query = ''): Promise<{ reviews: AdminReview[]; nextPageToken: string }> {
  const res = await gw('GET', `/v1/admin/reviews${query}`, { token: adminToken });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

const fieldsOf = (body: { details?: { '@type': string; fieldViolations?: { field: string }[] }[] }) =>
  (body.details ?? []).filter((d) => d['@type'].endsWith('google.rpc.BadRequest')).flatMap((d) => (d.fieldViolations ?? []).map((v) => v.field));

const moderate = (reviewId: string, body: Record<string, unknown>, token = adminToken) =>
  gw('POST', `/v1/admin/reviews/${reviewId}:moderate`, { token, body });

let first: string;
let second: string;
let third: string;

beforeAll(async () => {
  stack = await startTestStack();
  adminToken = (await gw('POST', '/v1/auth/login', { body: ADMIN })).body.accessToken;
  [ann, bob] = await Promise.all([signUp('ann'), signUp('bob')]);
  first = await review(ann, TITLES[0]!, 4, 'Swings along nicely.');
  second = await review(bob, TITLES[1]!, 1, 'SPOILER: the ending is a dream.');
  // A rating without words is no review: it never reaches the queue.
  expect((await gw('PUT', `/v1/movies/${TITLES[2]}/rating`, { token: bob.token, body: { profileId: bob.profileId, stars: 3 } })).status).toBe(200);
  third = await review(ann, TITLES[2]!, 5, 'Best thing I saw this year.');
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the moderation queue (GET /v1/admin/reviews)', () => {
  it('is for admins only: 401 without a token, 403 for a viewer', async () => {
    expect((await gw('GET', '/v1/admin/reviews')).status).toBe(401);
    const asViewer = await gw('GET', '/v1/admin/reviews', { token: ann.token });
    expect(asViewer.status, JSON.stringify(asViewer.body)).toBe(403);
    expect((await moderate(first, { action: 'MODERATION_ACTION_HIDE', reason: 'x' }, ann.token)).status).toBe(403);
  });

  it('answers 400 naming the field for a bad page size, page token or filter, and for a rejection without a reason', async () => {
    const size = await gw('GET', '/v1/admin/reviews?pageSize=-1', { token: adminToken });
    expect(size.status).toBe(400);
    expect(fieldsOf(size.body)).toEqual(['pageSize']);
    const token = await gw('GET', '/v1/admin/reviews?pageToken=not-ours', { token: adminToken });
    expect(token.status).toBe(400);
    expect(fieldsOf(token.body)).toEqual(['pageToken']);
    const filter = await gw('GET', '/v1/admin/reviews?filter=REVIEW_FILTER_SOMETIMES', { token: adminToken });
    expect(filter.status).toBe(400);
    expect(filter.body.message).toContain('filter');
    for (const reason of [undefined, '   ']) {
      const noReason = await moderate(second, { action: 'MODERATION_ACTION_HIDE', reason });
      expect(noReason.status, JSON.stringify(noReason.body)).toBe(400);
      expect(fieldsOf(noReason.body)).toEqual(['reason']);
    }
    // Nothing changed: the review is still awaiting a verdict.
    expect((await queue()).reviews.find((r) => r.id === second)?.state).toBe('REVIEW_STATE_PUBLISHED');
  });

  it('lists the reviews of every title newest first, with the reviewer and state, page by page', async () => {
    const page1 = await queue('?pageSize=2');
    expect(page1.reviews.map((r) => r.id)).toEqual([third, second]);
    expect(page1.reviews[1]).toMatchObject({ movieId: TITLES[1], stars: 1, text: 'SPOILER: the ending is a dream.', state: 'REVIEW_STATE_PUBLISHED', profileId: bob.profileId, moderationReason: '' });
    expect(page1.reviews[1]!.userId).not.toBe('');
    expect(page1.nextPageToken).not.toBe('');
    const page2 = await queue(`?pageSize=2&pageToken=${encodeURIComponent(page1.nextPageToken)}`);
    expect(page2.reviews.map((r) => r.id)).toEqual([first]);
    expect(page2.nextPageToken).toBe('');
    // The default page holds all three (the default size is 20); an over-large size is capped, not refused.
    expect((await queue()).reviews.map((r) => r.id)).toEqual([third, second, first]);
    expect((await queue('?pageSize=1000&filter=REVIEW_FILTER_ALL')).reviews.map((r) => r.id)).toEqual([third, second, first]);
  });

  it('a rejected review leaves the title for viewers and moves to the Hidden filter; an approved one leaves the queue until rewritten', async () => {
    const viewersSee = async (movieId: string) => ((await gw('GET', `/v1/movies/${movieId}/reviews`, { token: ann.token })).body.reviews as { id: string }[]).map((r) => r.id);
    expect(await viewersSee(TITLES[1]!)).toContain(second);

    const rejected = await moderate(second, { action: 'MODERATION_ACTION_HIDE', reason: 'Spoils the ending' });
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);
    expect(rejected.body).toMatchObject({ state: 'REVIEW_STATE_HIDDEN', moderationReason: 'Spoils the ending' });
    expect(await viewersSee(TITLES[1]!)).not.toContain(second);
    expect((await queue()).reviews.map((r) => r.id)).toEqual([third, first]);
    const hidden = await queue('?filter=REVIEW_FILTER_HIDDEN');
    expect(hidden.reviews).toEqual([expect.objectContaining({ id: second, state: 'REVIEW_STATE_HIDDEN', moderationReason: 'Spoils the ending' })]);
    expect((await queue('?filter=REVIEW_FILTER_PUBLISHED')).reviews.map((r) => r.id)).toEqual([third, first]);

    const approved = await moderate(first, { action: 'MODERATION_ACTION_PUBLISH' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.moderateTime).toBeTruthy();
    expect((await queue()).reviews.map((r) => r.id)).toEqual([third]);
    expect((await queue('?filter=REVIEW_FILTER_PUBLISHED')).reviews.map((r) => r.id)).toEqual([third, first]);
    expect(await viewersSee(TITLES[0]!)).toContain(first);

    // A flagged review stays in the queue (hidden from viewers meanwhile).
    expect((await moderate(third, { action: 'MODERATION_ACTION_FLAG', reason: 'Check the language' })).status).toBe(200);
    expect((await queue()).reviews.map((r) => [r.id, r.state])).toEqual([[third, 'REVIEW_STATE_FLAGGED']]);
    expect(await viewersSee(TITLES[2]!)).not.toContain(third);

    // New words need a fresh look: the approved review comes back to the queue, on top.
    await review(ann, TITLES[0]!, 4, 'Swings along nicely, and the score is great.');
    const again = await queue();
    expect(again.reviews.map((r) => r.id)).toEqual([first, third]);
    expect(again.reviews[0]!.moderateTime).toBeUndefined();
  });
});
