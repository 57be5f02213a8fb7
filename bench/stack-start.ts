/**
 * `make run` from start to healthy, compiled (build/dist, the default) against the TypeScript
 * sources through tsx (FLIX_STACK_RUNTIME=tsx, how `make run` started before):
 *   cold  a fresh data directory: empty database, admin account created, test stream encoded
 *   warm  a restart on the data directory the cold start left
 * Each run launches exactly what `make run` launches — `node scripts/build-dist.mjs --if-stale`
 * then `node build/dist/stack.mjs` (dist), or `node --import tsx dev/stack/src/main.ts` (tsx) —
 * and times it until the stack prints its "Flix is up" banner (it prints that once the gateway's
 * /healthz, which asks every service, answers 200), then checks every service's /healthz and the
 * gateway itself, and stops it with SIGINT as Ctrl-C would.
 *
 * On a shared machine the wall time swings with everyone else's load, so each start also reports
 * the CPU time the stack and all its processes had used when it was up (Linux /proc; nats-server
 * included, the build step's staleness check not): the work a start costs, whatever the load.
 *
 *   npx tsx bench/stack-start.ts [--runs 3] [--runtimes tsx,dist]   (make bench-start)
 *
 * Uses `make run`'s ports (nothing else may be running on them) and throwaway data directories.
 * Prints the medians (and min–max) per runtime and kind; targets are reported, never asserted.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LOCAL_SERVICES } from '../dev/stack/src/services.js';
import { arg, stringArg } from './lib/args.js';

const root = resolve(import.meta.dirname, '..');
const RUNS = arg('runs', 3);
const RUNTIMES = stringArg('runtimes', 'tsx,dist').split(',') as Runtime[];
const GATEWAY_PORT = Number(process.env.FLIX_GATEWAY_PORT || 8080);
const START_TIMEOUT_MS = 240_000;
const WARM_TARGET_S = 15;

type Runtime = 'tsx' | 'dist';
type Kind = 'cold' | 'warm';
interface Sample {
  runtime: Runtime;
  kind: Kind;
  seconds: number;
  cpuSeconds: number;
  stopSeconds: number;
}

const TICKS_PER_SECOND = existsSync('/proc/self/stat') ? Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100 : 100;

/** CPU seconds (user + system) used so far by `pid` and every process below it; NaN without /proc. */
function treeCpuSeconds(pid: number): number {
  if (!existsSync('/proc/self/stat')) return Number.NaN;
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the parenthesised command: state ppid ... utime(14) stime(15), 1-based.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(fields[1]));
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    } catch {
      // The process ended while we looked.
    }
  }
  const inTree = (p: number): boolean => {
    for (let at: number | undefined = p; at !== undefined && at > 1; at = parent.get(at)) if (at === pid) return true;
    return false;
  };
  let total = 0;
  for (const [p, t] of ticks) if (inTree(p)) total += t;
  return total / TICKS_PER_SECOND;
}

for (const runtime of RUNTIMES) if (runtime !== 'tsx' && runtime !== 'dist') throw new Error(`--runtimes takes tsx and/or dist, got ${runtime}`);

/** The command `make run` runs for a runtime (after its setup step). */
function command(runtime: Runtime): string[] {
  return runtime === 'dist' ? ['--enable-source-maps', join(root, 'build/dist/stack.mjs')] : ['--import', 'tsx', join(root, 'dev/stack/src/main.ts')];
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(5_000) })).status === 200;
  } catch {
    return false;
  }
}

