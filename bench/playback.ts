/**
 * Playback benchmarks, one run, on the system in its deployment shape (every service, MongoDB,
 * NATS, the Stripe emulator and the gateway as separate processes on free ports):
 *  1. StartSession through the gateway (JSON → gRPC; playback asks identity for the profile,
 *     catalog for the title and billing for the entitlement, then claims a stream slot in a
 *     transaction) vs. the same call made directly over gRPC, for the gateway's share. Every
 *     start is a fresh session on a new device of a Premium account (stream limit raised to 10).
 *  2. Heartbeats one playback instance absorbs, blasted over gRPC from several connections at
 *     the live sessions of step 1, with each process's CPU use in the window and the JetStream
 *     journal appends they cost (PLAYBACK_PROGRESS, written before each heartbeat is answered).
 *  3. The same blast at a playback instance inside this process, whose store counts its database
 *     writes (coalesced flushes), and then heartbeats at the real client cadence (one per session
 *     every heartbeat interval), which is what decides how much the coalescing saves.
 * Setup (not measured): identity runs with a cheap argon2 cost so registering users is quick.
 * Usage: npx tsx bench/playback.ts [--users 64] [--concurrency 12] [--seconds 15]
 *          [--connections 4] [--inflight 256] [--paced-seconds 60] [--profile DIR]
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { connect as connectHttp2, type ClientHttp2Session } from 'node:http2';
import { randomBytes } from 'node:crypto';
import { Client, Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import { connectNats } from '@flix/events';
import { createAccessTokenVerifier } from '@flix/auth';
import { createClient } from '@flix/grpc';
import { freePort } from '@flix/testkit';
import { PlaybackServiceService, type HeartbeatRequest } from '@flix/proto/flix/playback/v1/playback_service';
import { PlayerState } from '@flix/proto/flix/playback/v1/resources';
import { generateCatalog } from '../services/catalog/src/demo/generator.js';
import { readPlaybackConfig } from '../services/playback/src/config.js';
import { startPlayback } from '../services/playback/src/main.js';
import { PROGRESS_STREAM } from '../services/playback/src/storage/progress-journal.js';
import { closedLoop, printTable, summarise, type LoadResult } from './lib/stats.js';
import { startProcessSystem, type ProcessSystem } from './lib/processes.js';
import { arg } from './lib/args.js';
import { httpJson } from './lib/http.js';

const USERS = arg('users', 64);
const CONCURRENCY = arg('concurrency', 12);
const SECONDS = arg('seconds', 15);
const CONNECTIONS = arg('connections', 4);
const INFLIGHT = arg('inflight', 256);
const PACED_SECONDS = arg('paced-seconds', 60);
/** --profile DIR: the playback process writes a V8 CPU profile there when it stops. */
const PROFILE_DIR = process.argv.includes('--profile') ? process.argv[process.argv.indexOf('--profile') + 1] : undefined;
/** Streams per Premium account for the run (billing allows at most 10 per plan). */
const STREAMS = 10;
const PLAN = 'premium-monthly';

