/**
 * One HTTP conformance suite, run against the local gateway and, where a Docker engine exists,
 * against a real Envoy reading the same fixture YAML. Everything is observed over real HTTP, with
 * a real grpc-js upstream behind the gateway.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildFixtureDescriptor } from './support/descriptor.js';
import { dockerUnavailableReason, startEnvoyTarget, startLocalTarget, type Target, type UpstreamPorts } from './support/targets.js';
import {
  AUDIENCE,
  BIG_SIZE,
  bigBody,
  CODES,
  type GrpcUpstream,
  type HttpUpstream,
  ISSUER,
  type Keys,
  makeKeys,
  sha256,
  startGrpcUpstream,
  startHttpUpstream,
} from './support/upstream.js';

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // Response bodies are asserted field by field against literal expectations.
  json: any;
}

interface CallOptions {
  method?: string;
  body?: unknown;
  rawBody?: string | Buffer;
  token?: string | null;
  headers?: Record<string, string>;
}

interface Env {
  target: Target;
  keys: Keys;
  grpc: GrpcUpstream;
  http: HttpUpstream;
  token: string;
  call(path: string, opts?: CallOptions): Promise<Reply>;
}

const descriptor = buildFixtureDescriptor();
const dockerReason = await dockerUnavailableReason();

const targets: { name: string; start: (d: Uint8Array, p: UpstreamPorts) => Promise<Target>; skip?: string }[] = [
  { name: 'local gateway', start: startLocalTarget },
  { name: 'envoy (docker)', start: startEnvoyTarget, skip: dockerReason },
];

for (const t of targets) {
  describe.skipIf(t.skip !== undefined)(`${t.name}${t.skip ? ` — skipped: ${t.skip}` : ''}`, () => {
    const env = {} as Env;

    beforeAll(async () => {
      env.keys = await makeKeys();
      env.grpc = await startGrpcUpstream(descriptor);
      env.http = await startHttpUpstream(env.keys);
      env.target = await t.start(descriptor, { grpc: env.grpc.port, http: env.http.port });
      env.token = await env.keys.valid();
      env.call = async (path, opts = {}) => {
        const headers: Record<string, string> = { ...opts.headers };
        const token = opts.token === undefined ? env.token : opts.token;
        if (token !== null) headers.authorization = `Bearer ${token}`;
        let body: string | Buffer | undefined = opts.rawBody;
        if (opts.body !== undefined) {
          body = JSON.stringify(opts.body);
          headers['content-type'] ??= 'application/json';
        }
        const res = await fetch(env.target.url + path, { method: opts.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
        const text = await res.text();
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        return { status: res.status, headers: res.headers, text, json };
      };
    }, 120_000);

    afterAll(async () => {
      await env.target?.close();
      await env.grpc?.close();
      await env.http?.close();
    });

    describe('health', () => {
      it('answers /healthz 503 (Status JSON) until the gRPC upstream reports SERVING, then 200', async () => {
        const down = await env.call('/healthz', { token: null });
        expect(down.status).toBe(503);
        expect(down.json).toMatchObject({ code: 14 });
        env.grpc.setServing(true);
        // Active health checks notice within a few intervals.
        await vi.waitFor(async () => expect((await env.call('/healthz', { token: null })).status).toBe(200), { timeout: 15_000, interval: 100 });
      });
    });

    describe('transcoding requests', () => {
      it('binds a path variable and query parameters into nested, repeated and well-known-type fields', async () => {
        const q = [
          'filter.author=Ann%20Leckie',
          'filter.pages.min=100',
          'genres=GENRE_FICTION',
          'genres=2',
          'readMask=title,pageCount',
          'as_of=2024-01-02T03:04:05Z',
          'minPages=9007199254740993',
          'includeEmpty=true',
          'minRating=4',
          'maxReadTime=1.5s',
          'maxPrice=9.99',
        ].join('&');
        const r = await env.call(`/v1/shelves/s1?${q}`);
        expect(r.status).toBe(200);
        expect(r.json.rpc).toBe('GetShelf');
        expect(r.json.request).toEqual({
          shelfId: 's1',
          filter: { author: 'Ann Leckie', pages: { min: 100 } },
          genres: ['GENRE_FICTION', 'GENRE_SCIENCE'],
          readMask: 'title,pageCount',
          asOf: '2024-01-02T03:04:05Z',
          minPages: '9007199254740993',
          includeEmpty: true,
          minRating: 4,
          maxReadTime: '1.500s',
          maxPrice: 9.99,
        });
      });

      it('serves additional_bindings, with proto and JSON spellings of query names', async () => {
        const a = await env.call('/v1/shelves/s9/books?pageSize=2&tag=a&tag=b');
        expect(a.json).toMatchObject({ rpc: 'ListBooks', request: { shelfId: 's9', pageSize: 2, tag: ['a', 'b'] } });
        const b = await env.call('/v1/books?page_size=3&page_token=next');
        expect(b.json).toMatchObject({ rpc: 'ListBooks', request: { pageSize: 3, pageToken: 'next' } });
      });

      it('maps body "*" onto the request and renders proto3 JSON (int64 as string, enum names, WKTs)', async () => {
        const book = {
          id: 'b1',
          title: 'Dune',
          pageCount: '412',
          genre: 2,
          publishTime: '1965-08-01T00:00:00.500Z',
          readTime: '3600s',
          rating: 5,
          attributes: { signed: true, edition: 'first', copies: 3 },
          tags: ['sf', 'classic'],
          cover: Buffer.from('png').toString('base64'),
          labels: { shelf: 'a' },
          author: { name: 'Frank Herbert' },
          available: true,
          price: 12.5,
          isbn: '9780441013593',
        };
        const r = await env.call('/v1/shelves', { body: { name: 'sci-fi', firstBook: book, extra: { note: 'x' } } });
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toBe('application/json');
        expect(r.json.book).toEqual({
          ...book,
          genre: 'GENRE_SCIENCE',
          readTime: '3600s',
          author: { name: 'Frank Herbert', country: '' },
        });
        expect(r.json.request).toMatchObject({ name: 'sci-fi', extra: { note: 'x' } });
      });

      it('always prints primitive fields, even at their defaults, and leaves unset messages out', async () => {
        const r = await env.call('/v1/shelves/empty');
        expect(r.json.book).toEqual({
          id: '',
          title: '',
          pageCount: '0',
          genre: 'GENRE_UNSPECIFIED',
          tags: [],
          cover: '',
          labels: {},
          available: false,
          price: 0,
          isbn: '0',
        });
        expect(r.json.hasDeadline).toBeTypeOf('boolean');
      });

      it('maps a field body with a nested path variable, and a FieldMask from the query (PATCH and PUT)', async () => {
        for (const method of ['PATCH', 'PUT']) {
          const r = await env.call('/v1/books/b42?updateMask=title,tags', { method, body: { title: 'New', tags: ['x'] } });
          expect(r.status).toBe(200);
          expect(r.json.rpc).toBe('UpdateBook');
          expect(r.json.request).toEqual({ book: { id: 'b42', title: 'New', tags: ['x'] }, updateMask: 'title,tags' });
        }
      });

      it('binds {name=shelves/*/books/*} and {path=**} templates, decoding as Envoy does', async () => {
        const a = await env.call('/v1/shelves/s1/books/b2');
        expect(a.json).toMatchObject({ rpc: 'GetResource', request: { name: 'shelves/s1/books/b2' } });
        // Several segments: reserved characters such as %2F stay encoded; others are decoded.
        const b = await env.call('/v1/files/docs/a%20b/c%2Fd.txt');
        expect(b.json).toMatchObject({ rpc: 'GetFile', request: { path: 'docs/a b/c%2Fd.txt' } });
        // One segment: everything is decoded.
        const c = await env.call('/v1/shelves/a%20b%2Fc');
        expect(c.json).toMatchObject({ rpc: 'GetShelf', request: { shelfId: 'a b/c' } });
      });

      it('routes custom verbs and treats an unregistered verb as part of the path', async () => {
        const s = await env.call('/v1/books:search?q=dune+messiah&pageSize=5');
        // '+' stays a plus in query values (query_param_unescape_plus is off).
        expect(s.json).toMatchObject({ rpc: 'SearchBooks', request: { q: 'dune+messiah', pageSize: 5 } });
        const t = await env.call('/v1/books/b7:setTags', { body: { tags: ['a', 'b'] } });
        expect(t.json).toMatchObject({ rpc: 'SetTags', request: { bookId: 'b7', tags: ['a', 'b'] } });
        const unknown = await env.call('/v1/books:nope');
        expect(unknown.status).toBe(404);
      });

      it('maps DELETE with a path variable', async () => {
        const r = await env.call('/v1/books/b3', { method: 'DELETE' });
        expect(r.json).toMatchObject({ rpc: 'DeleteBook', request: { bookId: 'b3' } });
      });

      it('returns a google.api.HttpBody response_body as raw bytes with its content type', async () => {
        const r = await env.call('/v1/downloads/d1');
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toBe('text/csv');
        expect(r.text).toBe('a,b\n1,2\n');
      });

      it('treats an empty body as an empty message', async () => {
        const r = await env.call('/v1/shelves', { method: 'POST' });
        expect(r.status).toBe(200);
        expect(r.json).toMatchObject({ rpc: 'CreateShelf', request: {} });
      });
    });

    describe('errors', () => {
      const expected: [string, number][] = [
        ['CANCELLED', 499],
        ['UNKNOWN', 500],
        ['INVALID_ARGUMENT', 400],
        ['DEADLINE_EXCEEDED', 504],
        ['NOT_FOUND', 404],
        ['ALREADY_EXISTS', 409],
        ['PERMISSION_DENIED', 403],
        ['RESOURCE_EXHAUSTED', 429],
        ['FAILED_PRECONDITION', 400],
        ['ABORTED', 409],
        ['OUT_OF_RANGE', 400],
        ['UNIMPLEMENTED', 501],
        ['INTERNAL', 500],
        ['UNAVAILABLE', 503],
        ['DATA_LOSS', 500],
        ['UNAUTHENTICATED', 401],
      ];

      it('maps every gRPC status to its HTTP status with a google.rpc.Status body', async () => {
        for (const [code, http] of expected) {
          const r = await env.call('/v1/fail', { body: { code, message: `it is ${code}` } });
          expect([code, r.status]).toEqual([code, http]);
          expect(r.json).toEqual({ code: CODES[code], message: `it is ${code}`, details: [] });
        }
      });

      it('renders ErrorInfo, BadRequest and RetryInfo details with their @type', async () => {
        const r = await env.call('/v1/fail', { body: { code: 'INVALID_ARGUMENT', message: 'bad book', withDetails: true } });
        expect(r.status).toBe(400);
        expect(r.json).toEqual({
          code: 3,
          message: 'bad book',
          details: [
            { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'BOOK_INVALID', domain: 'gwtest.example', metadata: { field: 'title' } },
            { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'title', description: 'must not be empty', reason: '' }] },
            { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.500s' },
          ],
        });
        // The status is in the body; the gRPC headers are not leaked to the client.
        expect(r.headers.get('grpc-status-details-bin')).toBeNull();
      });

      it('rejects malformed JSON with 400 and a message that names the problem', async () => {
        const r = await env.call('/v1/shelves', { rawBody: '{"name": }', headers: { 'content-type': 'application/json' } });
        expect(r.status).toBe(400);
        expect(r.json.code).toBe(3);
        expect(r.json.message.length).toBeGreaterThan(0);
      });

      it('rejects unknown JSON fields with 400', async () => {
        const r = await env.call('/v1/shelves', { body: { name: 'x', colour: 'red' } });
        expect(r.status).toBe(400);
        expect(r.json).toMatchObject({ code: 3 });
        expect(r.json.message).toContain('colour');
        expect(r.json.message).toContain('Cannot find field');
      });

      it('rejects unknown query parameters with 400 naming the field and the type', async () => {
        const r = await env.call('/v1/shelves/s1?bogus=1');
        expect(r.status).toBe(400);
        expect(r.json).toEqual({ code: 3, message: 'Could not find field "bogus" in the type "gwtest.v1.GetShelfRequest".' });
      });

      it('rejects a value of the wrong type with 400', async () => {
        const r = await env.call('/v1/shelves/s1?minPages=lots');
        expect(r.status).toBe(400);
        expect(r.json.code).toBe(3);
      });

      it('answers unknown routes and methods with 404 Status JSON', async () => {
        const a = await env.call('/v1/nope');
        expect(a.status).toBe(404);
        expect(a.json).toEqual({ code: 5, message: 'Could not resolve /v1/nope to a method.' });
        const b = await env.call('/v1/shelves', { method: 'DELETE' });
        expect(b.status).toBe(404);
        const c = await env.call('/elsewhere', { token: null });
        expect(c.status).toBe(404);
        expect(c.json).toMatchObject({ code: 5 });
      });

      it('refuses bodies over 1 MiB with 413', async () => {
        const r = await env.call('/v1/shelves', { rawBody: `{"name":"${'x'.repeat(1024 * 1024 + 10)}"}`, headers: { 'content-type': 'application/json' } });
        expect(r.status).toBe(413);
        expect(r.json).toMatchObject({ code: 8 });
      });
    });

    describe('headers', () => {
      it('forwards request headers as gRPC metadata and appends the client to x-forwarded-for', async () => {
        const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
        const r = await env.call('/v1/shelves/s1', {
          headers: { 'x-request-id': 'req-123', traceparent, 'user-agent': 'flix-web/1.0', 'x-forwarded-for': '203.0.113.7' },
        });
        const md = r.json.metadata;
        expect(md.authorization).toBe(`Bearer ${env.token}`);
        expect(md['x-request-id']).toBe('req-123');
        expect(md.traceparent).toBe(traceparent);
        expect(md['user-agent']).toBe('flix-web/1.0');
        expect(md['x-envoy-original-path']).toBe('/v1/shelves/s1');
        const hops = md['x-forwarded-for'].split(',').map((s: string) => s.trim());
        expect(hops[0]).toBe('203.0.113.7');
        expect(hops).toHaveLength(2);
        if (env.target.clientAddress) expect(hops[1]).toBe(env.target.clientAddress);
        // Upstream response metadata and the request id come back as headers.
        expect(r.headers.get('x-upstream')).toBe('gwtest');
        expect(r.headers.get('x-request-id')).toBe('req-123');
        expect(r.headers.get('grpc-status')).toBe('0');
      });

      it('generates an x-request-id when the client sends none', async () => {
        const r = await env.call('/v1/shelves/s1');
        const id = r.headers.get('x-request-id');
        expect(id).toMatch(/^[0-9a-f-]{36}$/);
        expect(r.json.metadata['x-request-id']).toBe(id);
      });
    });

    describe('JWT', () => {
      const now = () => Math.floor(Date.now() / 1000);

      it('refuses a missing token with 401 "Jwt is missing" and a Bearer challenge', async () => {
        const r = await env.call('/v1/shelves/s1', { token: null });
        expect(r.status).toBe(401);
        expect(r.json).toEqual({ code: 16, message: 'Jwt is missing' });
        expect(r.headers.get('www-authenticate')).toMatch(/^Bearer realm="http:\/\/[^"]+\/v1\/shelves\/s1"$/);
      });

      it.each([
        ['expired', { iss: ISSUER, aud: AUDIENCE, exp: now() - 3600 }, {}, 401, 'Jwt is expired'],
        ['issued by someone else', { iss: 'someone-else', aud: AUDIENCE, exp: now() + 600 }, {}, 401, 'Jwt issuer is not configured'],
        ['for another audience', { iss: ISSUER, aud: 'another-api', exp: now() + 600 }, {}, 403, 'Audiences in Jwt are not allowed'],
        ['signed with an unknown key', { iss: ISSUER, aud: AUDIENCE, exp: now() + 600 }, { kid: 'unknown', other: true }, 401, "Jwks doesn't have key to match kid or alg from Jwt"],
        ['signed by the wrong key under a known kid', { iss: ISSUER, aud: AUDIENCE, exp: now() + 600 }, { other: true }, 401, 'Jwt verification fails'],
      ] as const)('refuses a token %s', async (_what, claims, opts, status, message) => {
        const token = await env.keys.sign(claims, opts);
        const r = await env.call('/v1/shelves/s1', { token });
        expect(r.status).toBe(status);
        expect(r.json).toEqual({ code: status === 403 ? 7 : 16, message });
        expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
      });

      it('refuses alg "none" and tokens that are not JWTs', async () => {
        const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
        const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: ISSUER, aud: AUDIENCE, exp: now() + 600 })}.`;
        const a = await env.call('/v1/shelves/s1', { token: none });
        expect(a.status).toBe(401);
        expect(a.json).toEqual({ code: 16, message: 'Jwt header [alg] is not supported' });
        const b = await env.call('/v1/shelves/s1', { token: 'not-a-jwt' });
        expect(b.json).toEqual({ code: 16, message: 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections' });
      });

      it('lets public routes through without a token', async () => {
        const r = await env.call('/v1/auth/login', { token: null, body: { email: 'a@b.c', password: 'pw' } });
        expect(r.status).toBe(200);
        expect(r.json).toMatchObject({ rpc: 'Login', request: { email: 'a@b.c', password: 'pw' } });
      });

      it('on an optional-token route accepts no token or a valid one, and refuses a bad one', async () => {
        expect((await env.call('/v1/catalog?pageSize=1', { token: null })).status).toBe(200);
        const ok = await env.call('/v1/catalog');
        expect(ok.status).toBe(200);
        expect(ok.json.metadata.authorization).toBe(`Bearer ${env.token}`);
        const bad = await env.call('/v1/catalog', { token: await env.keys.sign({ iss: ISSUER, aud: AUDIENCE, exp: now() - 3600 }) });
        expect(bad.status).toBe(401);
        expect(bad.json.message).toBe('Jwt is expired');
      });
    });

    describe('CORS', () => {
      const origin = 'http://localhost:3000';

      it('answers a preflight from an allowed origin without a token', async () => {
        const r = await env.call('/v1/shelves/s1', { method: 'OPTIONS', token: null, headers: { origin, 'access-control-request-method': 'PATCH' } });
        expect(r.status).toBe(200);
        expect(r.headers.get('access-control-allow-origin')).toBe(origin);
        expect(r.headers.get('access-control-allow-methods')).toBe('GET, POST, PUT, PATCH, DELETE, OPTIONS');
        expect(r.headers.get('access-control-allow-headers')).toBe('authorization, content-type, x-request-id, traceparent');
        expect(r.headers.get('access-control-max-age')).toBe('86400');
      });

      it('gives no CORS grant to other origins', async () => {
        const r = await env.call('/v1/shelves/s1', { method: 'OPTIONS', token: null, headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
        expect(r.headers.get('access-control-allow-origin')).toBeNull();
      });

      it('adds CORS headers to responses, local replies included', async () => {
        const ok = await env.call('/v1/shelves/s1', { headers: { origin } });
        expect(ok.headers.get('access-control-allow-origin')).toBe(origin);
        expect(ok.headers.get('access-control-expose-headers')).toBe('grpc-status, grpc-message, x-request-id');
        const denied = await env.call('/v1/shelves/s1', { token: null, headers: { origin: 'http://127.0.0.1:3000' } });
        expect(denied.status).toBe(401);
        expect(denied.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:3000');
      });
    });

    describe('rate limiting', () => {
      it('answers 429 Status JSON once a route bucket is empty', async () => {
        const statuses: number[] = [];
        for (let i = 0; i < 4; i++) statuses.push((await env.call('/v1/limited')).status);
        expect(statuses).toEqual([200, 200, 200, 429]);
        const r = await env.call('/v1/limited');
        expect(r.json).toEqual({ code: 8, message: 'local_rate_limited' });
        expect(r.headers.get('x-envoy-ratelimited')).toBe('true');
      });
    });

    describe('plain HTTP routes', () => {
      it('proxies method, headers, body and status', async () => {
        const r = await env.call('/oauth/token', {
          token: null,
          rawBody: 'grant_type=password&username=a%40b.c',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': 'oauth-1' },
        });
        expect(r.status).toBe(201);
        expect(r.headers.get('cache-control')).toBe('no-store');
        expect(r.json).toMatchObject({
          method: 'POST',
          path: '/oauth/token',
          contentType: 'application/x-www-form-urlencoded',
          body: 'grant_type=password&username=a%40b.c',
          xRequestId: 'oauth-1',
        });
        expect(r.json.xForwardedFor).toBeTruthy();
      });

      it('streams large responses through intact', async () => {
        const res = await fetch(`${env.target.url}/.well-known/big`);
        const body = Buffer.from(await res.arrayBuffer());
        expect(res.status).toBe(200);
        expect(body.length).toBe(BIG_SIZE);
        expect(sha256(body)).toBe(sha256(bigBody()));
      });

      it('passes upstream error responses through unchanged', async () => {
        const r = await env.call('/.well-known/nothing-here', { token: null });
        expect(r.status).toBe(404);
        expect(r.text).toBe('no such thing upstream');
      });
    });

    if (t.name === 'local gateway') {
      describe('local gateway only', () => {
        it('gives the upstream a deadline matching the route timeout', async () => {
          const r = await env.call('/v1/shelves/s1');
          expect(r.json.hasDeadline).toBe(true);
          expect(r.json.metadata['x-envoy-expected-rq-timeout-ms']).toBe('15000');
        });
      });
    }
  });
}
