/**
 * Abuse limits and security headers of the real gateway-envoy/envoy.yaml, through the local
 * gateway with the real descriptor set: per-client rate limits (per address, per account), the
 * trusted client address, the connection limit, security headers and CORS, and fast 503s with
 * Retry-After when a service is down. Variants of the YAML (smaller numbers, a trusted proxy in
 * front) are edited copies of the production file.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@flix/logging';
import { readDescriptorSet } from '@flix/proto/descriptor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Document, parseDocument } from 'yaml';
import { type LocalGateway, loadEnvoyConfig, startLocalGateway, summarize } from '../src/index.js';
import { REPO_ROOT } from './support/descriptor.js';
import { type FlixUpstreams, startFlixUpstreams } from './support/flix-upstreams.js';

const YAML_PATH = join(REPO_ROOT, 'gateway-envoy/envoy.yaml');
const CONFIG = loadEnvoyConfig(YAML_PATH);
const HCM = ['static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 1, 'typed_config'];
const ROUTES = [...HCM, 'route_config', 'virtual_hosts', 0, 'routes'];
const descriptorSet = readDescriptorSet();

let upstreams: FlixUpstreams;
const gateways: LocalGateway[] = [];

/** The production YAML, edited by `edit`, started against the stand-in services. */
async function gatewayWith(edit?: (doc: Document) => void, override: Record<string, string> = {}, runtime?: Record<string, number>): Promise<LocalGateway> {
  const doc = parseDocument(readFileSync(YAML_PATH, 'utf8'));
  edit?.(doc);
  const file = join(mkdtempSync(join(tmpdir(), 'gw-limits-')), 'envoy.yaml');
  writeFileSync(file, doc.toString());
  const gw = await startLocalGateway({
    port: 0,
    envoyConfig: file,
    descriptorSet,
    upstreams: { ...upstreams.upstreams(CONFIG.clusters.keys()), ...override },
    logger: createLogger('gateway-limits-test', { level: 'silent' }),
    runtime,
  });
  gateways.push(gw);
  return gw;
}

function routeIndex(doc: Document, name: string): number {
  const items = (doc.getIn(ROUTES) as { items: { get(k: string): unknown }[] }).items;
  return items.findIndex((r) => r.get('name') === name);
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: () => { code?: number; message?: string; details?: unknown[] };
}

