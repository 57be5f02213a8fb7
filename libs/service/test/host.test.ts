import { startMongo, startNats, type MongoHandle, type NatsHandle } from '@flix/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runService, type BaseServiceConfig, type ServiceContext } from '../src/index.js';

let nats: NatsHandle;
let mongo: MongoHandle;

beforeAll(async () => {
  [nats, mongo] = await Promise.all([startNats(), startMongo()]);
});
afterAll(async () => {
  await Promise.all([nats?.stop(), mongo?.stop()]);
});

let dbSeq = 0;
const config = (): BaseServiceConfig => ({
  GRPC_HOST: '127.0.0.1',
  GRPC_PORT: 0,
  HTTP_PORT: 0,
  MONGO_URL: mongo.url,
  MONGO_DB: `host-test-${process.pid}-${dbSeq++}`,
  NATS_URL: nats.url,
  LOG_LEVEL: 'silent',
  FLIX_JWT_ISSUER: 'flix-identity',
  FLIX_JWT_AUDIENCE: 'flix-api',
  FLIX_JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
});

const health = async (port: number) => (await fetch(`http://127.0.0.1:${port}/healthz`)).status;

describe('runService', () => {
  it('serves readiness once composed, and winds down phase by phase: tasks, serving, drain, consumers, final, outbox, connections', async () => {
    const order: string[] = [];
    let releaseTask!: () => void;
    let ctxSeen!: ServiceContext<BaseServiceConfig>;
    const svc = await runService({
      name: 'hosttest',
      config: config(),
      indexes: { things: [{ key: { name: 1 }, unique: true }] },
      async build(ctx) {
        ctxSeen = ctx;
        ctx.client({ close: () => void order.push('client closed') });
        ctx.onStop('drain', 'flush', () => void order.push('drained'));
        ctx.onStop('final', 'last write', async () => {
          // The database is still open for the last writes.
          await ctx.mongo.db.collection('things').insertOne({ name: 'last' });
          order.push('final write');
        });
        return {
          grpc: [],
          async start() {
            ctx.consumer({ stop: async () => void order.push('consumer drained') });
            // A run in flight when stop begins is awaited before anything else closes.
            const task = ctx.every('slow task', 60_000, () => new Promise<void>((r) => (releaseTask = () => (order.push('task finished'), r()))));
            void task.runNow();
          },
          handle: { answer: 42 },
        };
      },
    });

    expect(svc.answer).toBe(42);
    expect(await health(svc.httpPort)).toBe(200);
    const indexes = await svc.mongo.db.collection('things').indexes();
    expect(indexes.map((i) => i.name)).toContain('name_1');

    const stopping = svc.stop();
    // Not ready from the first moment of shutdown, while the task still runs.
    await expect.poll(() => health(svc.httpPort).catch(() => 0)).toBe(503);
    releaseTask();
    await stopping;
    expect(order).toEqual(['task finished', 'drained', 'consumer drained', 'final write', 'client closed']);
    await expect(health(svc.httpPort)).rejects.toThrow();
    await expect(ctxSeen.mongo.db.collection('things').countDocuments()).rejects.toThrow();
    await svc.stop(); // a second stop is harmless
  });

  it('undoes what it started when the composition fails, and reports the failure', async () => {
    const closed: string[] = [];
    await expect(
      runService({
        name: 'hosttest',
        config: config(),
        indexes: {},
        async build(ctx) {
          ctx.client({ close: () => void closed.push('client') });
          throw new Error('catalog unreachable');
        },
      }),
    ).rejects.toThrow('catalog unreachable');
    expect(closed).toEqual(['client']);
  });

  it('refuses to serve without a way to verify tokens', async () => {
    const { FLIX_JWKS_URL: _, ...noJwks } = config();
    await expect(runService({ name: 'hosttest', config: noJwks, indexes: {}, build: async () => ({ grpc: [] }) })).rejects.toThrow(/FLIX_JWKS_URL/);
  });
});
