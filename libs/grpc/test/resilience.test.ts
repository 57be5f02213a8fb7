import { Client, credentials, Metadata, type ServiceDefinition } from '@grpc/grpc-js';
import { DomainError } from '@flix/errors';
import { createLogger } from '@flix/logging';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@flix/testkit';
import { rawMethod } from './raw-method.js';
import { createClient, GrpcServer } from '../src/index.js';

// Raw-bytes methods: the tests are about how calls are admitted and failed, not their messages.
const definition = {
  slow: rawMethod('/test.Resilience/Slow'),
  fails: rawMethod('/test.Resilience/Fails'),
  busy: rawMethod('/test.Resilience/Busy'),
} satisfies ServiceDefinition;

const LIMIT = 3;
let server: GrpcServer;
let port: number;
let release: () => void = () => undefined;
let gate = Promise.resolve();
let busyAttempts = 0;
/** What `fails` throws next. */
let failWith: unknown = new Error('nothing set');

const named = (name: string, message: string, cause?: unknown) => Object.assign(new Error(message, { cause }), { name });

beforeAll(async () => {
  server = new GrpcServer({
    service: 'restest',
    logger: createLogger('test', { level: 'silent' }),
    verifier: async () => Promise.reject(new Error('no tokens here')),
    maxInflightCalls: LIMIT,
  });
  server.add(
    definition,
    {
      async slow() {
        await gate;
        return Buffer.from('done');
      },
      async fails() {
        throw failWith;
      },
      async busy() {
        busyAttempts++;
        throw new DomainError('unavailable', 'TRY_LATER', 'always unavailable');
      },
    },
    { name: 'test.Resilience', publicMethods: ['slow', 'fails', 'busy'] },
  );
  port = await server.start('127.0.0.1', 0);
  server.setServing(true);
});

afterAll(async () => {
  release();
  await server?.stop(100);
});

async function healthStatus(): Promise<number> {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  try {
    const bytes = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest('/grpc.health.v1.Health/Check', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), new Metadata(), { deadline: Date.now() + 1000 }, (err, v) => (err ? reject(err) : resolve(v!))),
    );
    return bytes[1] ?? 0; // HealthCheckResponse { status = 1 } → 08 <status>
  } finally {
    client.close();
  }
}

describe('load shedding', () => {
  it(`with ${LIMIT} calls in flight, further calls are refused at once with UNAVAILABLE (OVERLOADED, RetryInfo); health checks still answer; the ${LIMIT} finish`, async () => {
    gate = new Promise<void>((r) => (release = r));
    const client = createClient(definition, `127.0.0.1:${port}`, { maxAttempts: 1, deadlineMs: 10_000 });
    const shedBefore = await shedCount();
    try {
      const admitted = Array.from({ length: LIMIT }, () => client.slow(Buffer.alloc(0)));
      // Let the first calls take their slots before the extra ones arrive.
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      const extra = await Promise.allSettled([client.slow(Buffer.alloc(0)), client.slow(Buffer.alloc(0))]);
      const shedMs = Date.now() - started;
      expect(extra.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      for (const r of extra) {
        const err = (r as PromiseRejectedResult).reason as DomainError;
        expect(err.kind).toBe('unavailable');
        expect(err.reason).toBe('OVERLOADED');
        expect(err.retryAfterSeconds).toBe(1);
      }
      expect(shedMs).toBeLessThan(500);
      expect(await healthStatus()).toBe(1); // SERVING, although every slot is taken
      expect((await shedCount()) - shedBefore).toBe(2);
      release();
      const done = await Promise.all(admitted);
      expect(done.map((b) => b.toString())).toEqual(['done', 'done', 'done']);
      // Slots are given back: a new call is admitted.
      expect((await client.slow(Buffer.alloc(0))).toString()).toBe('done');
    } finally {
      release();
      client.close();
    }
  });
});

async function shedCount(): Promise<number> {
  const metric = await register.getSingleMetric('flix_grpc_server_shed_total')?.get();
  return (metric?.values ?? []).filter((v) => v.labels.service === 'restest').reduce((n, v) => n + v.value, 0);
}

describe('dependency errors at the gRPC boundary', () => {
  const client = () => createClient(definition, `127.0.0.1:${port}`, { maxAttempts: 1 });

  it.each([
    ['MongoServerSelectionError', 'mongodb'],
    ['MongoNetworkError', 'mongodb'],
    ['MongoNetworkTimeoutError', 'mongodb'],
    ['MongoPoolClearedError', 'mongodb'],
    ['ConnectionError', 'nats'],
    ['TimeoutError', 'nats'],
    ['DependencyUnavailableError', 'mongodb'],
  ])('%s becomes UNAVAILABLE DEPENDENCY_UNAVAILABLE naming %s, with RetryInfo', async (name, dependency) => {
    failWith = Object.assign(named(name, 'connection refused'), { dependency });
    const c = client();
    const err = await c.fails(Buffer.alloc(0)).catch((e: unknown) => e as DomainError);
    c.close();
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ kind: 'unavailable', reason: 'DEPENDENCY_UNAVAILABLE', metadata: { dependency }, retryAfterSeconds: 1 });
  });

  it('finds the driver error behind a wrapping error (cause chain)', async () => {
    failWith = new Error('saving the user failed', { cause: named('MongoNetworkError', 'socket closed') });
    const c = client();
    const err = (await c.fails(Buffer.alloc(0)).catch((e: unknown) => e)) as DomainError;
    c.close();
    expect(err).toMatchObject({ kind: 'unavailable', reason: 'DEPENDENCY_UNAVAILABLE', metadata: { dependency: 'mongodb' } });
  });

  it('leaves a genuine bug as INTERNAL without details', async () => {
    failWith = new TypeError('cannot read properties of undefined');
    const c = client();
    const err = (await c.fails(Buffer.alloc(0)).catch((e: unknown) => e)) as DomainError;
    c.close();
    expect(err).toMatchObject({ kind: 'internal', message: 'internal error' });
  });
});

describe('gRPC clients', () => {
  it('fail fast with UNAVAILABLE and RetryInfo when the server is down', async () => {
    const closed = await freePort();
    const c = createClient(definition, `127.0.0.1:${closed}`, { deadlineMs: 5000 });
    const started = Date.now();
    const err = (await c.slow(Buffer.alloc(0)).catch((e: unknown) => e)) as DomainError;
    const ms = Date.now() - started;
    c.close();
    expect(err).toMatchObject({ kind: 'unavailable', retryAfterSeconds: 1 });
    expect(ms).toBeLessThan(1500);
  });

  it('retry UNAVAILABLE within a budget: once it is spent, failing calls are not retried', async () => {
    const c = createClient(definition, `127.0.0.1:${port}`, { maxAttempts: 4 });
    busyAttempts = 0;
    for (let i = 0; i < 6; i++) await expect(c.busy(Buffer.alloc(0))).rejects.toMatchObject({ kind: 'unavailable', reason: 'TRY_LATER' });
    c.close();
    // Unthrottled: 6 calls × 4 attempts = 24. The budget (10 tokens, retries only above 5) allows
    // the first call its 4 attempts and the rest one each.
    expect(busyAttempts).toBeGreaterThanOrEqual(6);
    expect(busyAttempts).toBeLessThanOrEqual(10);
  });
});
