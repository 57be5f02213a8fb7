import { Client, credentials, Metadata, type MethodDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import type { Principal } from '@flix/auth';
import { DomainError, notFound } from '@flix/errors';
import { createLogger } from '@flix/logging';
import { readDescriptorSet } from '@flix/proto/descriptor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallContext } from './context.js';
import { IdempotencyKeys, MemoryIdempotencyKeyStore, idempotencyReplays, parseIdempotencyKey } from './idempotency.js';
import { mutatingMethods } from './idempotency-rules.js';
import { GrpcServer } from './server.js';
import { rawMethod } from '../test/raw-method.js';

const raw = (path: string): MethodDefinition<Buffer, Buffer> => rawMethod(path);
const CREATE = raw('/test.Things/Create');
const READ = raw('/test.Things/Read');
const logger = createLogger('test', { level: 'silent' });

/** A call as the server hands it to a handler: metadata in, response headers out. */
function fakeCall(opts: { key?: string; subject?: string; cookie?: string } = {}) {
  const metadata = new Metadata();
  if (opts.key !== undefined) metadata.set('idempotency-key', opts.key);
  if (opts.cookie !== undefined) metadata.set('cookie', opts.cookie);
  const headers = new Map<string, string[]>();
  const principal: Principal | undefined = opts.subject ? { subject: opts.subject, roles: [], scopes: [], isService: false, tokenId: 't', expiresAt: new Date(Date.now() + 60_000) } : undefined;
  const ctx: CallContext = {
    method: CREATE.path,
    principal,
    requestId: 'r',
    clientIp: '127.0.0.1',
    logger,
    signal: new AbortController().signal,
    metadata,
    setResponseHeader(name, value) {
      headers.set(name.toLowerCase(), typeof value === 'string' ? [value] : [...value]);
    },
  };
  return { ctx, headers };
}

function setup(options: { leaseSeconds?: number } = {}) {
  let now = new Date('2026-01-01T00:00:00Z');
  const store = new MemoryIdempotencyKeyStore();
  const keys = new IdempotencyKeys({ store, service: 'test', mutating: new Set([CREATE.path]), now: () => now, ...options });
  let runs = 0;
  let behaviour: (req: Buffer, ctx: CallContext) => Promise<Buffer> = async (req, ctx) => {
    ctx.setResponseHeader('set-cookie', [`session=${runs}; HttpOnly`, 'other=1']);
    return Buffer.from(`created #${runs} for ${req.toString()}`);
  };
  const handler = async (req: unknown, ctx: CallContext) => {
    runs++;
    return behaviour(req as Buffer, ctx);
  };
  const create = keys.wrap(CREATE as MethodDefinition<unknown, unknown>, handler);
  const read = keys.wrap(READ as MethodDefinition<unknown, unknown>, handler);
  return {
    store,
    create: (body: string, call = fakeCall()) => create(Buffer.from(body), call.ctx) as Promise<Buffer>,
    read: (body: string, call = fakeCall()) => read(Buffer.from(body), call.ctx) as Promise<Buffer>,
    runs: () => runs,
    behave(fn: typeof behaviour) {
      behaviour = fn;
    },
    advance(ms: number) {
      now = new Date(now.getTime() + ms);
    },
  };
}

const until = async (ok: () => boolean) => {
  while (!ok()) await new Promise((r) => setImmediate(r));
};

const failure = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return err as DomainError;
  }
  throw new Error('expected the call to fail');
};

