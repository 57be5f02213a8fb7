/**
 * Analytics ingestion: how many events per second one analytics instance absorbs end to end
 * (JetStream → decode → rollup transaction with the once-only marker → time-series raw copy →
 * ack), until the rollups reflect every event; and how many MongoDB writes each event costs.
 *
 *  1. Backlog: N mixed events (playback starts/ends, logins, registrations, payments,
 *     subscription changes, engagement, a type no contract knows) are published to a private
 *     nats-server first; then analytics starts and drains them. Timed from start of consuming
 *     to "every consumer idle and GetSummary counts N events".
 *  2. Live: analytics running, events published at full speed by this process; timed from the
 *     first publish to the rollups counting them all.
 *  3. Writes per event: a smaller run through a counting TCP proxy in front of MongoDB (it reads
 *     each OP_MSG command name), so the throughput runs above are not slowed by it.
 *
 * The embedded MongoDB (journaled, fdatasync per commit) and nats-server run as separate
 * processes; analytics and the publisher share this process. Two cores are shared by everything.
 * Usage: npx tsx bench/analytics-ingest.ts [--events 50000] [--live 20000] [--writes 3000] [--batch 100]
 */
import { FLIX_STREAMS } from '@flix/contracts';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { billingEvents, engagementEvents, identityEvents, playbackEvents } from '@flix/contracts';
import { buildEvent, connectNats, encodeEvent, ensureStreams, EventHeaders, type EventDef, type FlixEventMessage, type NatsClients } from '@flix/events';
import { createClient } from '@flix/grpc';
import { AnalyticsServiceService } from '@flix/proto/flix/analytics/v1/analytics_service';
import { PaymentKind, SubscriptionStatus } from '@flix/proto/flix/billing/v1/resources';
import { freePort, startNats } from '@flix/testkit';
import { startAnalytics } from '../services/analytics/src/main.js';
import { consumersIdle, startTestKeys } from '../services/analytics/test/helpers.js';
import { arg } from './lib/args.js';

const BACKLOG = arg('events', 50_000);
const LIVE = arg('live', 20_000);
const WRITES = arg('writes', 3_000);
const BATCH = arg('batch', 100);
const root = resolve(import.meta.dirname, '..');

