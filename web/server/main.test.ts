/**
 * The web server's configuration (read once, every problem naming its variable) and its process:
 * `node --import tsx web/server/main.ts` starts, serves, and stops cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@flix/testkit';
import { DEFAULT_MEDIA_ORIGINS, parseMediaOrigin, readWebConfig } from './config.js';
import { createFixtureDist, type FixtureDist } from './fixture-dist.js';
import { startWeb } from './main.js';

const REPO = join(import.meta.dirname, '../..');
let dist: FixtureDist;

beforeAll(() => {
  dist = createFixtureDist();
});
afterAll(() => dist?.remove());

describe('readWebConfig', () => {
  it('has the documented defaults', () => {
    const cfg = readWebConfig({ FLIX_WEB_DIST: dist.dir });
    expect(cfg).toEqual({ host: '0.0.0.0', port: 8090, dist: dist.dir, mediaOrigins: DEFAULT_MEDIA_ORIGINS, logLevel: 'info' });
    expect(DEFAULT_MEDIA_ORIGINS).toEqual(['https://stream.mux.com', 'https://image.mux.com', 'https://*.mux.com', 'https://storage.googleapis.com']);
  });

  it('resolves FLIX_WEB_DIST against the working directory (default web/dist)', () => {
    expect(() => readWebConfig({}, dist.dir)).toThrow(/FLIX_WEB_DIST is invalid: .*web\/dist is not a directory/);
    const parent = join(dist.dir, '..');
    expect(readWebConfig({ FLIX_WEB_DIST: dist.dir.slice(parent.length + 1) }, parent).dist).toBe(dist.dir);
  });

  it('takes the port from FLIX_WEB_PORT, else HTTP_PORT (empty means unset)', () => {
    expect(readWebConfig({ FLIX_WEB_DIST: dist.dir, HTTP_PORT: '9000' }).port).toBe(9000);
    expect(readWebConfig({ FLIX_WEB_DIST: dist.dir, HTTP_PORT: '9000', FLIX_WEB_PORT: '9001' }).port).toBe(9001);
    expect(readWebConfig({ FLIX_WEB_DIST: dist.dir, FLIX_WEB_PORT: '' }).port).toBe(8090);
  });

  it('names the variable when a value is bad', () => {
    expect(() => readWebConfig({ FLIX_WEB_DIST: dist.dir, FLIX_WEB_PORT: 'eighty' })).toThrow(/FLIX_WEB_PORT is invalid/);
    expect(() => readWebConfig({ FLIX_WEB_DIST: dist.dir, HTTP_PORT: '70000' })).toThrow(/HTTP_PORT is invalid/);
    expect(() => readWebConfig({ FLIX_WEB_DIST: dist.dir, LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL is invalid/);
    expect(() => readWebConfig({ FLIX_WEB_DIST: dist.dir, FLIX_WEB_MEDIA_ORIGINS: 'https://stream.mux.com/path' })).toThrow(
      /FLIX_WEB_MEDIA_ORIGINS is invalid: "https:\/\/stream.mux.com\/path" is not an origin/,
    );
    expect(() => readWebConfig({ FLIX_WEB_DIST: dist.dir, FLIX_WEB_MEDIA_ORIGINS: "'unsafe-inline'" })).toThrow(/FLIX_WEB_MEDIA_ORIGINS is invalid/);
    expect(() => readWebConfig({ FLIX_WEB_DIST: join(dist.dir, 'assets') })).toThrow(/FLIX_WEB_DIST is invalid: .* has no index.html/);
  });

  it('reads FLIX_WEB_MEDIA_ORIGINS as space-separated origins, wildcard subdomains allowed', () => {
    const cfg = readWebConfig({ FLIX_WEB_DIST: dist.dir, FLIX_WEB_MEDIA_ORIGINS: '  http://127.0.0.1:8088   https://IMAGE.example.com/ https://*.cdn.example.com\nhttp://127.0.0.1:8088 ' });
    expect(cfg.mediaOrigins).toEqual(['http://127.0.0.1:8088', 'https://image.example.com', 'https://*.cdn.example.com']);
    expect(parseMediaOrigin('https://stream.mux.com:443')).toBe('https://stream.mux.com');
    expect(parseMediaOrigin('http://[::1]:8088')).toBe('http://[::1]:8088');
    for (const bad of ['stream.mux.com', 'ftp://x.com', 'https://x.com?a=1', 'https://user@x.com', 'https://*', 'data:', 'https://x.com:99999']) {
      expect(parseMediaOrigin(bad), bad).toBeUndefined();
    }
  });
});

describe('startWeb', () => {
  it('serves the dist from the environment and stops', async () => {
    const web = await startWeb({ FLIX_WEB_DIST: dist.dir, FLIX_WEB_PORT: '0', FLIX_WEB_HOST: '127.0.0.1', FLIX_WEB_MEDIA_ORIGINS: 'http://127.0.0.1:8088', LOG_LEVEL: 'silent' });
    try {
      const res = await fetch(`${web.url}/browse`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toContain("media-src 'self' blob: http://127.0.0.1:8088;");
    } finally {
      await web.stop();
    }
    await expect(fetch(`${web.url}/healthz`)).rejects.toThrow();
  });
});

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'web/server/main.ts'], { cwd: REPO, env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('node --import tsx web/server/main.ts', () => {
  it('exits 1 with a message naming the variable on bad configuration', async () => {
    const p = run({ FLIX_WEB_DIST: dist.dir, FLIX_WEB_MEDIA_ORIGINS: 'not-an-origin' });
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain('FLIX_WEB_MEDIA_ORIGINS is invalid');
  });

  it('serves until SIGTERM, then exits 0', async () => {
    const port = await freePort();
    const p = run({ FLIX_WEB_DIST: dist.dir, FLIX_WEB_PORT: String(port), FLIX_WEB_HOST: '127.0.0.1' });
    try {
      const deadline = Date.now() + 20_000;
      let status = 0;
      while (Date.now() < deadline && status !== 200) {
        status = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0);
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status, p.output()).toBe(200);
      expect(p.output()).toContain('web: serving the app');
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(p.output()).toContain('web: stopping');
    } finally {
      p.child.kill('SIGKILL');
    }
  });
});