/** One request on a fresh connection from `from` (a loopback address, so tests can be two clients). */
function send(gw: LocalGateway, method: string, path: string, opts: { from?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: gw.port, method, path, localAddress: opts.from ?? '127.0.0.1', agent: false, headers: { 'content-type': 'application/json', ...opts.headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const register = (gw: LocalGateway, from?: string, headers?: Record<string, string>) =>
  send(gw, 'POST', '/v1/auth/register', { from, headers, body: JSON.stringify({ email: 'a@b.c', password: 'long enough password' }) });
const login = (gw: LocalGateway, from?: string) => send(gw, 'POST', '/v1/auth/login', { from, body: JSON.stringify({ email: 'a@b.c', password: 'x' }) });

beforeAll(async () => {
  upstreams = await startFlixUpstreams(descriptorSet, summarize(CONFIG).transcodedServices);
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await upstreams?.close();
});

describe('per-client rate limits (production numbers)', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await gatewayWith();
  });

  it('one address flooding register is refused with 429 Status JSON, Retry-After and x-ratelimit-*; another address still registers and logs in', async () => {
    const flood = [];
    // A forged X-Forwarded-For per request does not buy a fresh bucket: the peer address counts.
    for (let i = 0; i < 20; i++) flood.push(await register(gw, '127.0.0.1', { 'x-forwarded-for': `10.0.${i}.1` }));
    expect(flood.slice(0, 5).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(flood.slice(5).every((r) => r.status === 429)).toBe(true);
    const refused = flood[5]!;
    expect(refused.json()).toEqual({ code: 8, message: 'local_rate_limited' });
    expect(refused.headers['retry-after']).toBe('12');
    expect(refused.headers['x-ratelimit-limit']).toBe('5');
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');
    expect(Number(refused.headers['x-ratelimit-reset'])).toBeGreaterThan(0);

    // Twenty other people's logins from another address: none fails.
    const others = await Promise.all(Array.from({ length: 20 }, () => login(gw, '127.0.0.2')));
    expect(others.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect((await register(gw, '127.0.0.2')).status).toBe(200);
    // The flooder's own login has its own bucket too.
    expect((await login(gw, '127.0.0.1')).status).toBe(200);
  });

  it('anonymous catalog browsing is limited per address only, not in one shared bucket', async () => {
    const movies = (from: string) => send(gw, 'GET', '/v1/movies', { from });
    const first = await Promise.all(Array.from({ length: 40 }, () => movies('127.0.0.4')));
    expect(first.map((r) => r.status)).toEqual(Array(40).fill(200));
    expect(first[0]!.headers['x-ratelimit-limit']).toBe('600');
  });

  it('does not limit webhooks', async () => {
    const hooks = await Promise.all(Array.from({ length: 60 }, () => send(gw, 'POST', '/webhooks/stripe', { from: '127.0.0.5', body: '{}' })));
    expect(hooks.map((r) => r.status)).toEqual(Array(60).fill(200));
    expect(hooks[0]!.headers['x-ratelimit-limit']).toBeUndefined();
  });
});

describe('per-account limits (smaller buckets, same settings otherwise)', () => {
  it('one account flooding an API read is refused; another account on the same address is not', async () => {
    const gw = await gatewayWith((doc) => {
      const at = routeIndex(doc, 'api_read');
      doc.setIn([...ROUTES, at, 'typed_per_filter_config', 'flix.filters.http.local_ratelimit.account', 'descriptors', 0, 'token_bucket'], doc.createNode({ max_tokens: 20, tokens_per_fill: 1, fill_interval: '3600s' }));
    });
    const [a, b] = await Promise.all([upstreams.token('account-a'), upstreams.token('account-b')]);
    const me = (token: string) => send(gw, 'GET', '/v1/users/me', { from: '127.0.0.3', headers: { authorization: `Bearer ${token}` } });
    const flood = await Promise.all(Array.from({ length: 30 }, () => me(a)));
    expect(flood.filter((r) => r.status === 200)).toHaveLength(20);
    const refused = flood.filter((r) => r.status === 429);
    expect(refused).toHaveLength(10);
    expect(refused[0]!.json()).toEqual({ code: 8, message: 'local_rate_limited' });
    expect(refused[0]!.headers['retry-after']).toBe('1');
    const bReads = await Promise.all(Array.from({ length: 20 }, () => me(b)));
    expect(bReads.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect((await me(a)).status).toBe(429);
  });

  it('a request without a token does not take from anyone’s account bucket', async () => {
    const gw = await gatewayWith((doc) => {
      const at = routeIndex(doc, 'api_read');
      doc.setIn([...ROUTES, at, 'typed_per_filter_config', 'flix.filters.http.local_ratelimit.account', 'descriptors', 0, 'token_bucket'], doc.createNode({ max_tokens: 5, tokens_per_fill: 1, fill_interval: '3600s' }));
    });
    const anonymous = await Promise.all(Array.from({ length: 20 }, () => send(gw, 'GET', '/v1/movies', { from: '127.0.0.9' })));
    expect(anonymous.map((r) => r.status)).toEqual(Array(20).fill(200));
  });
});

describe('Envoy runtime overrides', () => {
  it('flix.rate_limit.enforced = 0 counts but lets every request through (how a test stack or an operator turns enforcement off)', async () => {
    const gw = await gatewayWith(undefined, {}, { 'flix.rate_limit.enforced': 0 });
    const all = [];
    for (let i = 0; i < 8; i++) all.push(await register(gw, '127.0.0.10'));
    expect(all.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(all.at(-1)!.headers['x-ratelimit-remaining']).toBe('0');
  });
});

describe('gRPC framing on the JSON API', () => {
  it('is a 415 Status JSON, not a 5xx', async () => {
    const gw = await gatewayWith();
    const r = await send(gw, 'POST', '/v1/auth/register', { headers: { 'content-type': 'application/grpc' }, body: '' });
    expect(r.status).toBe(415);
    expect(r.json()).toMatchObject({ code: 3 });
  });
});

describe('requests the HTTP codec refuses', () => {
  it('answers headers over the limit with 431 Status JSON, not an empty body', async () => {
    const gw = await gatewayWith();
    const r = await send(gw, 'GET', `/v1/movies?q=${'a'.repeat(20_000)}`);
    expect(r.status).toBe(431);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json()).toEqual({ code: 8, message: 'Request Header Fields Too Large' });
  });
});

describe('rate limit buckets refill', () => {
  it('lets a refused address in again after the fill interval', async () => {
    const gw = await gatewayWith((doc) => {
      const at = routeIndex(doc, 'api_register');
      doc.setIn([...ROUTES, at, 'typed_per_filter_config', 'envoy.filters.http.local_ratelimit', 'descriptors', 0, 'token_bucket'], doc.createNode({ max_tokens: 2, tokens_per_fill: 2, fill_interval: '1s' }));
    });
    // The bucket refills continuously (1 token per 500 ms here), so count what a burst gets.
    const burst = await Promise.all(Array.from({ length: 10 }, () => register(gw, '127.0.0.11')));
    expect(burst.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1_100));
    // A full bucket again after one fill interval: both of a pair get through.
    const after = await Promise.all([register(gw, '127.0.0.11'), register(gw, '127.0.0.11')]);
    expect(after.map((r) => r.status)).toEqual([200, 200]);
  });
});

describe('the client address services receive', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await gatewayWith();
  });

  it('is the connection peer, whatever X-Forwarded-For the client sends', async () => {
    upstreams.calls.length = 0;
    const token = await upstreams.token('account-ip');
    expect((await send(gw, 'GET', '/v1/users/me', { from: '127.0.0.6', headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': '6.6.6.6', 'x-envoy-external-address': '6.6.6.6' } })).status).toBe(200);
    const md = upstreams.calls.at(-1)!.metadata;
    expect(md['x-forwarded-for']!.split(',').map((s) => s.trim()).at(-1)).toBe('127.0.0.6');
    expect(md['x-envoy-external-address']).toBe('127.0.0.6');
    const oauth = await send(gw, 'POST', '/oauth/token', { from: '127.0.0.6', headers: { 'x-forwarded-for': '6.6.6.6' }, body: '{}' });
    const seen = JSON.parse(oauth.body).headers as Record<string, string>;
    expect(seen['x-forwarded-for']!.split(',').map((s) => s.trim()).at(-1)).toBe('127.0.0.6');
    expect(seen['x-envoy-external-address']).toBe('127.0.0.6');
  });

  it('behind one trusted proxy (xff_num_trusted_hops: 1), is the address that proxy appended, and limits follow it', async () => {
    const behind = await gatewayWith((doc) => doc.setIn([...HCM, 'xff_num_trusted_hops'], 1));
    upstreams.calls.length = 0;
    // The proxy appends the real client to whatever the client sent: the last entry counts.
    const forA = Array.from({ length: 6 }, () => register(behind, '127.0.0.7', { 'x-forwarded-for': '6.6.6.6, 203.0.113.1' }));
    const statuses = (await Promise.all(forA)).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await register(behind, '127.0.0.7', { 'x-forwarded-for': '203.0.113.2' })).status).toBe(200);
    expect(upstreams.calls.at(-1)!.metadata['x-envoy-external-address']).toBe('203.0.113.2');
  });
});

describe('security headers and CORS', () => {
  let gw: LocalGateway;
  let trusted: LocalGateway;
  beforeAll(async () => {
    gw = await gatewayWith();
    trusted = await gatewayWith((doc) => doc.setIn([...HCM, 'xff_num_trusted_hops'], 1));
  });

  it('sends nosniff and Referrer-Policy on service answers and on the gateway’s own replies, and no HSTS over plain HTTP', async () => {
    const answers = [
      await send(gw, 'GET', '/v1/movies'),
      await send(gw, 'GET', '/v1/users/me'),
      await send(gw, 'GET', '/v1/auth/login'),
      await send(gw, 'GET', '/healthz'),
      await send(gw, 'GET', '/', { headers: { 'x-forwarded-proto': 'https' } }),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 401, 404, expect.any(Number), 200]);
    for (const r of answers) {
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
      // A client's own x-forwarded-proto is not trusted at the edge.
      expect(r.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('sends HSTS when a trusted proxy in front says the client came over https', async () => {
    const tls = await send(trusted, 'GET', '/v1/movies', { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' } });
    expect(tls.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    const plain = await send(trusted, 'GET', '/v1/movies', { headers: { 'x-forwarded-proto': 'http', 'x-forwarded-for': '203.0.113.9' } });
    expect(plain.headers['strict-transport-security']).toBeUndefined();
  });

  it('lets the configured origin send Idempotency-Key and read Retry-After; a foreign origin gets no Access-Control-Allow-Origin', async () => {
    const preflight = (origin: string) =>
      send(gw, 'OPTIONS', '/v1/checkout', { headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, idempotency-key' } });
    const ok = await preflight('http://localhost:3000');
    expect(ok.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(String(ok.headers['access-control-allow-headers']).split(/,\s*/)).toContain('idempotency-key');
    const movies = await send(gw, 'GET', '/v1/movies', { headers: { origin: 'http://localhost:3000' } });
    expect(String(movies.headers['access-control-expose-headers']).split(/,\s*/)).toEqual(expect.arrayContaining(['retry-after', 'x-ratelimit-remaining']));

    const foreign = await preflight('https://evil.example');
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    const foreignGet = await send(gw, 'GET', '/v1/movies', { headers: { origin: 'https://evil.example' } });
    expect(foreignGet.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('connection limit', () => {
  /** A keep-alive connection that can send requests one at a time. */
  function openConnection(port: number): Promise<{ socket: Socket; get(): Promise<string>; closed: Promise<void> }> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let buffer = '';
      let waiter: ((s: string) => void) | undefined;
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => {
        buffer += d;
        if (waiter && /\r\n\r\n/.test(buffer)) {
          const w = waiter;
          waiter = undefined;
          setTimeout(() => {
            w(buffer);
            buffer = '';
          }, 20);
        }
      });
      const closed = new Promise<void>((r) => socket.once('close', () => r()));
      socket.on('error', () => undefined);
      socket.once('connect', () =>
        resolve({
          socket,
          closed,
          get: () =>
            new Promise<string>((r) => {
              waiter = r;
              socket.write('GET /v1/genres HTTP/1.1\r\nHost: gw\r\n\r\n');
            }),
        }),
      );
      socket.once('error', reject);
    });
  }

  it('closes connections beyond max_connections at once while the open ones keep working', async () => {
    const gw = await gatewayWith((doc) => doc.setIn(['static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 0, 'typed_config', 'max_connections'], 3));
    const open = await Promise.all([0, 1, 2].map(() => openConnection(gw.port)));
    for (const c of open) expect(await c.get()).toMatch(/^HTTP\/1\.1 200/);
    const extra = await openConnection(gw.port);
    const outcome = await Promise.race([extra.closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open'), 2_000))]);
    expect(outcome).toBe('closed');
    for (const c of open) expect(await c.get()).toMatch(/^HTTP\/1\.1 200/);
    // A slot frees up when one closes.
    open[0]!.socket.destroy();
    await open[0]!.closed;
    await new Promise((r) => setTimeout(r, 50));
    const next = await openConnection(gw.port);
    expect(await next.get()).toMatch(/^HTTP\/1\.1 200/);
    for (const c of [...open, next]) c.socket.destroy();
  });
});

describe('a service that is down', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = srv.address() as { port: number };
        srv.close(() => resolve(p));
      });
    });
    gw = await gatewayWith(undefined, { billing_grpc: `127.0.0.1:${port}` });
  });

  it('answers 503 UNAVAILABLE with Retry-After well under a second when the connection is refused', async () => {
    const started = performance.now();
    const r = await send(gw, 'GET', '/v1/plans');
    const took = performance.now() - started;
    expect(r.status).toBe(503);
    expect(r.json()).toMatchObject({ code: 14, message: expect.stringContaining('Connection refused') });
    expect(r.headers['retry-after']).toBe('1');
    // Typically 10-60 ms; the bound leaves room for a loaded CI machine and is still no hang.
    expect(took).toBeLessThan(900);
  });

  it('names the unhealthy cluster in the /healthz 503', async () => {
    let body: { code?: number; message?: string } = {};
    for (let i = 0; i < 50; i++) {
      const r = await send(gw, 'GET', '/healthz');
      body = r.json();
      if (r.status === 503 && body.message === 'one or more upstream clusters are not healthy: billing_grpc') break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(body).toEqual({ code: 14, message: 'one or more upstream clusters are not healthy: billing_grpc' });
  });

  it('keeps a RetryInfo detail from a service’s UNAVAILABLE and adds Retry-After from it', async () => {
    upstreams.unavailable.set('Login', 3);
    try {
      const r = await login(gw, '127.0.0.8');
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toBe('3');
      expect(r.json()).toEqual({
        code: 14,
        message: 'billing is catching up',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '3s' }],
      });
    } finally {
      upstreams.unavailable.delete('Login');
    }
  });
});