// --- MongoDB (embedded, journaled) in its own process.
async function startMongoProcess(): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'flix-analytics-bench-'));
  const child: ChildProcess = spawn(process.execPath, [...(process.env.BENCH_MONGO_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_MONGO_PROF}`] : []), '--import', 'tsx', join(root, 'dev/mongo-embedded/src/cli.ts'), '--port', '0', ...(process.env.BENCH_MONGO_MEMORY ? ['--memory'] : ['--dir', dir])], {
    stdio: ['ignore', 'pipe', 'ignore'],
    cwd: root,
  });
  const line = await new Promise<string>((res, rej) => {
    createInterface({ input: child.stdout! }).once('line', res);
    child.once('exit', (code) => rej(new Error(`embedded mongo exited with ${code}`)));
  });
  const { url, port } = JSON.parse(line) as { url: string; port: number };
  return {
    url,
    port,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// --- A TCP proxy that counts the commands the client sends (OP_MSG body's first key).
function countingProxy(targetPort: number): Promise<{ port: number; counts: Map<string, number>; close(): void }> {
  const counts = new Map<string, number>();
  const server: Server = createServer((client: Socket) => {
    const upstream = connect(targetPort, '127.0.0.1');
    let buf = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 16) {
        const len = buf.readInt32LE(0);
        if (buf.length < len) break;
        const opcode = buf.readInt32LE(12);
        if (opcode === 2013) {
          let off = 20; // header + flagBits
          let name = '';
          let docs = 0;
          while (off < len) {
            const kind = buf[off]!;
            const size = buf.readInt32LE(off + 1);
            if (kind === 0) {
              // BSON: int32 size, then the first element: type byte, cstring name.
              const nameStart = off + 1 + 4 + 1;
              name = buf.toString('utf8', nameStart, buf.indexOf(0, nameStart));
              off += 1 + size;
            } else {
              // kind 1: int32 size (covers itself), cstring identifier, then BSON documents.
              const end = off + 1 + size;
              let d = buf.indexOf(0, off + 5) + 1;
              while (d < end) {
                docs++;
                d += buf.readInt32LE(d);
              }
              off = end;
            }
          }
          counts.set(name, (counts.get(name) ?? 0) + 1);
          // Statements: documents in the kind-1 sections (bulk inserts/updates), else one.
          counts.set(`${name}:statements`, (counts.get(`${name}:statements`) ?? 0) + Math.max(1, docs));
        }
        buf = buf.subarray(len);
      }
    });
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  return new Promise((res) =>
    server.listen(0, '127.0.0.1', () => res({ port: (server.address() as { port: number }).port, counts, close: () => server.close() })),
  );
}

// --- The event mix: what a day of a streaming service looks like, roughly.
const USERS = 2_000;
const TITLES = 500;
const pick = (n: number) => Math.floor(Math.random() * n);
function mixedEvent(i: number): { def: EventDef<FlixEventMessage>; event: FlixEventMessage } | { raw: string; subject: string; id: string } {
  const occurTime = new Date(Date.now() - pick(30 * 86_400_000));
  const userId = `u${pick(USERS)}`;
  const movieId = `m${pick(TITLES)}`;
  const r = i % 100;
  const ev = <T extends FlixEventMessage>(def: EventDef<T>, input: Parameters<typeof buildEvent<T>>[1]) => ({ def: def as unknown as EventDef<FlixEventMessage>, event: buildEvent(def, input) });
  if (r < 30) return ev(playbackEvents.sessionStarted, { occurTime, userId, movieId, sessionId: `s${i}` });
  if (r < 60) return ev(playbackEvents.sessionEnded, { occurTime, userId, movieId, sessionId: `s${i}`, watchedSeconds: pick(7200), rebufferMs: pick(5000), completed: r % 3 === 0 });
  if (r < 70) return ev(identityEvents.loginSucceeded, { occurTime, userId });
  if (r < 73) return ev(identityEvents.loginFailed, { occurTime, email: `${userId}@flix.test` });
  if (r < 75) return ev(identityEvents.userRegistered, { occurTime, userId, email: `${userId}@flix.test` });
  if (r < 82) return ev(engagementEvents.watchlistAdded, { occurTime, userId, profileId: 'p', movieId });
  if (r < 86) return ev(engagementEvents.ratingSet, { occurTime, userId, profileId: 'p', movieId, stars: 1 + pick(5) });
  if (r < 91) return ev(billingEvents.paymentSucceeded, { occurTime, payment: { id: `p${i}`, userId, kind: PaymentKind.PAYMENT_KIND_SUBSCRIPTION, planId: 'basic-monthly', amount: { amountMinor: 899, currency: 'USD' } } });
  if (r < 93) return ev(billingEvents.paymentFailed, { occurTime, payment: { id: `p${i}`, userId, kind: PaymentKind.PAYMENT_KIND_SUBSCRIPTION, amount: { amountMinor: 899, currency: 'USD' } } });
  if (r < 98)
    return ev(billingEvents.subscriptionActivated, { occurTime, subscription: { id: `sub${pick(USERS)}`, userId, planId: 'basic-monthly', status: SubscriptionStatus.SUBSCRIPTION_STATUS_ACTIVE, updateTime: occurTime } });
  const id = `raw-${i}-${randomBytes(4).toString('hex')}`;
  return { raw: JSON.stringify({ eventId: id, occurTime: occurTime.toISOString(), userId }), subject: 'engagement.review.flagged', id };
}

async function publishMany(nats: NatsClients, n: number, offset: number): Promise<void> {
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const e = mixedEvent(offset + i);
    const h = natsHeaders();
    if ('raw' in e) {
      h.set(EventHeaders.EventType, 'flix.engagement.v1.ReviewFlagged');
      inflight.push(nats.js.publish(e.subject, e.raw, { headers: h, msgID: e.id }));
    } else {
      h.set(EventHeaders.EventType, e.def.type);
      inflight.push(nats.js.publish(e.def.subject, encodeEvent(e.def, e.event), { headers: h, msgID: e.event.eventId }));
    }
    if (inflight.length >= 256) await Promise.all(inflight.splice(0));
  }
  await Promise.all(inflight);
}

const mongo = await startMongoProcess();
const natsServer = await startNats();
const keys = await startTestKeys();
const nats = await connectNats(natsServer.url, 'analytics-bench');
await ensureStreams(nats.jsm, FLIX_STREAMS);
const token = await keys.token('bench-admin', ['admin']);

async function runInstance(mongoUrl: string, db: string) {
  const [grpcPort, httpPort] = await Promise.all([freePort(), freePort()]);
  const svc = await startAnalytics(
    {
      MONGO_URL: mongoUrl,
      MONGO_DB: db,
      NATS_URL: natsServer.url,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
      HTTP_PORT: String(httpPort),
      LOG_LEVEL: 'silent',
      FLIX_JWKS_URL: keys.jwksUrl,
      FLIX_CONSUMER_BATCH: String(BATCH),
    },
    { planPrices: async () => [{ planId: 'basic-monthly', amountMinor: 899, currency: 'USD', months: 1 }] },
  );
  const client = createClient(AnalyticsServiceService, `127.0.0.1:${grpcPort}`);
  const counted = async () => {
    const s = await client.getSummary({ from: new Date(Date.now() - 40 * 86_400_000), to: new Date(Date.now() + 86_400_000), titleLimit: 0 }, { metadata: { authorization: `Bearer ${token}` } });
    return s.eventsIngested;
  };
  return { svc, client, counted };
}

async function untilCounted(counted: () => Promise<number>, want: number): Promise<void> {
  for (;;) {
    if ((await consumersIdle(nats)) && (await counted()) >= want) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function purgeStreams() {
  for (const s of ['IDENTITY', 'CATALOG', 'BILLING', 'PLAYBACK', 'ENGAGEMENT', 'DLQ', 'ANALYTICS']) {
    await nats.jsm.streams.purge(s);
    await nats.jsm.consumers.delete(s, 'analytics').catch(() => undefined);
  }
}

const rows: Record<string, string | number>[] = [];
try {
  // 1. Backlog.
  let t0 = performance.now();
  await publishMany(nats, BACKLOG, 0);
  const publishSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const a = await runInstance(mongo.url, `analytics_bench_${randomBytes(3).toString('hex')}`);
  await untilCounted(a.counted, BACKLOG);
  const backlogSeconds = (performance.now() - t0) / 1000;
  rows.push({ run: 'backlog (published first, then drained)', events: BACKLOG, seconds: +backlogSeconds.toFixed(2), 'events/s': Math.round(BACKLOG / backlogSeconds), 'publish events/s': Math.round(BACKLOG / publishSeconds) });

  // 2. Live: the same instance, events published while it consumes.
  t0 = performance.now();
  await publishMany(nats, LIVE, BACKLOG);
  const livePublish = (performance.now() - t0) / 1000;
  await untilCounted(a.counted, BACKLOG + LIVE);
  const liveSeconds = (performance.now() - t0) / 1000;
  rows.push({ run: 'live (publishing while consuming)', events: LIVE, seconds: +liveSeconds.toFixed(2), 'events/s': Math.round(LIVE / liveSeconds), 'publish events/s': Math.round(LIVE / livePublish) });
  a.client.close();
  await a.svc.stop();

  // 3. Writes per event, through the counting proxy, on fresh streams and a fresh database.
  await purgeStreams();
  await publishMany(nats, WRITES, 10_000_000);
  const proxy = await countingProxy(mongo.port);
  const proxiedUrl = `mongodb://127.0.0.1:${proxy.port}/?directConnection=true`;
  const b = await runInstance(proxiedUrl, `analytics_bench_w_${randomBytes(3).toString('hex')}`);
  // Start-up commands (indexes, stream setup) are not per event: count from here.
  await untilCounted(b.counted, WRITES);
  const c = Object.fromEntries(proxy.counts);
  b.client.close();
  await b.svc.stop();
  proxy.close();
  const per = (k: string) => +((c[k] ?? 0) / WRITES).toFixed(2);
  const writeKinds = ['insert', 'update', 'delete', 'findAndModify'];
  const sum = (suffix: string) => writeKinds.reduce((s, k) => s + (c[`${k}${suffix}`] ?? 0), 0);
  console.log('\nMongoDB per event (%d events, start-up included):', WRITES);
  console.table({
    'documents written (insert + update statements)': +(sum(':statements') / WRITES).toFixed(2),
    'write commands (round trips)': +(sum('') / WRITES).toFixed(3),
    'insert statements': per('insert:statements'),
    'update statements': per('update:statements'),
    transactions: per('commitTransaction'),
    'events per transaction': +(WRITES / (c.commitTransaction ?? 1)).toFixed(1),
    'read commands (find + aggregate + count)': +(((c.find ?? 0) + (c.aggregate ?? 0) + (c.count ?? 0)) / WRITES).toFixed(3),
  });
  console.log('\nIngestion (one analytics instance; embedded MongoDB journaled, separate process):');
  console.table(rows);
} finally {
  await nats.drain();
  await natsServer.stop();
  await mongo.stop();
  await keys.close();
}
process.exit(0);