/** One `make run` on `dataDir`: seconds to the banner (every /healthz checked), its CPU, then seconds to stop. */
async function startOnce(runtime: Runtime, dataDir: string): Promise<{ seconds: number; cpuSeconds: number; stopSeconds: number }> {
  const started = performance.now();
  // make run's build step: a staleness check (milliseconds) when nothing changed.
  if (runtime === 'dist') execFileSync(process.execPath, [join(root, 'scripts/build-dist.mjs'), '--if-stale'], { cwd: root, stdio: 'inherit' });
  // Its own process group, so a failure here can still stop every child it started.
  const child = spawn(process.execPath, command(runtime), {
    cwd: root,
    env: { ...process.env, FLIX_DATA_DIR: dataDir, FLIX_STACK_RUNTIME: runtime },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const tail: string[] = [];
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  try {
    let cpuSeconds = Number.NaN;
    const seconds = await new Promise<number>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`not up after ${START_TIMEOUT_MS / 1000}s`)), START_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        const text = chunk.toString();
        tail.push(text);
        if (tail.length > 40) tail.shift();
        if (text.includes('Flix is up')) {
          clearTimeout(timer);
          const at = (performance.now() - started) / 1000;
          cpuSeconds = treeCpuSeconds(child.pid!);
          ready(at);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      void exited.then((code) => fail(new Error(`the stack exited with ${code} before it was up`)));
    });
    const checks = [`http://127.0.0.1:${GATEWAY_PORT}/healthz`, ...LOCAL_SERVICES.map((s) => `http://127.0.0.1:${s.httpPort}/healthz`)];
    const down = (await Promise.all(checks.map(async (url) => ((await healthy(url)) ? null : url)))).filter((url) => url !== null);
    if (down.length > 0) throw new Error(`up, but not healthy: ${down.join(', ')}`);
    const stopping = performance.now();
    child.kill('SIGINT');
    const code = await exited;
    if (code !== 0) throw new Error(`the stack exited with ${code} on SIGINT`);
    return { seconds, cpuSeconds, stopSeconds: (performance.now() - stopping) / 1000 };
  } catch (err) {
    process.stderr.write(tail.join(''));
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGINT');
      const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 20_000);
      await exited;
      clearTimeout(killer);
    }
    throw err;
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fmt = (n: number) => n.toFixed(2);

// Not timed: a build/dist up to date, as after the first `make run` following a change (the
// build's own duration is printed).
if (RUNTIMES.includes('dist')) {
  const t0 = performance.now();
  execFileSync(process.execPath, [join(root, 'scripts/build-dist.mjs')], { cwd: root, stdio: 'inherit' });
  console.log(`full build of build/dist (what the first make run after a change adds): ${fmt((performance.now() - t0) / 1000)} s`);
}

const samples: Sample[] = [];
console.log(`load average before: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
for (let run = 1; run <= RUNS; run++) {
  // Runtimes alternate within each round, so drift in the machine's load hits both alike.
  for (const runtime of RUNTIMES) {
    const dataDir = mkdtempSync(join(tmpdir(), 'flix-start-'));
    try {
      for (const kind of ['cold', 'warm'] as const) {
        const { seconds, cpuSeconds, stopSeconds } = await startOnce(runtime, dataDir);
        samples.push({ runtime, kind, seconds, cpuSeconds, stopSeconds });
        console.log(`run ${run} ${runtime.padEnd(4)} ${kind}: up in ${fmt(seconds)} s (${fmt(cpuSeconds)} CPU s), stopped in ${fmt(stopSeconds)} s (load ${fmt(loadavg()[0]!)})`);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}
console.log(`load average after: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);

console.log(`\n| runtime | kind | runs | median s to healthy | min–max s | median CPU s | median stop s |`);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
for (const runtime of RUNTIMES) {
  for (const kind of ['cold', 'warm'] as const) {
    const these = samples.filter((s) => s.runtime === runtime && s.kind === kind);
    const secs = these.map((s) => s.seconds);
    const cpu = median(these.map((s) => s.cpuSeconds));
    console.log(`| ${runtime} | ${kind} | ${these.length} | ${fmt(median(secs))} | ${fmt(Math.min(...secs))}–${fmt(Math.max(...secs))} | ${fmt(cpu)} | ${fmt(median(these.map((s) => s.stopSeconds)))} |`);
  }
}
const warm = samples.filter((s) => s.runtime === 'dist' && s.kind === 'warm').map((s) => s.seconds);
if (warm.length > 0) console.log(`\nwarm start (dist) median ${fmt(median(warm))} s; target under ${WARM_TARGET_S} s: ${median(warm) < WARM_TARGET_S ? 'met' : 'NOT met'}`);
