/**
 * The soak (`make soak`): the multi-process stack of `make run` on free ports under the fault
 * suite's journey load (sign-ups, logins, ratings, Stripe-emulator checkouts, playback with
 * heartbeats) for FLIX_SOAK_MINUTES (default 10), with no faults. Reports:
 *   - RSS (VmRSS from /proc/<pid>/status) of the stack process and each child at the start
 *     (after WARMUP_S of load, once start-up allocations are done) and at the end;
 *   - p50 / p99 latency of the load's requests, and their count and errors, per minute.
 * Fails (exit 1) when a process's RSS at the end exceeds start × RSS_FACTOR + RSS_SLACK_MB —
 * memory growing without bound under steady load — or when the load got no 2xx at all.
 *
 *   make soak                        10 minutes, 4 virtual users
 *   FLIX_SOAK_MINUTES=3 make soak    a trial
 *   FLIX_SOAK_VUS, FLIX_SOAK_RSS_FACTOR (1.5), FLIX_SOAK_RSS_SLACK_MB (64) override
 */
import { Recorder, type Attempt } from '../test/faults/lib/client.js';
import { startJourney, type Movie } from '../test/faults/lib/journey.js';
import { removeWork, startFaultStack } from '../test/faults/lib/stack.js';

const MINUTES = Number(process.env.FLIX_SOAK_MINUTES || 10);
const VUS = Number(process.env.FLIX_SOAK_VUS || 4);
const RSS_FACTOR = Number(process.env.FLIX_SOAK_RSS_FACTOR || 1.5);
const RSS_SLACK_MB = Number(process.env.FLIX_SOAK_RSS_SLACK_MB || 64);
const WARMUP_S = 30;
for (const [name, v] of Object.entries({ FLIX_SOAK_MINUTES: MINUTES, FLIX_SOAK_VUS: VUS, FLIX_SOAK_RSS_FACTOR: RSS_FACTOR, FLIX_SOAK_RSS_SLACK_MB: RSS_SLACK_MB })) {
  if (!(v > 0)) throw new Error(`${name} must be a positive number`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (sorted: number[], q: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
const mb = (kb: number) => (kb / 1024).toFixed(0);

function perMinute(attempts: Attempt[], from: number, minutes: number): string[] {
  const rows = ['| minute | requests | errors (no 2xx/3xx) | p50 ms | p99 ms |', '| ---: | ---: | ---: | ---: | ---: |'];
  for (let m = 0; m < minutes; m++) {
    const these = attempts.filter((a) => a.at >= from + m * 60_000 && a.at < from + (m + 1) * 60_000);
    const ms = these.map((a) => a.ms).sort((a, b) => a - b);
    const errors = these.filter((a) => a.status === undefined || a.status >= 400).length;
    rows.push(`| ${m + 1} | ${these.length} | ${errors} | ${quantile(ms, 0.5).toFixed(0)} | ${quantile(ms, 0.99).toFixed(0)} |`);
  }
  return rows;
}

const stack = await startFaultStack();
let failed = false;
try {
  const page = (await (await fetch(`${stack.gatewayUrl}/v1/movies?pageSize=100`)).json()) as { movies: (Movie & { requiredPlan: string })[] };
  const movies = page.movies.filter((m) => m.requiredPlan === 'PLAN_TIER_BASIC' || m.requiredPlan === 'PLAN_TIER_STANDARD');
  const recorder = new Recorder();
  console.log(`soak: ${MINUTES} min, ${VUS} virtual users against ${stack.gatewayUrl} (log ${stack.logPath})`);
  const journey = startJourney({ gatewayUrl: stack.gatewayUrl, stripeUrl: stack.stripeUrl, movies, virtualUsers: VUS, heartbeats: 10, thinkMs: 300, recorder, secret: () => {} });
  await sleep(WARMUP_S * 1000);
  const startRss = stack.rss();
  const from = Date.now();
  for (let m = 1; m <= MINUTES; m++) {
    await sleep(60_000);
    const rows = perMinute(recorder.attempts, from, m);
    console.log(`minute ${m}: ${rows.at(-1)}  total RSS ${mb(Object.values(stack.rss()).reduce((a, b) => a + b, 0))} MB`);
  }
  await journey.stop();
  const endRss = stack.rss();

  console.log(`\nlatency per minute (every attempt of the load, retries included):`);
  for (const row of perMinute(recorder.attempts, from, MINUTES)) console.log(row);
  console.log(`\nRSS per process: start (after ${WARMUP_S} s of load) and end; bound: end ≤ start × ${RSS_FACTOR} + ${RSS_SLACK_MB} MB`);
  console.log('| process | start MB | end MB | growth MB | within bound |');
  console.log('| --- | ---: | ---: | ---: | --- |');
  const over: string[] = [];
  for (const [name, start] of Object.entries(startRss)) {
    const end = endRss[name];
    if (end === undefined) {
      over.push(`${name} (gone at the end)`);
      console.log(`| ${name} | ${mb(start)} | — | — | no: not running |`);
      continue;
    }
    const ok = end <= start * RSS_FACTOR + RSS_SLACK_MB * 1024;
    if (!ok) over.push(name);
    console.log(`| ${name} | ${mb(start)} | ${mb(end)} | ${mb(end - start)} | ${ok ? 'yes' : 'NO'} |`);
  }
  const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  console.log(`| total | ${mb(total(startRss))} | ${mb(total(endRss))} | ${mb(total(endRss) - total(startRss))} | |`);
  const acked = recorder.attempts.filter((a) => a.vu >= 0 && a.status !== undefined && a.status < 300).length;
  const accounts = journey.accounts;
  console.log(`\n${recorder.attempts.length} requests, ${acked} answered 2xx; ${accounts.filter((a) => a.registered).length} sign-ups, ${accounts.filter((a) => a.activeSeen).length} subscriptions, ${accounts.reduce((n, a) => n + a.sessions.length, 0)} plays`);
  if (over.length > 0) {
    failed = true;
    console.error(`soak: RSS grew beyond the bound: ${over.join(', ')}`);
  }
  if (acked === 0) {
    failed = true;
    console.error('soak: the load got no 2xx answer at all');
  }
} finally {
  await stack.stop();
  if (!process.env.FLIX_SOAK_KEEP) removeWork(stack);
}
process.exit(failed ? 1 : 0);
