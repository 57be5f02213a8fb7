/**
 * The web server over real HTTP against a throwaway dist: precompressed files by Accept-Encoding,
 * caching, the SPA fallback, what is never the app, methods, and the security headers.
 */
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy, IMMUTABLE, startWebServer, type WebServer } from './app.js';
import { createFixtureDist, type FixtureDist } from './fixture-dist.js';

const MEDIA = ['https://stream.mux.com', 'https://image.mux.com'];

let dist: FixtureDist;
let web: WebServer;

beforeAll(async () => {
  dist = createFixtureDist();
  web = await startWebServer({ dist: dist.dir, mediaOrigins: MEDIA });
});

afterAll(async () => {
  await web?.close();
  dist?.remove();
});

/** One request with exactly these headers (fetch would add Accept-Encoding and decode the body). */
function raw(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${web.url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function expectSecurityHeaders(headers: Record<string, string | string[] | undefined>, what: string): void {
  expect(headers['content-security-policy'], what).toBe(contentSecurityPolicy(MEDIA));
  expect(headers['x-content-type-options'], what).toBe('nosniff');
  expect(headers['referrer-policy'], what).toBe('strict-origin-when-cross-origin');
  expect(headers['x-frame-options'], what).toBe('DENY');
  expect(headers['permissions-policy'], what).toContain('fullscreen=(self)');
  expect(headers['permissions-policy'], what).toContain('picture-in-picture=(self)');
}

describe('the app shell', () => {
  it('serves index.html at / with no-cache and an ETag', async () => {
    const res = await raw('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html;charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers.etag).toBeTruthy();
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(res.body.toString()).toBe(dist.indexHtml);
  });

  it('answers a revalidation with 304, still carrying Cache-Control and the security headers', async () => {
    const first = await raw('/', { 'accept-encoding': 'br' });
    const again = await raw('/', { 'accept-encoding': 'br', 'if-none-match': String(first.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers['cache-control']).toBe('no-cache');
    expectSecurityHeaders(again.headers, '304');
  });

  it.each(['/browse', '/title/demo-000001', '/account/billing/', '/profiles?next=%2Fbrowse', '/deep/ly/nested/route'])('falls back to index.html for the app route %s', async (path) => {
    const res = await raw(path, { 'accept-encoding': 'gzip, deflate, br' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html;charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(res.body).toString()).toBe(dist.indexHtml);
    expectSecurityHeaders(res.headers, path);
  });

  it('answers HEAD like GET, without a body', async () => {
    const res = await raw('/browse', {}, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html;charset=utf-8');
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(dist.indexHtml));
    expect(res.body.length).toBe(0);
  });
});

describe('assets', () => {
  it('serves the brotli sibling to a client that accepts br, with Vary: Accept-Encoding, cached for a year', async () => {
    const res = await raw(dist.entryJs.path, { 'accept-encoding': 'gzip, deflate, br, zstd' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-type']).toBe('text/javascript');
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(res.headers['cache-control']).toBe(IMMUTABLE);
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    expect(brotliDecompressSync(res.body).toString()).toBe(dist.entryJs.body);
  });

  it('serves gzip to a client that accepts only gzip, and the plain file to one that accepts neither', async () => {
    const gz = await raw(dist.css.path, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers['content-type']).toBe('text/css');
    expect(gunzipSync(gz.body).toString()).toBe(dist.css.body);
    const plain = await raw(dist.css.path);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
    expect(plain.body.toString()).toBe(dist.css.body);
    expect(plain.headers['cache-control']).toBe(IMMUTABLE);
  });

  it('serves a file that has no compressed sibling as it is', async () => {
    const res = await raw(dist.lazyJs.path, { 'accept-encoding': 'br, gzip' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.toString()).toBe(dist.lazyJs.body);
  });

  it('serves public files at the root with no-cache', async () => {
    const res = await fetch(`${web.url}/favicon.svg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(res.headers.get('cache-control')).toBe('no-cache');
  });

  it('ignores Range and sends the whole file', async () => {
    const res = await raw(dist.lazyJs.path, { range: 'bytes=-5' });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe(dist.lazyJs.body);
  });

  it.each(['/assets/index-OLDHASH.js', '/assets/nothing-here', '/missing.png', '/robots.txt', '/browse/poster.jpg'])('answers 404 (never index.html) for the missing file %s', async (path) => {
    const res = await raw(path, { 'accept-encoding': 'br' });
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body.toString()).toBe('Not Found');
    expectSecurityHeaders(res.headers, path);
  });

  it('does not serve outside the dist or dotfiles', async () => {
    for (const path of ['/../package.json', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2fpackage.json', '/.env', '/.gitignore']) {
      const res = await raw(path);
      // Either refused, or (an extension-less path) the app's own index.html.
      if (res.status === 200) expect(res.body.toString(), path).toBe(dist.indexHtml);
      else expect([400, 404], path).toContain(res.status);
    }
  });
});

describe('what is never the app', () => {
  it.each(['/v1/movies', '/v1/auth/login', '/v1', '/oauth/token', '/.well-known/jwks.json', '/webhooks/stripe'])('answers 404 for %s', async (path) => {
    const res = await fetch(web.url + path);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('Not Found');
  });

  it('serves the OAuth consent page, the one app page under /oauth/ (identity\'s /oauth/authorize sends browsers there)', async () => {
    const res = await raw('/oauth/consent?client_id=tv&response_type=code');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe(dist.indexHtml);
    expect((await fetch(web.url + '/oauth/consent/x')).status).toBe(404);
  });

  it('answers /healthz itself', async () => {
    const res = await raw('/healthz');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('ok');
    expect(res.headers['cache-control']).toBe('no-store');
    expectSecurityHeaders(res.headers, '/healthz');
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('refuses %s with 405 and Allow', async (method) => {
    const res = await raw('/', { 'content-length': '0' }, method);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    expectSecurityHeaders(res.headers, method);
  });
});

describe('the Content-Security-Policy', () => {
  it('is the SPA + hls.js policy with the media origins in img-src, media-src and connect-src', () => {
    expect(contentSecurityPolicy(['http://127.0.0.1:8088'])).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: http://127.0.0.1:8088; " +
        "media-src 'self' blob: http://127.0.0.1:8088; connect-src 'self' http://127.0.0.1:8088; worker-src 'self' blob:; " +
        "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    );
    expect(contentSecurityPolicy([])).toContain("connect-src 'self'; ");
  });
});