const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0)}s`;
const note = (msg: string) => console.error(`[${elapsed()}] ${msg}`);

// ------------------------------------------------------------------ HTTP through the gateway

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
async function http(url: string, method: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const { status, text } = await httpJson(agent, url, method, body, token);
  try {
    return { status, body: text ? JSON.parse(text) : undefined };
  } catch {
    return { status, body: text }; // not JSON
  }
}

async function must(what: string, p: Promise<{ status: number; body: any }>): Promise<any> {
  const r = await p;
  if (r.status !== 200) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body;
}

/** Setup calls (not measured) are retried on 5xx: this shared machine sometimes stalls a process for seconds. */
async function setup(what: string, call: () => Promise<{ status: number; body: any }>): Promise<any> {
  for (let attempt = 1; ; attempt++) {
    const r = await call();
    if (r.status < 500 || attempt === 3) return must(what, Promise.resolve(r));
    note(`${what}: ${r.status}, retrying`);
  }
}

async function pool<T>(items: T[], width: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i]!, i);
  }));
}

// ------------------------------------------------------------------ raw gRPC, one connection per client

/** grpc-js shares one connection between clients with equal options unless each has its own subchannel pool. */
const channel = (address: string) => new Client(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });

function unary<Req, Res>(client: Client, method: { path: string; requestSerialize: (r: Req) => Buffer; responseDeserialize: (b: Buffer) => Res }, req: Req, token: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    const md = new Metadata();
    md.set('authorization', `Bearer ${token}`);
    client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, req, md, { deadline: Date.now() + 10_000 }, (err: ServiceError | null, res?: Res) =>
      err ? reject(err) : resolve(res!),
    );
  });
}

/**
 * A minimal unary gRPC caller on a bare HTTP/2 session (length-prefixed protobuf, status in the
 * trailers). The blast uses it because grpc-js's client costs about as much CPU per call as the
 * service does, and the load generator shares this machine's two cores with it.
 */
class LeanGrpc {
  private readonly session: ClientHttp2Session;

  constructor(address: string) {
    this.session = connectHttp2(`http://${address}`);
    this.session.on('error', () => {});
  }

  call(path: string, body: Buffer, token: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const frame = Buffer.allocUnsafe(5 + body.length);
      frame.writeUInt8(0, 0);
      frame.writeUInt32BE(body.length, 1);
      body.copy(frame, 5);
      const stream = this.session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', authorization: `Bearer ${token}` });
      let status: string | undefined;
      let message = '';
      const settle = (headers: Record<string, unknown>) => {
        if (headers['grpc-status'] !== undefined) {
          status = String(headers['grpc-status']);
          message = decodeURIComponent(String(headers['grpc-message'] ?? ''));
        }
      };
      stream.on('response', settle); // trailers-only replies carry the status here
      stream.on('trailers', settle);
      stream.on('data', () => {});
      stream.on('error', reject);
      stream.on('close', () => (status === '0' ? resolve() : reject(new Error(`grpc-status ${status ?? 'none'}: ${message}`))));
      stream.end(frame);
    });
  }

  close(): void {
    this.session.close();
  }
}

// ------------------------------------------------------------------ CPU per process

const TICKS = 100; // USER_HZ on Linux
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS; // utime, stime
  } catch {
    return NaN;
  }
}
/** Cores each process used since the meter started (CPU seconds / wall seconds), and the wall time. */
function cpuMeter(pids: Record<string, number>) {
  const all = { ...pids, bench: process.pid };
  const before = Object.fromEntries(Object.entries(all).map(([n, p]) => [n, cpuSeconds(p)]));
  const start = performance.now();
  return () => {
    const wall = (performance.now() - start) / 1000;
    const cores = Object.fromEntries(Object.entries(all).map(([n, p]) => [n, (cpuSeconds(p) - before[n]!) / wall]));
    return { wall, cores };
  };
}
const formatCores = (cores: Record<string, number>) =>
  Object.entries(cores)
    .filter(([, c]) => c >= 0.02)
    .sort((a, b) => b[1] - a[1])
    .map(([n, c]) => `${n} ${c.toFixed(2)}`)
    .join(', ');
/** CPU milliseconds one process spent per operation, and what one whole core would then sustain. */
const perOp = (cores: number, wall: number, ops: number) => {
  const ms = (cores * wall * 1000) / Math.max(1, ops);
  return `${ms.toFixed(2)} ms CPU each (≈ ${Math.round(1000 / ms)}/s per core)`;
};

// ------------------------------------------------------------------ the run

interface Viewer {
  token: string;
  profileId: string;
}
interface LiveSession {
  id: string;
  token: string;
  heartbeats: number;
}

