/** The emulators' shared scaffolding: route matching, listen/close, and the JSON state file. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonStateFile, listenHttp, Router, urlHostFor } from '../src/index.js';

describe('Router', () => {
  const router = new Router<string>()
    .add('GET', '/v1/customers', 'list')
    .add('GET', '/v1/customers/:id', 'get')
    .add('POST', '/v1/customers/:id', 'update')
    .add('GET', '/v1/assets/:id/playback-ids/:pid', 'playback')
    .add('GET', '/files/a.txt', 'literal');

  it('matches method and path, with decoded params', () => {
    expect(router.match('GET', '/v1/customers')).toEqual({ found: true, handler: 'list', params: {} });
    expect(router.match('POST', '/v1/customers/cus%201')).toEqual({ found: true, handler: 'update', params: { id: 'cus 1' } });
    expect(router.match('GET', '/v1/assets/a1/playback-ids/p2')).toEqual({ found: true, handler: 'playback', params: { id: 'a1', pid: 'p2' } });
  });

  it('tells a path served for other methods from an unknown one', () => {
    expect(router.match('DELETE', '/v1/customers/cus_1')).toEqual({ found: false, methodNotAllowed: true });
    expect(router.match('GET', '/v1/customers/cus_1/extra')).toEqual({ found: false, methodNotAllowed: false });
    expect(router.match(undefined, '/v1/customers')).toEqual({ found: false, methodNotAllowed: true });
  });

  it('takes the literal parts of a pattern literally, and a malformed escape as no match', () => {
    expect(router.match('GET', '/files/a.txt').found).toBe(true);
    expect(router.match('GET', '/files/aXtxt').found).toBe(false);
    expect(router.match('GET', '/v1/customers/%E0%A4%A')).toEqual({ found: false, methodNotAllowed: false });
  });
});

describe('listenHttp', () => {
  it('serves on a free port and closes with a keep-alive connection open', async () => {
    const http = await listenHttp((_req, res) => res.end('hi'));
    expect(http.baseUrl).toBe(`http://127.0.0.1:${http.port}`);
    expect(http.port).toBeGreaterThan(0);
    expect(await (await fetch(http.baseUrl)).text()).toBe('hi');
    await http.close();
    await expect(fetch(http.baseUrl)).rejects.toThrow();
  });

  it('refuses a port in use', async () => {
    const first = await listenHttp((_req, res) => res.end());
    try {
      await expect(listenHttp((_req, res) => res.end(), { port: first.port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });

  it('reaches a wildcard host through loopback and brackets IPv6', () => {
    expect(urlHostFor('0.0.0.0')).toBe('127.0.0.1');
    expect(urlHostFor('::')).toBe('127.0.0.1');
    expect(urlHostFor('::1')).toBe('[::1]');
    expect(urlHostFor('localhost')).toBe('localhost');
  });
});

describe('JsonStateFile', () => {
  interface State {
    version: 1;
    items: string[];
  }
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'emulator-kit-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips a state through its file, creating the data dir', () => {
    const dataDir = join(tempDir(), 'nested');
    const file = new JsonStateFile<State>(dataDir, 'state.json', 1);
    expect(file.load()).toBeUndefined();
    file.save({ version: 1, items: ['a', 'b'] });
    expect(file.path).toBe(join(dataDir, 'state.json'));
    expect(existsSync(`${file.path}.tmp`)).toBe(false);
    expect(new JsonStateFile<State>(dataDir, 'state.json', 1).load()).toEqual({ version: 1, items: ['a', 'b'] });
  });

  it('refuses a state of another version', () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'state.json'), JSON.stringify({ version: 2, items: [] }));
    expect(() => new JsonStateFile<State>(dataDir, 'state.json', 1).load()).toThrow(/unknown state version 2/);
  });

  it('keeps nothing without a data dir', () => {
    const file = new JsonStateFile<State>(undefined, 'state.json', 1);
    file.save({ version: 1, items: ['a'] });
    expect(file.path).toBeUndefined();
    expect(file.load()).toBeUndefined();
  });

  it('writes plain JSON, so the file format stays what the emulators wrote before', () => {
    const dataDir = tempDir();
    new JsonStateFile<State>(dataDir, 'state.json', 1).save({ version: 1, items: ['x'] });
    expect(readFileSync(join(dataDir, 'state.json'), 'utf8')).toBe('{"version":1,"items":["x"]}');
  });
});
