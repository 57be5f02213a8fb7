/**
 * Admin APIs are admin-only at the gateway as well as in the services: through a real stack, a
 * request for an admin route needs a token (401), a viewer's token is refused by the gateway's
 * RBAC filter (403, google.rpc.Status JSON) before anything reaches the service, and an admin's
 * reaches it. Whether a call reached a service is read from the services' own RPC counters
 * (flix_grpc_server_requests_total on /metrics).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, call, startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
let adminToken: string;
let viewerToken: string;
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);

/** How many times `service` has handled `method`, whatever the outcome. */
async function handled(service: string, method: string): Promise<number> {
  const text = await (await fetch(`${stack.identity.httpUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('flix_grpc_server_requests_total{')) continue;
    if (!line.includes(`service="${service}"`) || !line.includes(`method="${method}"`)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

interface AdminRoute {
  method: string;
  path: string;
  body?: unknown;
  /** The gRPC method behind it, as the service's counter names it. */
  rpc: [service: string, method: string];
}

const now = new Date();
const ROUTES: AdminRoute[] = [
  { method: 'GET', path: '/v1/admin/users', rpc: ['identity', 'ListUsers'] },
  { method: 'GET', path: '/v1/admin/streams', rpc: ['analytics', 'ListStreams'] },
  {
    method: 'GET',
    path: `/v1/admin/analytics/summary?from=${encodeURIComponent(new Date(now.getTime() - 86_400_000).toISOString())}&to=${encodeURIComponent(now.toISOString())}`,
    rpc: ['analytics', 'GetSummary'],
  },
  { method: 'POST', path: '/v1/admin/plans', body: { displayName: 'Gateway test plan' }, rpc: ['billing', 'CreatePlan'] },
  { method: 'POST', path: '/v1/admin/dead-letters/1:replay', body: {}, rpc: ['analytics', 'ReplayDeadLetter'] },
  { method: 'POST', path: '/v1/admin/reviews/000000000000000000000000:moderate', body: { reason: 'gateway test' }, rpc: ['engagement', 'ModerateReview'] },
  // Catalog's title management predates /v1/admin/ and is covered by its own rules.
  { method: 'POST', path: '/v1/movies', body: { title: 'Gateway test title' }, rpc: ['catalog', 'CreateMovie'] },
  { method: 'POST', path: '/v1/movies/nope:publish', body: {}, rpc: ['catalog', 'PublishMovie'] },
];

beforeAll(async () => {
  stack = await startTestStack();
  const login = await gw('POST', '/v1/auth/login', { body: { email: ADMIN.email, password: ADMIN.password } });
  expect(login.status).toBe(200);
  adminToken = login.body.accessToken;
  const reg = await gw('POST', '/v1/auth/register', {
    body: { email: `viewer-${randomBytes(4).toString('hex')}@flix.test`, password: 'A-long-enough-passphrase-1', displayName: 'Viewer', preferredLanguage: 'en' },
  });
  expect(reg.status).toBe(200);
  viewerToken = reg.body.accessToken;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('admin APIs at the gateway', () => {
  describe.each(ROUTES)('$method $path', (route) => {
    const send = (token?: string) => gw(route.method, route.path, { token, body: route.body });

    it('needs a token: 401 from jwt_authn, before RBAC', async () => {
      const res = await send();
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ code: 16, message: 'Jwt is missing' });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    });

    it('refuses a viewer with 403 Status JSON, and the service never sees the call', async () => {
      const before = await handled(...route.rpc);
      const res = await send(viewerToken);
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toEqual({ code: 7, message: 'RBAC: access denied' });
      expect(await handled(...route.rpc)).toBe(before);
    });

    it("lets an admin's call through to the service", async () => {
      const before = await handled(...route.rpc);
      const res = await send(adminToken);
      // Whatever the service makes of the sample input, it is the service answering.
      expect([401, 403]).not.toContain(res.status);
      expect(await handled(...route.rpc)).toBe(before + 1);
    });
  });

  it('answers a viewer 403 before the body is even read: a malformed body an admin gets 400 for', async () => {
    const raw = '{"displayName": ';
    const viewer = await gw('POST', '/v1/admin/plans', { token: viewerToken, rawBody: raw });
    expect(viewer.status).toBe(403);
    expect(viewer.body.code).toBe(7);
    const admin = await gw('POST', '/v1/admin/plans', { token: adminToken, rawBody: raw });
    expect(admin.status).toBe(400);
    expect(admin.body.code).toBe(3);
  });

  it('refuses a viewer the same methods on their gRPC paths', async () => {
    const before = await handled('identity', 'ListUsers');
    const res = await gw('POST', '/flix.identity.v1.IdentityService/ListUsers', {
      token: viewerToken,
      rawBody: '\u0000\u0000\u0000\u0000\u0000',
      headers: { 'content-type': 'application/grpc' },
    });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ code: 7, message: 'RBAC: access denied' });
    expect(await handled('identity', 'ListUsers')).toBe(before);
  });

  it('does not confuse a path that merely starts like an admin route, or a query string, with something else', async () => {
    // Normalised before RBAC sees it: /v1/x/../admin/users is /v1/admin/users.
    const dotted = await gw('GET', '/v1/x/../admin/users', { token: viewerToken });
    expect(dotted.status).toBe(403);
    const encoded = await gw('GET', '/v1/%61dmin/users', { token: viewerToken });
    expect(encoded.status).toBe(403);
    const query = await gw('GET', '/v1/admin/users?pageSize=1', { token: adminToken });
    expect(query.status).toBe(200);
  });

  it('still serves viewers their own routes, including those beside catalog admin under /v1/movies', async () => {
    const me = await gw('GET', '/v1/users/me', { token: viewerToken });
    expect(me.status).toBe(200);
    const movies = await gw('GET', '/v1/movies', { token: viewerToken });
    expect(movies.status).toBe(200);
    // A viewer's own rating shares the /v1/movies prefix with catalog's admin writes: the service
    // answers it (here: no such title), not the gateway's RBAC.
    const before = await handled('engagement', 'SetRating');
    const rating = await gw('PUT', '/v1/movies/000000000000000000000000/rating', { token: viewerToken, body: { stars: 4 } });
    expect(rating.status).not.toBe(403);
    expect(await handled('engagement', 'SetRating')).toBe(before + 1);
  });
});