let sys: ProcessSystem | undefined;
let inproc: Awaited<ReturnType<typeof startPlayback>> | undefined;
const results: LoadResult[] = [];
const findings: string[] = [];
try {
  note('starting the system (separate processes)…');
  sys = await startProcessSystem({
    identityEnv: { FLIX_ARGON2_MEMORY_KIB: '1024', FLIX_ARGON2_TIME_COST: '1' },
    ...(PROFILE_DIR ? { nodeArgs: { playback: ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] } } : {}),
  });
  const gw = sys.gatewayUrl;
  note(`system up at ${gw}`);

  // Titles every Premium account may play (the demo catalog is deterministic; rental-only titles excluded).
  const titles = generateCatalog(320).filter((m) => m.requiredPlan !== null).map((m) => m.id);

  const admin = await must('admin login', http(`${gw}/v1/auth/login`, 'POST', sys.admin));
  await must('raise the Premium stream limit', http(`${gw}/v1/admin/plans/${PLAN}`, 'PATCH', { maxConcurrentStreams: STREAMS }, admin.accessToken));

  note(`registering ${USERS} Premium viewers…`);
  const run = randomBytes(3).toString('hex');
  const viewers: Viewer[] = [];
  await pool(Array.from({ length: USERS }, (_, i) => i), 8, async (i) => {
    const reg = await setup('register', () => http(`${gw}/v1/auth/register`, 'POST', { email: `pb-${run}-${i}@example.com`, password: 'bench-viewer-passphrase', displayName: `Viewer ${i}` }));
    const token = reg.accessToken as string;
    let profiles = (await must('profiles', http(`${gw}/v1/users/me/profiles`, 'GET', undefined, token))).profiles ?? [];
    if (profiles.length === 0) profiles = [await must('create profile', http(`${gw}/v1/users/me/profiles`, 'POST', { name: 'Main' }, token))];
    const checkout = await setup('checkout', () => http(`${gw}/v1/checkout/sessions`, 'POST', { planId: PLAN, successUrl: `${gw}/ok`, cancelUrl: `${gw}/no` }, token));
    await setup('pay', () => http(`${sys!.stripe.url}/_emulator/checkout/${checkout.sessionId}/pay`, 'POST', {}, sys!.stripe.secretKey));
    viewers[i] = { token, profileId: profiles[0].id as string };
  });
  const deadline = Date.now() + 90_000;
  await pool(viewers, 8, async (v) => {
    for (;;) {
      const sub = await http(`${gw}/v1/subscription`, 'GET', undefined, v.token);
      if (sub.body?.status === 'SUBSCRIPTION_STATUS_ACTIVE' && sub.body.maxConcurrentStreams === STREAMS) return;
      if (Date.now() > deadline) throw new Error(`subscription never active: ${JSON.stringify(sub.body).slice(0, 300)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  note('every viewer has an active Premium subscription');

  // ---- 1. StartSession: gateway vs direct gRPC. Devices 0-4 through the gateway, 5-9 directly.
  const live: LiveSession[] = [];
  const startPairs = (devices: number[]) => devices.flatMap((d) => viewers.map((v, u) => ({ v, u, d })));
  const movieFor = (u: number, d: number) => titles[(u * STREAMS + d) % titles.length]!;
  async function measureStarts(name: string, devices: number[], start: (v: Viewer, movieId: string, deviceId: string) => Promise<string>): Promise<LoadResult> {
    const pairs = startPairs(devices);
    const lat: number[] = [];
    let errors = 0;
    let firstError = '';
    const began = performance.now();
    await pool(pairs, CONCURRENCY, async ({ v, u, d }) => {
      const s = performance.now();
      try {
        const id = await start(v, movieFor(u, d), `device-${d}`);
        lat.push(performance.now() - s);
        live.push({ id, token: v.token, heartbeats: 0 });
      } catch (e) {
        errors++;
        firstError ||= (e as Error).message;
      }
    });
    if (firstError) findings.push(`${name}: ${errors} failed, first: ${firstError.slice(0, 200)}`);
    return summarise(name, lat, errors, (performance.now() - began) / 1000);
  }
  const viaGateway = async (v: Viewer, movieId: string, deviceId: string) =>
    (await must('start', http(`${gw}/v1/playback/sessions`, 'POST', { movieId, profileId: v.profileId, deviceId }, v.token))).sessionId as string;
  const direct = createClient(PlaybackServiceService, sys.services.playback.grpc, { deadlineMs: 10_000 });
  const viaGrpc = async (v: Viewer, movieId: string, deviceId: string) =>
    (await direct.startSession({ movieId, profileId: v.profileId, deviceId }, { metadata: { authorization: `Bearer ${v.token}` } })).sessionId;
  // Warm-up (JIT, connection pools, caches): a start and a stop on a spare device for a few viewers, both paths.
  for (const [i, v] of viewers.slice(0, 8).entries()) {
    const id = await (i % 2 ? viaGrpc : viaGateway)(v, titles[i]!, 'warm-up');
    await must('stop', http(`${gw}/v1/playback/sessions/${id}:stop`, 'POST', { positionSeconds: 1 }, v.token));
  }
  note('measuring StartSession…');
  const cpuStarts = cpuMeter(sys.pids());
  const gwStarts = await measureStarts(`StartSession via gateway (${CONCURRENCY} in flight)`, [0, 1, 2, 3, 4], viaGateway);
  const gwCpu = cpuStarts();
  const cpuDirect = cpuMeter(sys.pids());
  const grpcStarts = await measureStarts(`StartSession direct gRPC (${CONCURRENCY} in flight)`, [5, 6, 7, 8, 9], viaGrpc);
  const grpcCpu = cpuDirect();
  results.push(gwStarts, grpcStarts);
  direct.close();
  findings.push(
    `CPU cores while starting via the gateway: ${formatCores(gwCpu.cores)}; playback ${perOp(gwCpu.cores.playback!, gwCpu.wall, gwStarts.requests)}, gateway ${perOp(gwCpu.cores.gateway!, gwCpu.wall, gwStarts.requests)}`,
    `CPU cores while starting directly: ${formatCores(grpcCpu.cores)}; playback ${perOp(grpcCpu.cores.playback!, grpcCpu.wall, grpcStarts.requests)}`,
  );

  // ---- 2. Heartbeat blast at the separate playback process.
  const nats = await connectNats(sys.natsUrl, 'bench-playback');
  const jsm = nats.jsm;
  const journalSeq = async () => (await jsm.streams.info(PROGRESS_STREAM)).state.last_seq;
  async function blast(name: string, address: string, sessions: LiveSession[], seconds: number, inflight = INFLIGHT): Promise<LoadResult> {
    const clients = Array.from({ length: CONNECTIONS }, () => new LeanGrpc(address));
    const hb = PlaybackServiceService.heartbeat;
    let next = 0;
    const send = (c: LeanGrpc) => {
      const s = sessions[next++ % sessions.length]!;
      s.heartbeats++;
      const req: HeartbeatRequest = { sessionId: s.id, positionSeconds: 30 + (s.heartbeats % 1000), state: PlayerState.PLAYER_STATE_PLAYING, bitrateKbps: 4800, rebufferMs: 0 };
      return c.call(hb.path, hb.requestSerialize(req), s.token);
    };
    // Warm-up: every session once (also re-checks entitlements that went stale during setup).
    await pool(sessions, 64, async (_s, i) => void (await send(clients[i % clients.length]!)));
    const lat: number[] = [];
    let errors = 0;
    let firstError = '';
    const began = performance.now();
    const endAt = began + seconds * 1000;
    await Promise.all(Array.from({ length: inflight }, async (_, w) => {
      const c = clients[w % clients.length]!;
      while (performance.now() < endAt) {
        const s = performance.now();
        try {
          await send(c);
          lat.push(performance.now() - s);
        } catch (e) {
          errors++;
          firstError ||= (e as Error).message;
        }
      }
    }));
    for (const c of clients) c.close();
    if (firstError) findings.push(`${name}: ${errors} failed, first: ${firstError.slice(0, 200)}`);
    return summarise(name, lat, errors, (performance.now() - began) / 1000);
  }
  note(`blasting heartbeats at the playback process (${live.length} live sessions)…`);
  const seq0 = await journalSeq();
  const cpuHb = cpuMeter(sys.pids());
  const hbProc = await blast(`Heartbeat → playback process (${CONNECTIONS} conns, ${INFLIGHT} in flight, ${live.length} sessions)`, sys.services.playback.grpc, live, SECONDS);
  const hbCpu = cpuHb();
  const appended = (await journalSeq()) - seq0;
  results.push(hbProc);
  // Latency without the queueing of a saturating blast.
  results.push(await blast(`Heartbeat → playback process (${CONNECTIONS} conns, 16 in flight)`, sys.services.playback.grpc, live, 5, 16));
  findings.push(
    `CPU cores during the heartbeat blast: ${formatCores(hbCpu.cores)}; playback ${perOp(hbCpu.cores.playback!, hbCpu.wall, hbProc.requests + live.length)}, nats-server ${perOp(hbCpu.cores.nats!, hbCpu.wall, hbProc.requests + live.length)}, load generator ${perOp(hbCpu.cores.bench!, hbCpu.wall, hbProc.requests + live.length)}`,
    `journal (JetStream ${PROGRESS_STREAM}) appends during the blast incl. warm-up: ${appended} for ${hbProc.requests + live.length} heartbeats answered`,
  );

  // ---- Where a heartbeat's time goes: two of its parts alone, from this (otherwise idle) process.
  note('measuring the parts of a heartbeat alone (token check, journal append)…');
  const cfg = readPlaybackConfig(sys.playbackEnv({}));
  const verify = createAccessTokenVerifier({ issuer: cfg.FLIX_JWT_ISSUER, audience: cfg.FLIX_JWT_AUDIENCE, keys: { jwksUrl: cfg.FLIX_JWKS_URL } });
  await verify(viewers[0]!.token);
  async function part(name: string, inflight: number, op: (i: number) => Promise<unknown>): Promise<string> {
    const meter = cpuMeter({});
    let n = 0;
    const r = await closedLoop(name, { concurrency: inflight, seconds: 3 }, async () => (await op(n++), true));
    const { wall, cores } = meter();
    results.push(r);
    return `${name}: ${perOp(cores.bench!, wall, r.requests)}`;
  }
  findings.push(
    await part('part: access-token check (jose EdDSA, as GrpcServer does per call), 64 in flight', 64, (i) => verify(viewers[i % viewers.length]!.token)),
    await part(`part: journal append (JetStream publish + ack), ${INFLIGHT} in flight`, INFLIGHT, (i) =>
      nats.js.publish(`progress.playback.bench-part-${i % 1000}`, JSON.stringify({ p: i, w: i, r: 0, t: Date.now() })),
    ),
  );

  // ---- 3. The same blast at an instance in this process, whose store counts database writes.
  const [grpcPort, httpPort] = await Promise.all([freePort(), freePort()]);
  inproc = await startPlayback(sys.playbackEnv({ GRPC_PORT: String(grpcPort), HTTP_PORT: String(httpPort), MONGO_DB: `playback_inproc_${run}`, LOG_LEVEL: 'silent' }));
  const inAddr = `127.0.0.1:${grpcPort}`;
  const inDirect = createClient(PlaybackServiceService, inAddr, { deadlineMs: 10_000 });
  const inLive: LiveSession[] = [];
  await pool(startPairs([0, 1, 2, 3, 4]), CONCURRENCY, async ({ v, u, d }) => {
    const r = await inDirect.startSession({ movieId: movieFor(u, d), profileId: v.profileId, deviceId: `device-${d}` }, { metadata: { authorization: `Bearer ${v.token}` } });
    inLive.push({ id: r.sessionId, token: v.token, heartbeats: 0 });
  });
  inDirect.close();
  note(`blasting heartbeats at an in-process instance (${inLive.length} sessions)…`);
  const store = inproc.store;
  const w0 = store.flushWrites;
  const seq1 = await journalSeq();
  const hbIn = await blast(`Heartbeat → in-process instance (${CONNECTIONS} conns, ${INFLIGHT} in flight, ${inLive.length} sessions)`, inAddr, inLive, Math.min(SECONDS, 10));
  const blastWrites = store.flushWrites - w0;
  const inAppended = (await journalSeq()) - seq1;
  results.push(hbIn);
  const answered = hbIn.requests + inLive.length;
  findings.push(
    `in-process blast: ${answered} heartbeats → ${blastWrites} database writes (${(blastWrites / hbIn.seconds).toFixed(0)} writes/s, ${(blastWrites / answered).toFixed(4)} per heartbeat) and ${inAppended} journal appends (${(inAppended / answered).toFixed(2)} per heartbeat)`,
  );

  // Real cadence: each session heartbeats once per interval (10 s by default), spread evenly.
  const interval = 10;
  note(`heartbeats at the client cadence (every ${interval} s per session) for ${PACED_SECONDS} s…`);
  await new Promise((r) => setTimeout(r, 6_000)); // let the blast's last writes age past the flush interval
  await inproc.flush();
  const w1 = store.flushWrites;
  const pacedClient = channel(inAddr);
  const pacedLat: number[] = [];
  let pacedErrors = 0;
  const pacedStart = performance.now();
  const rounds = Math.max(1, Math.round(PACED_SECONDS / interval));
  await Promise.all(inLive.map(async (s, i) => {
    await new Promise((r) => setTimeout(r, (i / inLive.length) * interval * 1000));
    for (let k = 0; k < rounds; k++) {
      const began = performance.now();
      try {
        await unary(pacedClient, PlaybackServiceService.heartbeat, { sessionId: s.id, positionSeconds: 2000 + k * interval, state: PlayerState.PLAYER_STATE_PLAYING, bitrateKbps: 4800, rebufferMs: 0 }, s.token);
        pacedLat.push(performance.now() - began);
      } catch {
        pacedErrors++;
      }
      if (k < rounds - 1) await new Promise((r) => setTimeout(r, interval * 1000 - (performance.now() - began)));
    }
  }));
  const pacedSeconds = (performance.now() - pacedStart) / 1000;
  await new Promise((r) => setTimeout(r, (cfg.FLIX_PROGRESS_FLUSH_SECONDS + 2) * 1000)); // the flusher's due writes for the last heartbeats
  const pacedWrites = store.flushWrites - w1;
  pacedClient.close();
  results.push(summarise(`Heartbeat at client cadence (1 per session per ${interval} s, ${inLive.length} sessions)`, pacedLat, pacedErrors, pacedSeconds));
  findings.push(
    `client cadence: ${pacedLat.length} heartbeats → ${pacedWrites} database writes (${(pacedWrites / Math.max(1, pacedLat.length)).toFixed(2)} per heartbeat) with FLIX_PROGRESS_FLUSH_SECONDS=${cfg.FLIX_PROGRESS_FLUSH_SECONDS} and a ${interval} s heartbeat interval`,
  );
  await nats.drain();
} finally {
  printTable(results);
  if (results.length >= 2 && results[0]!.rps && results[1]!.rps) {
    const [g, d] = results as [LoadResult, LoadResult];
    console.log(`\ngateway share of StartSession: throughput direct/gateway ${(d.rps / g.rps).toFixed(2)}×, p50 gateway/direct ${(g.p50 / d.p50).toFixed(2)}×, p99 ${(g.p99 / d.p99).toFixed(2)}×`);
  }
  for (const f of findings) console.log(`- ${f}`);
  agent.destroy();
  await inproc?.stop().catch((e: unknown) => console.error('in-process playback stop failed', e));
  await sys?.stop();
  note('done');
}
