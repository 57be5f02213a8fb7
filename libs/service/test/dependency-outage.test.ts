import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, credentials, Metadata, type ServiceDefinition } from '@grpc/grpc-js';
import { engagementEvents } from '@flix/contracts';
import type { DomainError } from '@flix/errors';
import { connectNats, on, publishEvent, runInTransaction, startConsumer } from '@flix/events';
import { createClient } from '@flix/grpc';
import { startEmbeddedMongo, type EmbeddedMongo } from '@flix/mongo-embedded';
import { freePort, waitForPort } from '@flix/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcService, runService, type BaseServiceConfig, type ServiceHandle } from '../src/index.js';

/*
 * MongoDB and nats-server are stopped and started again under a running service, on the same
 * port and data directory, as an operator's restart (or a crash and the platform's restart) would.
 */

const raw = (path: string) => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b,
});
const definition = {
  add: raw('/test.Outage/Add'),
  count: raw('/test.Outage/Count'),
  announce: raw('/test.Outage/Announce'),
} satisfies ServiceDefinition;

// -- a restartable nats-server and embedded MongoDB ------------------------------------------

let natsPort: number;
let natsDir: string;
let natsProc: ChildProcess | undefined;
async function startNatsServer(): Promise<void> {
  natsProc = spawn(process.env.NATS_SERVER_BIN ?? 'nats-server', ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', natsDir], { stdio: 'ignore' });
  await waitForPort(natsPort);
}
async function killNatsServer(): Promise<void> {
  const p = natsProc;
  if (!p || p.exitCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await exited;
}

let mongoPort: number;
let mongoDir: string;
let mongoServer: EmbeddedMongo | undefined;
const startMongoServer = async () => {
  mongoServer = await startEmbeddedMongo({ port: mongoPort, dataDir: mongoDir });
};
const stopMongoServer = async () => {
  await mongoServer?.close();
  mongoServer = undefined;
};

// -- the service under test ------------------------------------------------------------------

interface Handle {
  added: string[];
}
let svc: ServiceHandle<Handle>;
let client: ReturnType<typeof createClient<typeof definition>>;
/** Times measured, for the operator documentation. */
const measured: Record<string, number> = {};

beforeAll(async () => {
  [natsPort, mongoPort] = await Promise.all([freePort(), freePort()]);
  natsDir = mkdtempSync(join(tmpdir(), 'flix-outage-nats-'));
  mongoDir = mkdtempSync(join(tmpdir(), 'flix-outage-mongo-'));
  await Promise.all([startNatsServer(), startMongoServer()]);
  const config: BaseServiceConfig = {
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: 0,
    HTTP_PORT: 0,
    MONGO_URL: mongoServer!.url,
    MONGO_DB: 'outage',
    NATS_URL: `nats://127.0.0.1:${natsPort}`,
    LOG_LEVEL: 'silent',
    FLIX_JWT_ISSUER: 'flix-identity',
    FLIX_JWT_AUDIENCE: 'flix-api',
  };
  svc = await runService<BaseServiceConfig, Handle>({
    name: 'outagetest',
    config,
    indexes: {},
    async build({ mongo, nats, outbox, logger, idempotency, consumer }) {
      const added: string[] = [];
      const titles = mongo.db.collection<{ _id: string }>('titles');
      return {
        verifier: async () => Promise.reject(new Error('no tokens in this test')),
        // A plain-HTTP route (as webhooks and OAuth are) that needs MongoDB.
        routes: [{ method: 'GET', path: '/titles/count', handle: async () => ({ status: 200, body: { count: await titles.countDocuments() } }) }],
        grpc: [
          grpcService(
            definition,
            {
              // Needs MongoDB; goes to NATS only through the outbox.
              async add(req) {
                const movieId = req.toString();
                await runInTransaction(mongo.client, async (session) => {
                  await titles.insertOne({ _id: movieId }, { session });
                  await outbox.enqueue(session, engagementEvents.watchlistAdded, { userId: 'u1', profileId: 'p1', movieId });
                });
                return Buffer.from('added');
              },
              async count() {
                return Buffer.from(String(await titles.countDocuments()));
              },
              // Needs NATS at request time.
              async announce(req) {
                await nats.js.publish('engagement.watchlist.added', req);
                return Buffer.from('announced');
              },
            },
            { name: 'test.Outage', publicMethods: ['add', 'count', 'announce'] },
          ),
        ],
        async start() {
          consumer(
            await startConsumer({
              js: nats.js,
              jsm: nats.jsm,
              stream: 'ENGAGEMENT',
              durable: 'outagetest',
              filterSubject: 'engagement.watchlist.added',
              handlers: { 'engagement.watchlist.added': on(engagementEvents.watchlistAdded, async (e) => void added.push(e.movieId)) },
              idempotency,
              logger,
              // Few attempts, quickly: an event failed during a MongoDB outage would be dead-lettered within seconds.
              maxDeliver: 2,
              backoffMs: [200],
            }),
          );
        },
        handle: { added },
      };
    },
  });
  client = createClient(definition, `127.0.0.1:${svc.grpcPort}`, { maxAttempts: 1, deadlineMs: 15_000 });
}, 60_000);

afterAll(async () => {
  client?.close();
  await svc?.stop();
  await killNatsServer();
  await stopMongoServer();
  rmSync(natsDir, { recursive: true, force: true });
  rmSync(mongoDir, { recursive: true, force: true });
  console.log('measured (ms):', JSON.stringify(measured));
});

interface Health {
  status: number;
  body: { status: string; state: string; dependencies: Record<string, string> };
}
const healthz = async (): Promise<Health> => {
  const res = await fetch(`http://127.0.0.1:${svc.httpPort}/healthz`);
  return { status: res.status, body: (await res.json()) as Health['body'] };
};
/** Polls /healthz until it answers `status`; returns the answer and how long it took. */
async function healthBecomes(status: number, timeoutMs: number): Promise<{ health: Health; ms: number }> {
  const started = Date.now();
  for (;;) {
    const health = await healthz();
    if (health.status === status) return { health, ms: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`/healthz still ${health.status} after ${timeoutMs} ms: ${JSON.stringify(health.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
/** grpc.health.v1 status of the whole server: 1 SERVING, 2 NOT_SERVING. */
async function grpcHealth(): Promise<number> {
  const c = new Client(`127.0.0.1:${svc.grpcPort}`, credentials.createInsecure());
  try {
    const bytes = await new Promise<Buffer>((resolve, reject) =>
      c.makeUnaryRequest('/grpc.health.v1.Health/Check', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), new Metadata(), { deadline: Date.now() + 2000 }, (err, v) => (err ? reject(err) : resolve(v!))),
    );
    return bytes[1] ?? 0;
  } finally {
    c.close();
  }
}
const livez = async () => (await fetch(`http://127.0.0.1:${svc.httpPort}/livez`)).status;

async function timed<T>(p: Promise<T>): Promise<{ value: T | undefined; error: DomainError | undefined; ms: number }> {
  const started = Date.now();
  try {
    const value = await p;
    return { value, error: undefined, ms: Date.now() - started };
  } catch (e) {
    return { value: undefined, error: e as DomainError, ms: Date.now() - started };
  }
}
const call = (m: 'add' | 'count' | 'announce', arg = '') => client[m](Buffer.from(arg)).then((b) => b.toString());

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await fn().catch(() => undefined as T);
    if (v !== undefined && ok(v)) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`not reached in ${timeoutMs} ms (last: ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a service whose MongoDB goes away and comes back', () => {
  it('turns not ready naming mongodb, fails calls fast with UNAVAILABLE + RetryInfo, and recovers by itself with nothing lost', async () => {
    expect(await healthz()).toEqual({ status: 200, body: expect.objectContaining({ status: 'SERVING', dependencies: { mongodb: 'up', nats: 'up' } }) });
    expect(await call('add', 'before-mongo-outage')).toBe('added');

    await stopMongoServer();
    const down = await healthBecomes(503, 10_000);
    measured.mongoDownTo503 = down.ms;
    expect(down.health.body).toMatchObject({ status: 'NOT_SERVING', state: 'unavailable', dependencies: { mongodb: 'down', nats: 'up' } });
    expect(down.ms).toBeLessThan(5_000);
    expect(await grpcHealth()).toBe(2);
    // Liveness stays: an outage of a dependency is no reason to restart this process.
    expect(await livez()).toBe(200);

    for (const m of ['add', 'count'] as const) {
      const r = await timed(call(m, 'during-mongo-outage'));
      measured[`mongoDown_${m}`] = r.ms;
      expect(r.error, `${m} during the outage`).toMatchObject({ kind: 'unavailable', reason: 'DEPENDENCY_UNAVAILABLE', metadata: { dependency: 'mongodb' }, retryAfterSeconds: 1 });
      expect(r.ms).toBeLessThan(2_500);
    }
    const started = Date.now();
    const route = await fetch(`http://127.0.0.1:${svc.httpPort}/titles/count`);
    measured.mongoDown_httpRoute = Date.now() - started;
    expect(route.status).toBe(503);
    expect(route.headers.get('retry-after')).toBe('1');
    expect(await route.json()).toMatchObject({
      code: 14,
      details: [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'DEPENDENCY_UNAVAILABLE', metadata: { dependency: 'mongodb' } },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' },
      ],
    });

    // An event arriving while MongoDB is away is held, not failed into the dead-letter queue:
    // with two attempts 200 ms apart it would be parked long before MongoDB is back.
    const publisher = await connectNats(`nats://127.0.0.1:${natsPort}`, 'outage-publisher');
    await publishEvent(publisher.js, engagementEvents.watchlistAdded, { userId: 'u1', profileId: 'p1', movieId: 'published-during-mongo-outage' });
    await publisher.drain();
    await new Promise((r) => setTimeout(r, 4_000));
    expect(svc.added).not.toContain('published-during-mongo-outage');

    await startMongoServer();
    const up = await healthBecomes(200, 15_000);
    measured.mongoBackTo200 = up.ms;
    expect(up.health.body.dependencies).toEqual({ mongodb: 'up', nats: 'up' });
    expect(await grpcHealth()).toBe(1);
    expect(await call('add', 'after-mongo-outage')).toBe('added');
    // Both acknowledged writes are there, the refused one is not; their events reached the consumer.
    expect(await call('count')).toBe('2');
    await eventually(
      async () => [...svc.added].sort(),
      (a) => a.includes('after-mongo-outage') && a.includes('before-mongo-outage') && a.includes('published-during-mongo-outage'),
      15_000,
    );
    expect(svc.added.filter((m) => m === 'published-during-mongo-outage')).toHaveLength(1);
    expect(svc.added).not.toContain('during-mongo-outage');
  }, 60_000);
});

