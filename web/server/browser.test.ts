/**
 * The security headers in a real browser (Debian's chromium through playwright-core): a page
 * served by the web server runs its module scripts and styles, lazily imports a chunk, starts a
 * worker from a blob: URL and attaches a MediaSource blob: to a <video> (what hls.js does), loads
 * a playlist with XHR + Range and an image from the media origin; nothing else gets through
 * (eval, other origins), and the Permissions-Policy parses without a console error.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from './app.js';
import { createFixtureDist, type FixtureDist } from './fixture-dist.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A stand-in media host answering as Mux (and dev/video-origin) do: CORS *, Range allowed. */
function startMediaHost(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const cors = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-length, content-range' };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'access-control-allow-methods': 'GET, HEAD, OPTIONS', 'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'range' }).end();
      return;
    }
    if (req.url?.startsWith('/poster.png')) {
      // 1x1 transparent PNG.
      const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
      res.writeHead(200, { ...cors, 'content-type': 'image/png', 'content-length': png.length }).end(png);
      return;
    }
    const body = '#EXTM3U\n#EXT-X-VERSION:3\n';
    res.writeHead(req.headers.range ? 206 : 200, {
      ...cors,
      'content-type': 'application/vnd.apple.mpegurl',
      ...(req.headers.range ? { 'content-range': `bytes 0-${body.length - 1}/${body.length}` } : {}),
    });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server })));
}

/** The app's entry chunk: exercises what the policy must allow and two things it must not. */
const entryJs = (media: string) => `
const results = { violations: [] };
window.__results = results;
document.addEventListener('securitypolicyviolation', (e) => results.violations.push(e.effectiveDirective + ' ' + e.blockedURI));
async function run() {
  results.lazy = (await import('/assets/player-Z9y8x7.js')).player;
  results.styled = getComputedStyle(document.body).marginTop;
  const blob = new Blob(['onmessage = (e) => postMessage(e.data * 2)'], { type: 'text/javascript' });
  const worker = new Worker(URL.createObjectURL(blob));
  results.worker = await new Promise((ok) => { worker.onmessage = (e) => ok(e.data); worker.onerror = () => ok('blocked'); worker.postMessage(21); });
  results.xhr = await new Promise((ok) => {
    const x = new XMLHttpRequest();
    x.open('GET', '${media}/abc.m3u8?token=t');
    x.setRequestHeader('Range', 'bytes=0-');
    x.onload = () => ok(x.status + ' ' + x.getResponseHeader('content-range') + ' ' + x.responseText.split('\\n')[0]);
    x.onerror = () => ok('error');
    x.send();
  });
  results.image = await new Promise((ok) => { const i = new Image(); i.onload = () => ok('loaded'); i.onerror = () => ok('error'); i.src = '${media}/poster.png'; });
  results.dataImage = await new Promise((ok) => { const i = new Image(); i.onload = () => ok('loaded'); i.onerror = () => ok('error'); i.src = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII='; });
  const video = document.createElement('video');
  document.body.append(video);
  const ms = new MediaSource();
  results.mediaSource = await new Promise((ok) => { ms.addEventListener('sourceopen', () => ok('open')); video.onerror = () => ok('error'); video.src = URL.createObjectURL(ms); setTimeout(() => ok('timeout'), 5000); });
  try { results.eval = eval('1 + 1'); } catch { results.eval = 'blocked'; }
  results.otherOrigin = await fetch('http://127.0.0.1:9/elsewhere').then(() => 'reached', () => 'blocked');
  results.fullscreen = document.fullscreenEnabled;
  results.pictureInPicture = document.pictureInPictureEnabled;
  results.camera = document.featurePolicy ? document.featurePolicy.allowsFeature('camera') : 'n/a';
  results.done = true;
}
run().catch((e) => { results.error = String(e); results.done = true; });
`;

describe.skipIf(!existsSync(CHROMIUM))('the web server’s headers in chromium', () => {
  let dist: FixtureDist;
  let web: WebServer;
  let media: { url: string; server: Server };
  let browser: Browser;

  beforeAll(async () => {
    media = await startMediaHost();
    dist = createFixtureDist({ entryJs: entryJs(media.url) });
    web = await startWebServer({ dist: dist.dir, mediaOrigins: [media.url] });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'] });
  });

  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await new Promise((r) => media?.server.close(r));
    dist?.remove();
  });

  it('lets the SPA and hls.js-style playback through, and nothing else', async () => {
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    const pageErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const res = await page.goto(`${web.url}/title/demo-000001`);
    expect(res?.status()).toBe(200);
    // globalThis, not window: this file is type-checked without the DOM library (and a string
    // expression would be eval, which the page's CSP refuses).
    type Page = { __results?: Record<string, unknown> & { done?: boolean } };
    await page.waitForFunction(() => (globalThis as Page).__results?.done === true, undefined, { timeout: 15_000 });
    const results = await page.evaluate(() => (globalThis as Page).__results!);
    expect(pageErrors).toEqual([]);
    expect(results).toMatchObject({
      lazy: 1,
      styled: '0px',
      worker: 42,
      xhr: '206 bytes 0-24/25 #EXTM3U',
      image: 'loaded',
      dataImage: 'loaded',
      mediaSource: 'open',
      eval: 'blocked',
      otherOrigin: 'blocked',
      fullscreen: true,
      pictureInPicture: true,
      camera: false,
    });
    expect(results.error).toBeUndefined();
    expect((results.violations as string[]).sort()).toEqual(['connect-src http://127.0.0.1:9/elsewhere', 'script-src eval']);
    // The only console errors are the two refusals above (no Permissions-Policy parse error).
    const expected = (m: string) => /violates the following Content Security Policy directive|Refused to (connect|evaluate)|Failed to fetch/.test(m);
    expect(consoleErrors.filter((m) => !expected(m))).toEqual([]);
    await page.close();
  });
});
