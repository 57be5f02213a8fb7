/**
 * The web app behind the local gateway built from the real gateway-envoy/envoy.yaml (the services
 * are down; only the web upstream is up): `/` and app routes reach web/server through the `web`
 * route, precompressed bodies pass through untouched, and unmapped /v1/ calls are still JSON 404s.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { startLocalGateway, type LocalGateway } from '@flix/gateway-local';
import { createLogger } from '@flix/logging';
import { readDescriptorSet } from '@flix/proto/descriptor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMMUTABLE, startWebServer, type WebServer } from './app.js';
import { createFixtureDist, type FixtureDist } from './fixture-dist.js';

const ENVOY_YAML = join(import.meta.dirname, '../../gateway-envoy/envoy.yaml');

let dist: FixtureDist;
let web: WebServer;
let gateway: LocalGateway;

beforeAll(async () => {
  dist = createFixtureDist();
  web = await startWebServer({ dist: dist.dir, mediaOrigins: ['http://127.0.0.1:8088'] });
  gateway = await startLocalGateway({
    port: 0,
    envoyConfig: ENVOY_YAML,
    descriptorSet: readDescriptorSet(),
    // Every service cluster points at a port nothing listens on.
    upstreams: {
      web: `127.0.0.1:${web.port}`,
      identity_grpc: '127.0.0.1:1',
      identity_http: '127.0.0.1:1',
      catalog_grpc: '127.0.0.1:1',
    },
    logger: createLogger('gateway', { level: 'silent' }),
  });
});

afterAll(async () => {
  await gateway?.close();
  await web?.close();
  dist?.remove();
});

function raw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${gateway.url}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the web route of envoy.yaml, through the local gateway', () => {
  it('loads: the web cluster is plain HTTP and the catch-all route forwards to it untranscoded', () => {
    const cluster = gateway.config.clusters.get('web');
    expect(cluster).toMatchObject({ http2: false, endpoints: [{ host: 'web', port: 8090 }], healthChecks: [] });
    const routes = gateway.config.hcm.virtualHosts[0]!.routes;
    const last = routes.at(-1)!;
    expect(last).toMatchObject({ name: 'web', match: { path: { kind: 'prefix', value: '/' } }, action: { kind: 'route', cluster: 'web' } });
    expect(last.perFilter.get('envoy.filters.http.grpc_json_transcoder')).toEqual({ type: 'disabled' });
  });

  it('serves the app shell at / with the web server headers, and app routes as index.html', async () => {
    for (const path of ['/', '/browse', '/title/demo-000001?autoplay=1']) {
      const res = await raw(path, { 'accept-encoding': 'br' });
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type'], path).toBe('text/html;charset=utf-8');
      expect(res.headers['content-encoding'], path).toBe('br');
      expect(res.headers.vary, path).toBe('Accept-Encoding');
      expect(res.headers['cache-control'], path).toBe('no-cache');
      expect(res.headers['content-security-policy'], path).toContain("connect-src 'self' http://127.0.0.1:8088;");
      expect(res.headers['x-frame-options'], path).toBe('DENY');
      expect(brotliDecompressSync(res.body).toString(), path).toBe(dist.indexHtml);
    }
  });

  it('passes precompressed assets through byte for byte, with their length and long-lived caching', async () => {
    const direct = await fetch(`${web.url}${dist.entryJs.path}`, { headers: { 'accept-encoding': 'gzip' } });
    const res = await raw(dist.entryJs.path, { 'accept-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['cache-control']).toBe(IMMUTABLE);
    expect(res.headers['content-length']).toBe(direct.headers.get('content-length'));
    expect(res.body.length).toBe(Number(res.headers['content-length']));
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('keeps a missing asset a 404 from the web server', async () => {
    const res = await raw('/assets/index-OLDHASH.js');
    expect(res.status).toBe(404);
    expect(res.body.toString()).toBe('Not Found');
  });

  it('still answers unmapped /v1/ and /v1/auth/ calls with a JSON 404, never the app', async () => {
    // Paths the JWT rules let through without a token (anything else under /v1/ is a 401 first).
    for (const path of ['/v1/movies-nothing-here', '/v1/auth/login' /* GET: login is POST */]) {
      const res = await raw(path);
      expect(res.status, path).toBe(404);
      expect(JSON.parse(res.body.toString()), path).toMatchObject({ code: 5 });
    }
  });

  it('keeps /healthz the gateway’s own (503 while the services are down), not the web server’s', async () => {
    const res = await raw('/healthz');
    expect(res.status).toBe(503);
  });

  it('answers 503 in Status JSON when the web upstream is down', async () => {
    const down = await startLocalGateway({
      port: 0,
      envoyConfig: ENVOY_YAML,
      descriptorSet: readDescriptorSet(),
      upstreams: { web: '127.0.0.1:1' },
      logger: createLogger('gateway', { level: 'silent' }),
    });
    try {
      const res = await fetch(`${down.url}/`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ code: 14 });
    } finally {
      await down.close();
    }
  });
});
