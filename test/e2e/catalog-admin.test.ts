/**
 * The catalog's admin reads behind Flix Studio's Titles section, through the gateway: the list
 * and search filters on a title's lifecycle (draft / published / archived) and its video's state
 * (none / waiting / processing / ready / errored), the "updated" order, and reading one title in
 * any state. Asking for titles viewers cannot see is an admin's question: 401 / 403 / 400 naming
 * the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMuxEmulator, type MuxEmulator } from '@flix/mux-emulator';
import { eventually as until } from '@flix/testkit';
import { ADMIN, call, startTestStack, type TestStack } from '../support/stack.js';

const WEBHOOK_SECRET = 'catalog-admin-webhook-secret';
let stack: TestStack;
let mux: MuxEmulator;
let adminToken: string;
let viewerToken: string;
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);

// A word no demo title has, so searches and lists see only this file's titles.
const WORD = `Quillmarsh${Date.now().toString(36).replace(/\d/g, '')}`;
const ids: Record<'draft' | 'waiting' | 'published' | 'archived', string> = { draft: '', waiting: '', published: '', archived: '' };

type MovieJson = { id: string; title: string; status: string; video?: { status: string } };
type Violation = { field: string; description: string };
const violations = (body: { details?: { '@type': string; fieldViolations?: Violation[] }[] }): Violation[] =>
  body.details?.find((d) => d['@type'].endsWith('google.rpc.BadRequest'))?.fieldViolations ?? [];
const idsOf = (body: { movies?: MovieJson[] }) => (body.movies ?? []).map((m) => m.id);

async function create(title: string): Promise<string> {
  const res = await gw('POST', '/v1/movies', {
    token: adminToken,
    body: { title, genres: ['Drama'], releaseYear: 2025, runtimeMinutes: 90, maturityRating: 'MATURITY_RATING_PG', audioLanguages: ['en'], requiredPlan: 'PLAN_TIER_BASIC' },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.id as string;
}

beforeAll(async () => {
  mux = await startMuxEmulator({ port: 0, webhookSecret: WEBHOOK_SECRET, tokenId: 'ca-token', tokenSecret: 'ca-secret' });
  stack = await startTestStack({}, { catalog: { MUX_BASE_URL: mux.url, MUX_TOKEN_ID: 'ca-token', MUX_TOKEN_SECRET: 'ca-secret', MUX_WEBHOOK_SECRET: WEBHOOK_SECRET } });
  mux.setWebhookUrl(`${stack.gatewayUrl}/webhooks/mux`);
  adminToken = (await gw('POST', '/v1/auth/login', { body: ADMIN })).body.accessToken;
  const reg = await gw('POST', '/v1/auth/register', {
    body: { email: `catalog-admin-${Date.now()}@example.com`, password: 'a-long-and-uncommon-passphrase', displayName: 'Vi Ewer', preferredLanguage: 'en' },
  });
  viewerToken = reg.body.accessToken;

  // Four titles, one in each state an operator filters by.
  ids.draft = await create(`${WORD} Draft`);
  ids.waiting = await create(`${WORD} Waiting`);
  expect((await gw('POST', `/v1/movies/${ids.waiting}:createUpload`, { token: adminToken, body: {} })).status).toBe(200);
  ids.published = await create(`${WORD} Published`);
  const upload = await gw('POST', `/v1/movies/${ids.published}:createUpload`, { token: adminToken, body: {} });
  await mux.completeUpload(upload.body.uploadId, { durationSeconds: 60, maxResolution: 'HD' });
  await until(() => gw('GET', `/v1/movies/${ids.published}`, { token: adminToken }), (r) => r.body.video?.status === 'ASSET_STATUS_READY', 'the asset to be ready');
  expect((await gw('POST', `/v1/movies/${ids.published}:publish`, { token: adminToken, body: {} })).status).toBe(200);
  ids.archived = await create(`${WORD} Archived`);
  expect((await gw('POST', `/v1/movies/${ids.archived}:archive`, { token: adminToken, body: {} })).status).toBe(200);
}, 90_000);

afterAll(async () => {
  await stack?.stop();
  await mux?.close();
});

describe('admin title filters', () => {
  it('refuses the lifecycle and video filters without a token (401) and to a viewer (403), naming the filter', async () => {
    for (const query of ['status=draft', 'videoStatus=ready', 'includeUnpublished=true']) {
      const field = query.split('=')[0]!;
      const anonymous = await gw('GET', `/v1/movies?${query}`);
      expect(anonymous.status, query).toBe(401);
      expect(anonymous.body.message).toContain(field);
      const viewer = await gw('GET', `/v1/movies?${query}`, { token: viewerToken });
      expect(viewer.status, query).toBe(403);
      expect(viewer.body.message).toContain(field);
    }
    expect((await gw('GET', `/v1/movies:search?q=${WORD}&status=draft`, { token: viewerToken })).status).toBe(403);
  });

  it('answers a bad filter value with 400 naming the field and the values it takes', async () => {
    const bad = await gw('GET', '/v1/movies?status=deleted&videoStatus=melted', { token: adminToken });
    expect(bad.status).toBe(400);
    const vs = violations(bad.body);
    expect(vs.map((v) => v.field).sort()).toEqual(['status', 'videoStatus']);
    expect(vs.find((v) => v.field === 'status')!.description).toMatch(/draft, published, archived/);
    expect(vs.find((v) => v.field === 'videoStatus')!.description).toMatch(/none, waiting, processing, ready, errored/);
    const order = await gw('GET', '/v1/movies?orderBy=oldest', { token: adminToken });
    expect(order.status).toBe(400);
    expect(violations(order.body).map((v) => v.field)).toEqual(['orderBy']);
  });

  it('filters by lifecycle status, newest change first', async () => {
    const drafts = await gw('GET', '/v1/movies?status=draft&orderBy=updated&pageSize=100', { token: adminToken });
    expect(drafts.status, JSON.stringify(drafts.body)).toBe(200);
    expect((drafts.body.movies as MovieJson[]).every((m) => m.status === 'MOVIE_STATUS_DRAFT')).toBe(true);
    // The two drafts made last come first, the later one on top.
    expect(idsOf(drafts.body).slice(0, 2)).toEqual([ids.waiting, ids.draft]);
    expect(idsOf(drafts.body)).not.toContain(ids.published);

    const archived = await gw('GET', '/v1/movies?status=archived&pageSize=100', { token: adminToken });
    expect(idsOf(archived.body)).toEqual([ids.archived]);
    expect(archived.body.totalSize).toBe(1);

    const published = await gw('GET', '/v1/movies?status=MOVIE_STATUS_PUBLISHED&orderBy=updated&pageSize=5', { token: adminToken });
    expect(idsOf(published.body)[0]).toBe(ids.published);
    expect(published.body.totalSize).toBeGreaterThan(100); // the demo catalog is published too
  });

  it('filters by the video status, and combines it with the lifecycle status and a search', async () => {
    const byVideo = async (videoStatus: string, extra = '') =>
      idsOf((await gw('GET', `/v1/movies:search?q=${WORD}&videoStatus=${videoStatus}${extra}`, { token: adminToken })).body).sort();
    expect(await byVideo('none')).toEqual([ids.draft, ids.archived].sort());
    expect(await byVideo('waiting')).toEqual([ids.waiting]);
    expect(await byVideo('ASSET_STATUS_READY')).toEqual([ids.published]);
    expect(await byVideo('errored')).toEqual([]);
    expect(await byVideo('none', '&status=archived')).toEqual([ids.archived]);

    const list = await gw('GET', '/v1/movies?videoStatus=waiting&source=flix&orderBy=updated', { token: adminToken });
    expect(list.status).toBe(200);
    expect(idsOf(list.body)).toContain(ids.waiting);
    expect((list.body.movies as MovieJson[]).every((m) => m.video?.status === 'ASSET_STATUS_WAITING')).toBe(true);
  });

  it('shows an admin one title in any state; a viewer sees only what is published', async () => {
    for (const id of Object.values(ids)) expect((await gw('GET', `/v1/movies/${id}`, { token: adminToken })).status).toBe(200);
    expect((await gw('GET', `/v1/movies/${ids.draft}`, { token: viewerToken })).status).toBe(404);
    expect((await gw('GET', `/v1/movies/${ids.archived}`, { token: viewerToken })).status).toBe(404);
    expect((await gw('GET', `/v1/movies/${ids.published}`, { token: viewerToken })).status).toBe(200);
    // Without filters a viewer's search shows only the published one.
    expect(idsOf((await gw('GET', `/v1/movies:search?q=${WORD}`, { token: viewerToken })).body)).toEqual([ids.published]);
  });
});
