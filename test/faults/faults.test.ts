/**
 * Fault injection (issue 13): the multi-process stack of `make run` on free ports, a scripted
 * journey load (sign-ups, logins, ratings, checkouts paid on the Stripe emulator so its webhooks
 * flow, playback with heartbeats), and while it runs each target below is SIGKILLed in turn and
 * left to the supervisor. Then: every acknowledged request is reflected in state, analytics
 * counted every event exactly once, no stream slot leaked, the stack was healthy again within
 * HEALTHY_BOUND_S of each kill, and no log line holds a secret.
 *
 *   short (make test):          billing, MongoDB and nats-server once each, 3 virtual users
 *   FLIX_FAULTS=long (make test-faults): every child of the stack, 6 virtual users, 2 rounds
 *                                (FLIX_FAULTS_ROUNDS, FLIX_FAULTS_VUS override)
 * FLIX_FAULTS_KEEP=1 keeps the data dir and the log (their path is printed) for evidence.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Recorder } from './lib/client.js';
import { killAndRecover, type KillResult } from './lib/faults.js';
import { startJourney, type Journey, type Movie } from './lib/journey.js';
import { buildReport, formatReport, type FaultReport } from './lib/report.js';
import { findSecrets, type SecretHit } from './lib/secrets.js';
import { removeWork, SERVICES, startFaultStack, type ChildName, type FaultStack } from './lib/stack.js';
import { verify, type Verification } from './lib/verify.js';

const LONG = process.env.FLIX_FAULTS === 'long';
/** The stack must answer /healthz 200 with the killed process running again within this. */
const HEALTHY_BOUND_S = 60;
const VUS = Number(process.env.FLIX_FAULTS_VUS || (LONG ? 6 : 3));
const ROUNDS = LONG ? Number(process.env.FLIX_FAULTS_ROUNDS || 2) : 1;
const TARGETS: ChildName[] = LONG ? [...SERVICES, 'mongo', 'nats', 'stripe', 'mux', 'video', 'web'] : ['billing', 'mongo', 'nats'];
/** Load between kills once healthy again, so every kill lands on a system under load. */
const BETWEEN_MS = LONG ? 8_000 : 3_000;
/** The standard plan the journey subscribes to. */
const MAX_STREAMS = 2;

let stack: FaultStack;
let journey: Journey;
const recorder = new Recorder();
const secrets: { what: string; value: string }[] = [];
const kills: KillResult[] = [];
let verification: Verification;
let report: FaultReport;
let secretHits: SecretHit[];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  stack = await startFaultStack();
  const page = (await (await fetch(`${stack.gatewayUrl}/v1/movies?pageSize=100`)).json()) as { movies: (Movie & { requiredPlan: string })[] };
  // Titles the standard plan plays.
  const movies = page.movies.filter((m) => m.requiredPlan === 'PLAN_TIER_BASIC' || m.requiredPlan === 'PLAN_TIER_STANDARD');
  journey = startJourney({ gatewayUrl: stack.gatewayUrl, stripeUrl: stack.stripeUrl, movies, virtualUsers: VUS, heartbeats: LONG ? 6 : 4, thinkMs: LONG ? 200 : 300, recorder, secret: (what, value) => secrets.push({ what, value }) });
  try {
    await sleep(5_000);
    for (let round = 0; round < ROUNDS; round++) {
      for (const target of TARGETS) {
        kills.push(await killAndRecover(stack, target, HEALTHY_BOUND_S * 1000));
        await sleep(BETWEEN_MS);
      }
    }
  } finally {
    await journey.stop();
  }
  verification = await verify({ gatewayUrl: stack.gatewayUrl, mongoUrl: stack.mongoUrl, accounts: journey.accounts, recorder, maxConcurrentStreams: MAX_STREAMS });
  report = buildReport({ variant: LONG ? `long, ${ROUNDS} rounds` : 'short', virtualUsers: VUS, attempts: recorder.attempts, kills, gaveUp: journey.gaveUp, verification });
  console.log(formatReport(report));
  writeFileSync(join(resolve(stack.dataDir, '..'), 'report.json'), JSON.stringify({ report, lost: verification.lost }, null, 2));
  // Logs are complete once the stack has stopped (its children's last lines included).
  await stack.stop();
  secretHits = findSecrets(stack.logPath, [...stack.secrets(), ...secrets]);
}, 1_200_000);

afterAll(async () => {
  await stack?.stop();
  if (!stack) return;
  if (process.env.FLIX_FAULTS_KEEP) console.log(`kept: ${resolve(stack.dataDir, '..')} (stack.log, report.json, data)`);
  else removeWork(stack);
});

describe(`the stack under SIGKILL (${LONG ? 'long' : 'short'} variant)`, () => {
  it('the journey load ran through the faults (sign-ups, payments, plays and ratings acknowledged)', () => {
    const acked = verification.checked;
    expect(acked.user, formatReport(report)).toBeGreaterThan(0);
    expect(acked.subscription).toBeGreaterThan(0);
    expect(acked.position).toBeGreaterThan(0);
    expect(acked.rating).toBeGreaterThan(0);
    expect(kills.map((k) => k.name)).toEqual(Array.from({ length: ROUNDS }, () => TARGETS).flat());
  });

  it(`each killed process is running again, and /healthz of the gateway and of every service answers 200, within ${HEALTHY_BOUND_S} s`, () => {
    const late = kills.filter((k) => k.healthyMs === undefined).map((k) => `${k.name} (running again: ${k.restartedMs === undefined ? 'no' : `${k.restartedMs} ms`}; not ready: ${k.notReady?.join(', ') || 'none'})`);
    expect(late, formatReport(report)).toEqual([]);
  });

  it('nothing acknowledged is lost: users, subscriptions, ratings, playback positions', () => {
    expect(verification.lost.filter((l) => l.kind !== 'stream-slot')).toEqual([]);
  });

  it('no concurrent-stream slot leaked', () => {
    expect(verification.lost.filter((l) => l.kind === 'stream-slot')).toEqual([]);
  });

  it('analytics counted every event exactly once (registrations, plays, payments equal the owning stores)', () => {
    for (const c of verification.counts) expect(c.analytics, `${c.what}: analytics ${c.analytics}, truth ${c.truth}`).toBe(c.truth);
  });

  it('a mutation retried with its Idempotency-Key after an ambiguous failure is not answered as a conflict', () => {
    expect(recorder.conflictsAfterRetry).toEqual([]);
  });

  it('no answer is a 500 and no request hung past the client timeout', () => {
    const bad = recorder.attempts.filter((a) => a.status === 500 || a.error === 'timeout').map((a) => `${a.op} ${a.method} ${a.path} at ${new Date(a.at).toISOString()}: ${a.status ?? a.error} ${a.errorBody ?? ''}`);
    expect(bad).toEqual([]);
  });

  it('a refusal during an outage (503/429) says when to retry (Retry-After or RetryInfo)', () => {
    const bare = recorder.attempts.filter((a) => (a.status === 503 || a.status === 429) && !a.retryHint).map((a) => `${a.op} ${a.method} ${a.path} at ${new Date(a.at).toISOString()}: ${a.status} ${a.errorBody ?? ''}`);
    expect(bare).toEqual([]);
  });

  it('no log line of any process holds a password, token or secret', () => {
    expect(secretHits.map((h) => `${stack.logPath}:${h.line}: ${h.what}: ${h.text}`)).toEqual([]);
  });
});
