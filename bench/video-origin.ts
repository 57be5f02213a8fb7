/**
 * Video origin benchmarks, one run:
 *  1. Cold generation of the HLS test stream (ffmpeg, into a fresh cache dir): wall time.
 *  2. Requests against the origin CLI (its own process) from this one, keep-alive, closed loop:
 *     health (no token work) vs. master playlist and 4 s segments with a token checked on every
 *     request (RS256 verify; the signing key is cached after the first fetch from the emulator),
 *     and refusals (another title's token). The ratio to health is the cost of the check.
 * Usage: npx tsx bench/video-origin.ts [--seconds 5] [--concurrency 16]
 */
import Mux from '@mux/mux-node';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startMuxEmulator } from '@flix/mux-emulator';
import { ensureTestStream } from '@flix/video-origin';
import { closedLoop, printTable, type LoadResult } from './lib/stats.js';
import { arg } from './lib/args.js';

const seconds = arg('seconds', 5);
const concurrency = arg('concurrency', 16);

// 1. Cold generation.
const cold = mkdtempSync(join(tmpdir(), 'video-origin-bench-'));
const t0 = performance.now();
const stream = await ensureTestStream(cold);
const coldMs = Math.round(performance.now() - t0);
rmSync(cold, { recursive: true, force: true });

// 2. Load.
const emulator = await startMuxEmulator({ webhookSecret: 'bench' });
const mux = new Mux({ tokenId: 'x', tokenSecret: 'y', baseURL: emulator.url });
const key = await mux.system.signingKeys.create();
const token = await mux.jwt.signPlaybackId('benchPlaybackId', { keyId: key.id, keySecret: key.private_key!, expiration: '1h' });
const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../dev/video-origin/src/cli.ts'), '--port', '0', '--mux-emulator-url', emulator.url], {
  stdio: ['ignore', 'pipe', 'ignore'],
});
const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
const { url } = JSON.parse(line) as { url: string };
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

const get = (path: string, expect: number) => () =>
  new Promise<boolean>((resolve) => {
    const req = request(`${url}${path}`, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === expect));
    });
    req.on('error', () => resolve(false));
    req.end();
  });

const results: LoadResult[] = [];
try {
  const run = async (name: string, path: string, status: number) => {
    await closedLoop(`${name} (warm-up)`, { concurrency, seconds: 0.5 }, get(path, status));
    results.push(await closedLoop(name, { concurrency, seconds }, get(path, status)));
  };
  await run('GET /_origin/health (no token)', '/_origin/health', 200);
  await run('GET /{id}.m3u8 (token checked, playlist rewritten)', `/benchPlaybackId.m3u8?token=${token}`, 200);
  await run('GET /{id}/360p/seg001.ts (token checked, ~500 KB)', `/benchPlaybackId/360p/seg001.ts?token=${token}`, 200);
  await run('GET other title .m3u8 → 403', `/otherPlaybackId.m3u8?token=${token}`, 403);
} finally {
  child.kill('SIGTERM');
  await once(child, 'exit');
  agent.destroy();
  await emulator.close();
}

console.log(`cold generation of the test stream: ${coldMs} ms (ffmpeg ${stream.generationMs} ms; ${stream.durationSeconds} s, ${stream.renditions.map((r) => `${r.name} ${Math.round(r.bandwidth / 1000)} kb/s peak`).join(', ')})\n`);
printTable(results);
const health = results[0].rps;
console.log(`\nthroughput relative to health: ${results.slice(1).map((r) => `${r.name.split(' (')[0]} ${(r.rps / health).toFixed(2)}`).join(' · ')}`);