describe('a service whose nats-server goes away and comes back', () => {
  it('turns not ready naming nats, keeps accepting outbox writes, refuses direct publishes with UNAVAILABLE, and publishes what was accepted once NATS is back', async () => {
    await healthBecomes(200, 5_000);
    await killNatsServer();
    const down = await healthBecomes(503, 10_000);
    measured.natsDownTo503 = down.ms;
    expect(down.health.body).toMatchObject({ state: 'unavailable', dependencies: { mongodb: 'up', nats: 'down' } });
    expect(down.ms).toBeLessThan(5_000);
    expect(await grpcHealth()).toBe(2);
    expect(await livez()).toBe(200);

    // A write that goes to NATS through the outbox is accepted: the relay publishes it later.
    const accepted = await timed(call('add', 'during-nats-outage'));
    measured.natsDown_outboxWrite = accepted.ms;
    expect(accepted.error).toBeUndefined();
    expect(accepted.value).toBe('added');

    const direct = await timed(call('announce', 'x'));
    measured.natsDown_directPublish = direct.ms;
    expect(direct.error).toMatchObject({ kind: 'unavailable', reason: 'DEPENDENCY_UNAVAILABLE', metadata: { dependency: 'nats' }, retryAfterSeconds: 1 });
    expect(direct.ms).toBeLessThan(500);

    await startNatsServer();
    const up = await healthBecomes(200, 15_000);
    measured.natsBackTo200 = up.ms;
    expect(up.health.body.dependencies).toEqual({ mongodb: 'up', nats: 'up' });

    // The outbox relay resumed and the pull consumer with it: the accepted event arrives once.
    const started = Date.now();
    await eventually(async () => svc.added, (a) => a.includes('during-nats-outage'), 20_000);
    measured.natsBack_eventConsumed = Date.now() - started;
    expect(svc.added.filter((m) => m === 'during-nats-outage')).toHaveLength(1);
    expect(await call('count')).toBe('3');
  }, 60_000);

  it('connects with unlimited reconnect attempts a second apart, and waits for NATS at start', async () => {
    const own = await connectNats(`nats://127.0.0.1:${natsPort}`, 'outage-reconnect-probe');
    const options = (own.nc as unknown as { options: { maxReconnectAttempts: number; reconnectTimeWait: number } }).options;
    expect(options).toMatchObject({ maxReconnectAttempts: -1, reconnectTimeWait: 1000 });
    // And a client made by connectNats really keeps trying: it is still reconnecting after several attempts.
    await killNatsServer();
    await new Promise((r) => setTimeout(r, 3_500));
    expect(own.nc.isClosed()).toBe(false);
    await startNatsServer();
    await eventually(async () => own.availability.up, (u) => u, 15_000);
    await own.drain();

    // A service starting while nats-server is still down waits for it instead of crashing.
    await killNatsServer();
    const connecting = connectNats(`nats://127.0.0.1:${natsPort}`, 'outage-late-start');
    await new Promise((r) => setTimeout(r, 1_500));
    await startNatsServer();
    const late = await connecting;
    expect(late.availability.up).toBe(true);
    await late.drain();
  }, 40_000);
});