describe('Idempotency-Key on a mutating method', () => {
  it('without a key, every call runs', async () => {
    const t = setup();
    await t.create('a');
    await t.create('a');
    expect(t.runs()).toBe(2);
    expect(t.store.records.size).toBe(0);
  });

  it('a repeat gets the first response byte for byte, its headers, and idempotent-replayed; the handler ran once', async () => {
    const t = setup();
    const first = fakeCall({ key: 'k-1' });
    const a = await t.create('alice', first);
    const second = fakeCall({ key: 'k-1' });
    const b = await t.create('alice', second);
    expect(t.runs()).toBe(1);
    expect(b.equals(a)).toBe(true);
    expect(second.headers.get('set-cookie')).toEqual(['session=1; HttpOnly', 'other=1']);
    expect(second.headers.get('idempotent-replayed')).toEqual(['true']);
    expect(first.headers.has('idempotent-replayed')).toBe(false);
  });

  it('counts replays', async () => {
    const t = setup();
    const before = (await idempotencyReplays.get()).values.find((v) => v.labels.method === 'Create')?.value ?? 0;
    await t.create('x', fakeCall({ key: 'count-me' }));
    await t.create('x', fakeCall({ key: 'count-me' }));
    await t.create('x', fakeCall({ key: 'count-me' }));
    const after = (await idempotencyReplays.get()).values.find((v) => v.labels.method === 'Create')?.value ?? 0;
    expect(after - before).toBe(2);
  });

  it('the same key with a different request is INVALID_ARGUMENT naming the header, and runs nothing', async () => {
    const t = setup();
    await t.create('alice', fakeCall({ key: 'k-2' }));
    const err = await failure(t.create('bob', fakeCall({ key: 'k-2' })));
    expect(err).toMatchObject({ kind: 'invalid_argument', reason: 'IDEMPOTENCY_KEY_REUSED' });
    expect(err.fieldViolations).toEqual([{ field: 'Idempotency-Key', description: expect.stringContaining('different request') }]);
    expect(t.runs()).toBe(1);
  });

  it('a different cookie (another refresh-token session) is a different request, not a replay', async () => {
    const t = setup();
    await t.create('', fakeCall({ key: 'k-cookie', cookie: 'flix_refresh=victim' }));
    const err = await failure(t.create('', fakeCall({ key: 'k-cookie', cookie: 'flix_refresh=someone-else' })));
    expect(err.reason).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('is scoped by caller: the same key of another account runs on its own and never sees the first answer', async () => {
    const t = setup();
    const a = await t.create('same body', fakeCall({ key: 'shared', subject: 'user-a' }));
    const otherCall = fakeCall({ key: 'shared', subject: 'user-b' });
    const b = await t.create('same body', otherCall);
    const anon = await t.create('same body', fakeCall({ key: 'shared' }));
    expect(t.runs()).toBe(3);
    expect(b.equals(a)).toBe(false);
    expect(otherCall.headers.has('idempotent-replayed')).toBe(false);
    expect(anon.toString()).toBe('created #3 for same body');
  });

  it('a duplicate while the first still runs is ABORTED with a retry delay; once it finishes, the retry is answered from it', async () => {
    const t = setup();
    let finish!: () => void;
    t.behave(() => new Promise((resolve) => (finish = () => resolve(Buffer.from('slow answer')))));
    // The first caller has given up (the gateway answered 504), but its call goes on.
    const first = t.create('r', fakeCall({ key: 'k-3' }));
    await until(() => t.runs() === 1);
    const busy = await failure(t.create('r', fakeCall({ key: 'k-3' })));
    expect(busy).toMatchObject({ kind: 'aborted', reason: 'IDEMPOTENCY_KEY_IN_USE', retryAfterSeconds: 1 });
    finish();
    await first;
    const retry = fakeCall({ key: 'k-3' });
    expect((await t.create('r', retry)).toString()).toBe('slow answer');
    expect(retry.headers.get('idempotent-replayed')).toEqual(['true']);
    expect(t.runs()).toBe(1);
  });

  it('a failed call releases the key: the error is not stored and a retry runs', async () => {
    const t = setup();
    t.behave(async () => {
      throw notFound('thing', 'x');
    });
    expect((await failure(t.create('r', fakeCall({ key: 'k-4' })))).reason).toBe('THING_NOT_FOUND');
    expect(t.store.records.size).toBe(0);
    t.behave(async () => Buffer.from('worked'));
    expect((await t.create('r', fakeCall({ key: 'k-4' }))).toString()).toBe('worked');
    expect(t.runs()).toBe(2);
  });

  it('a release that fails in the same outage as the call is retried, so a retry runs once the store is back', async () => {
    const t = setup({ leaseSeconds: 60 });
    let storeDown = true;
    const release = t.store.release.bind(t.store);
    t.store.release = async (id, claim) => {
      if (storeDown) throw new Error('MongoServerSelectionError: connection refused');
      return release(id, claim);
    };
    t.behave(async () => {
      throw new DomainError('unavailable', 'DEPENDENCY_UNAVAILABLE', 'mongodb is unavailable', [], {}, 1);
    });
    expect((await failure(t.create('r', fakeCall({ key: 'k-6' })))).reason).toBe('DEPENDENCY_UNAVAILABLE');
    // Still held while the store cannot be written: the claim is there, pending.
    expect((await failure(t.create('r', fakeCall({ key: 'k-6' })))).reason).toBe('IDEMPOTENCY_KEY_IN_USE');
    storeDown = false;
    await until(() => t.store.records.size === 0);
    t.behave(async () => Buffer.from('applied once'));
    expect((await t.create('r', fakeCall({ key: 'k-6' }))).toString()).toBe('applied once');
    expect(t.runs()).toBe(2); // the failed call and the retry; the refused one in between ran nothing
  });

  it('a claim whose holder crashed blocks until its lease passes, then a retry takes over', async () => {
    const t = setup({ leaseSeconds: 60 });
    t.behave(() => new Promise(() => {})); // never answers: the process "crashed"
    void t.create('r', fakeCall({ key: 'k-5' }));
    await until(() => t.runs() === 1);
    t.behave(async () => Buffer.from('second life'));
    t.advance(59_000);
    expect((await failure(t.create('r', fakeCall({ key: 'k-5' })))).reason).toBe('IDEMPOTENCY_KEY_IN_USE');
    t.advance(2_000);
    expect((await t.create('r', fakeCall({ key: 'k-5' }))).toString()).toBe('second life');
    expect((await t.create('r', fakeCall({ key: 'k-5' }))).toString()).toBe('second life');
    expect(t.runs()).toBe(2);
  });

  it('stores neither the key nor the response in the clear', async () => {
    const t = setup();
    await t.create('password=hunter2', fakeCall({ key: 'visible-key' }));
    const [id, record] = [...t.store.records][0]!;
    const dump = JSON.stringify({ id, ...record, sealed: Buffer.from(record.sealed!).toString('latin1') });
    expect(dump).not.toContain('visible-key');
    expect(dump).not.toContain('hunter2');
    expect(dump).not.toContain('session=1');
  });

  it('a malformed key is INVALID_ARGUMENT naming the header, and nothing runs', async () => {
    const t = setup();
    for (const bad of ['x'.repeat(256), '', '   ', '""']) {
      const err = await failure(t.create('r', fakeCall({ key: bad })));
      expect(err, bad).toMatchObject({ kind: 'invalid_argument', reason: 'INVALID_IDEMPOTENCY_KEY' });
      expect(err.message).toContain('Idempotency-Key');
      expect(err.fieldViolations[0]?.field).toBe('Idempotency-Key');
    }
    expect(t.runs()).toBe(0);
  });
});

describe('Idempotency-Key on a read', () => {
  it('is ignored, even when malformed', async () => {
    const t = setup();
    await t.read('r', fakeCall({ key: 'x'.repeat(300) }));
    const again = fakeCall({ key: 'x'.repeat(300) });
    await t.read('r', again);
    expect(t.runs()).toBe(2);
    expect(again.headers.has('idempotent-replayed')).toBe(false);
  });
});

describe('parseIdempotencyKey', () => {
  it("takes Stripe's bare form and the IETF draft's structured-field string alike", () => {
    expect(parseIdempotencyKey('8e03978e-40d5-43e8-bc93-6894a57f9324')).toBe('8e03978e-40d5-43e8-bc93-6894a57f9324');
    expect(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toBe('8e03978e-40d5-43e8-bc93-6894a57f9324');
    expect(parseIdempotencyKey('"a \\"quoted\\" key"')).toBe('a "quoted" key');
    expect(parseIdempotencyKey('x'.repeat(255))).toHaveLength(255);
  });
});

describe('mutatingMethods', () => {
  it('holds exactly the methods whose HTTP rule is POST, PUT, PATCH or DELETE', () => {
    const set = mutatingMethods(readDescriptorSet());
    for (const m of [
      '/flix.identity.v1.IdentityService/Register', // POST
      '/flix.identity.v1.IdentityService/UpdateMe', // PATCH
      '/flix.engagement.v1.EngagementService/SetRating', // PUT
      '/flix.engagement.v1.EngagementService/DeleteRating', // DELETE
      '/flix.billing.v1.BillingService/CreateRental',
      '/flix.billing.v1.BillingService/CreateCheckoutSession',
    ])
      expect(set.has(m), m).toBe(true);
    for (const m of ['/flix.identity.v1.IdentityService/GetMe', '/flix.billing.v1.BillingService/ListPlans', '/flix.billing.v1.BillingService/CheckEntitlement'])
      expect(set.has(m), m).toBe(false);
  });
});

describe('through GrpcServer', () => {
  // Raw-bytes handlers under real Flix method paths, so the descriptor's HTTP rules apply.
  const REGISTER = raw('/flix.identity.v1.IdentityService/Register');
  const GET_ME = raw('/flix.identity.v1.IdentityService/GetMe');
  const definition = { register: REGISTER, getMe: GET_ME } satisfies ServiceDefinition;
  let server: GrpcServer;
  let client: Client;
  let registered = 0;
  let slowMs = 0;

  beforeAll(async () => {
    server = new GrpcServer({
      service: 'test',
      logger,
      verifier: async () => Promise.reject(new Error('no tokens here')),
      descriptorSet: readDescriptorSet(),
      idempotency: { store: new MemoryIdempotencyKeyStore() },
    });
    server.add(
      definition,
      {
        async register(req, ctx) {
          await new Promise((r) => setTimeout(r, slowMs));
          registered++;
          ctx.setResponseHeader('set-cookie', `refresh=${registered}`);
          return Buffer.from(`user #${registered} ${req.toString()}`);
        },
        async getMe() {
          return Buffer.from('me');
        },
      },
      { name: 'flix.identity.v1.IdentityService', publicMethods: ['register', 'getMe'] },
    );
    client = new Client(`127.0.0.1:${await server.start('127.0.0.1', 0)}`, credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await server?.stop(100);
  });

  function invoke(path: string, body: string, key?: string, deadlineMs?: number) {
    return new Promise<{ headers: Metadata; error: (Error & { code?: number }) | null; value?: Buffer }>((resolve) => {
      let headers = new Metadata();
      const md = new Metadata();
      if (key) md.set('idempotency-key', key);
      const opts = deadlineMs ? { deadline: Date.now() + deadlineMs } : {};
      const call = client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(body), md, opts, (error, value) => resolve({ headers, error, value }));
      call.on('metadata', (m) => (headers = m));
    });
  }

  it('a call that timed out still completes, and the retry with its key gets that answer instead of a second effect', async () => {
    expect((await invoke(GET_ME.path, '')).error).toBeNull(); // the connection is up, so the deadline is the handler's
    slowMs = 400;
    const timedOut = await invoke(REGISTER.path, 'ann', 'register-ann', 150);
    expect(timedOut.error?.code).toBe(4); // DEADLINE_EXCEEDED, as the gateway's 504
    await until(() => registered === 1);
    await new Promise((r) => setTimeout(r, 50));
    slowMs = 0;
    const retry = await invoke(REGISTER.path, 'ann', 'register-ann');
    expect(retry.error).toBeNull();
    expect(retry.value?.toString()).toBe('user #1 ann');
    expect(retry.headers.get('set-cookie')).toEqual(['refresh=1']);
    expect(retry.headers.get('idempotent-replayed')).toEqual(['true']);
    expect(registered).toBe(1);
  });

  it('answers a malformed key with INVALID_ARGUMENT on a mutating method, and ignores it on a read', async () => {
    const bad = await invoke(REGISTER.path, 'bob', 'k'.repeat(256));
    expect(bad.error?.code).toBe(3);
    expect(bad.error?.message).toContain('Idempotency-Key');
    const read = await invoke(GET_ME.path, '', 'k'.repeat(256));
    expect(read.error).toBeNull();
  });
});
