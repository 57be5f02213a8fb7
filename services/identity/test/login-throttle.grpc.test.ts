import { randomBytes } from 'node:crypto';
import { createClient, type PromiseClient } from '@flix/grpc';
import { IdentityServiceService, RefreshTokenDelivery } from '@flix/proto/flix/identity/v1/identity_service';
import { freePort, startMongo, startNats, type MongoHandle, type NatsHandle } from '@flix/testkit';
import { isDomainError } from '@flix/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentity } from '../src/main.js';

// Login throttling over real gRPC, MongoDB and NATS. The client address is what the gateway
// would put last in x-forwarded-for; the service's clock is moved instead of sleeping.
const BODY = RefreshTokenDelivery.REFRESH_TOKEN_DELIVERY_UNSPECIFIED;
const PASSWORD = 'a-long-uncommon-passphrase';
const IP_LIMIT = 12;
let mongo: MongoHandle;
let nats: NatsHandle;
let nowMs = Date.now();
const clock = { now: () => new Date(nowMs) };
const advance = (seconds: number) => {
  nowMs += seconds * 1000;
};
const database = `identity_${randomBytes(4).toString('hex')}`;
let replicas: Awaited<ReturnType<typeof startIdentity>>[] = [];
let clients: PromiseClient<typeof IdentityServiceService>[] = [];

async function startReplica() {
  const [g, h] = await Promise.all([freePort(), freePort()]);
  const service = await startIdentity(
    {
      MONGO_URL: mongo.url,
      MONGO_DB: database,
      NATS_URL: nats.url,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(g),
      HTTP_PORT: String(h),
      LOG_LEVEL: 'silent',
      FLIX_ARGON2_MEMORY_KIB: '4096',
      FLIX_LOGIN_FREE_FAILURES: '3',
      FLIX_LOGIN_BASE_DELAY_SECONDS: '1',
      FLIX_LOGIN_MAX_DELAY_SECONDS: '900',
      FLIX_LOGIN_IP_FAILURE_LIMIT: String(IP_LIMIT),
      FLIX_LOGIN_THROTTLE_WINDOW_SECONDS: '900',
    },
    { clock },
  );
  replicas.push(service);
  clients.push(createClient(IdentityServiceService, `127.0.0.1:${service.grpcPort}`));
  return service;
}

let seq = 0;
const uniqueEmail = (tag: string) => `${tag}-${Date.now()}-${seq++}@example.com`;
let ipSeq = 0;
/** A fresh client address per scenario (TEST-NET-3), so scenarios do not share counters. */
const freshIp = () => `203.0.113.${++ipSeq}`;

async function register(email: string) {
  await clients[0]!.register({ email, password: PASSWORD, displayName: 'Owner', preferredLanguage: 'en', favouriteGenres: [], refreshTokenDelivery: BODY }, { metadata: { 'x-forwarded-for': '198.51.100.1' } });
}

type Outcome = { ok: true } | { ok: false; kind: string; reason: string; message: string; retryAfterSeconds?: number };

/** One login as the gateway would forward it from `ip`, reduced to what the caller sees. */
async function login(email: string, password: string, ip: string, replica = 0): Promise<Outcome> {
  try {
    await clients[replica]!.login({ email, password, refreshTokenDelivery: BODY }, { metadata: { 'x-forwarded-for': ip } });
    return { ok: true };
  } catch (e) {
    if (!isDomainError(e)) throw e;
    return { ok: false, kind: e.kind, reason: e.reason, message: e.message, ...(e.retryAfterSeconds !== undefined ? { retryAfterSeconds: Number(e.retryAfterSeconds) } : {}) };
  }
}

const WRONG = { ok: false, kind: 'unauthenticated', reason: 'INVALID_CREDENTIALS' };
const throttled = (seconds: number) => ({
  ok: false,
  kind: 'resource_exhausted',
  reason: 'LOGIN_THROTTLED',
  message: `too many failed sign-in attempts; try again in ${seconds} ${seconds === 1 ? 'second' : 'seconds'}`,
  retryAfterSeconds: seconds,
});

beforeAll(async () => {
  [mongo, nats] = await Promise.all([startMongo(), startNats()]);
  await startReplica();
});

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(replicas.map((r) => r.stop()));
  await Promise.all([mongo?.stop(), nats?.stop()]);
});

describe('login throttling (per account and address, progressive, no lockout)', () => {
  it("a stranger's wrong passwords from one address never stop the owner signing in from another", async () => {
    const email = uniqueEmail('owner');
    await register(email);
    const stranger = freshIp();
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 12; i++) outcomes.push(await login(email, `wrong-guess-${i}`, stranger));
    // Three free failures, a fourth that earns a one-second wait, then refusals during it.
    expect(outcomes.slice(0, 4)).toMatchObject([WRONG, WRONG, WRONG, WRONG]);
    expect(outcomes.slice(4)).toEqual(Array(8).fill(throttled(1)));
    // Even the right password is not tried from the stranger's address while it waits.
    expect(await login(email, PASSWORD, stranger)).toEqual(throttled(1));

    expect(await login(email, PASSWORD, freshIp())).toEqual({ ok: true });
  });

  it("the attacker's pair waits longer after each further failure, capped, with RetryInfo", async () => {
    const email = uniqueEmail('victim');
    await register(email);
    const attacker = freshIp();
    for (let i = 0; i < 3; i++) expect(await login(email, `wrong-${i}`, attacker)).toMatchObject(WRONG);
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      expect(await login(email, `wrong-more-${i}`, attacker)).toMatchObject(WRONG);
      const refused = await login(email, `wrong-early-${i}`, attacker);
      expect(refused).toMatchObject({ kind: 'resource_exhausted', reason: 'LOGIN_THROTTLED' });
      const wait = (refused as { retryAfterSeconds: number }).retryAfterSeconds;
      waits.push(wait);
      // One second short of the end it is still refused, with the remaining second.
      advance(wait - 1);
      expect(await login(email, `wrong-late-${i}`, attacker)).toEqual(throttled(1));
      advance(1);
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]);
    // The owner, elsewhere, is untouched by all of it.
    expect(await login(email, PASSWORD, freshIp())).toEqual({ ok: true });
  });

  it('a successful sign-in clears its pair: the next typos are free again', async () => {
    const email = uniqueEmail('typo');
    await register(email);
    const home = freshIp();
    for (let i = 0; i < 4; i++) expect(await login(email, `typo-${i}`, home)).toMatchObject(WRONG);
    advance(1);
    expect(await login(email, 'typo-after-wait', home)).toMatchObject(WRONG);
    expect(await login(email, PASSWORD, home)).toEqual(throttled(2));
    advance(2);
    expect(await login(email, PASSWORD, home)).toEqual({ ok: true });
    for (let i = 0; i < 3; i++) expect(await login(email, `typo-again-${i}`, home)).toMatchObject(WRONG);
    expect(await login(email, PASSWORD, home)).toEqual({ ok: true });
  });

  it('an address spraying passwords over many accounts is slowed for every account; others are not', async () => {
    const owner = uniqueEmail('sprayed-owner');
    await register(owner);
    const sprayer = freshIp();
    for (let i = 0; i < IP_LIMIT + 1; i++) expect(await login(uniqueEmail(`spray-${i}`), 'Summer2024!', sprayer)).toMatchObject(WRONG);
    // Over the limit: every account is delayed from that address, known or not, right password or not.
    expect(await login(uniqueEmail('spray-next'), 'Summer2024!', sprayer)).toEqual(throttled(1));
    expect(await login(owner, PASSWORD, sprayer)).toEqual(throttled(1));
    expect(await login(owner, PASSWORD, freshIp())).toEqual({ ok: true });
    // The delay grows with each further failure from that address.
    advance(1);
    expect(await login(uniqueEmail('spray-late'), 'Summer2024!', sprayer)).toMatchObject(WRONG);
    expect(await login(owner, PASSWORD, sprayer)).toEqual(throttled(2));
    advance(2);
    expect(await login(owner, PASSWORD, sprayer)).toEqual({ ok: true });
  });

  it('answers for an unknown e-mail exactly as for a known one, throttling included', async () => {
    const known = uniqueEmail('known');
    await register(known);
    const unknown = uniqueEmail('nobody');
    const run = async (email: string, ip: string) => {
      const seen: Outcome[] = [];
      for (let i = 0; i < 6; i++) seen.push(await login(email, `guess-${i}`, ip));
      advance(1);
      seen.push(await login(email, 'guess-after-wait', ip));
      seen.push(await login(email, 'guess-too-soon', ip));
      return seen;
    };
    const forKnown = await run(known, freshIp());
    const forUnknown = await run(unknown, freshIp());
    expect(forUnknown).toEqual(forKnown);
    expect(forKnown.map((o) => (o.ok ? 'ok' : o.reason))).toEqual([
      'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'LOGIN_THROTTLED', 'LOGIN_THROTTLED',
      'INVALID_CREDENTIALS', 'LOGIN_THROTTLED',
    ]);
    for (const o of forKnown) if (!o.ok) expect(o.message).not.toContain(known);
  });

  it('an IPv6 attacker rotating addresses within its /64 is still one address', async () => {
    const email = uniqueEmail('v6-victim');
    await register(email);
    for (let i = 1; i <= 4; i++) expect(await login(email, `wrong-${i}`, `2001:db8:77:1::${i.toString(16)}`)).toMatchObject(WRONG);
    expect(await login(email, 'wrong-from-a-new-host', '2001:db8:77:1:ffff::5')).toEqual(throttled(1));
    // Another /64 is another address: the owner there signs in.
    expect(await login(email, PASSWORD, '2001:db8:77:2::1')).toEqual({ ok: true });
  });

  it('a second replica on the same database sees the same counters', async () => {
    await startReplica();
    const email = uniqueEmail('replicated');
    await register(email);
    const attacker = freshIp();
    for (let i = 0; i < 4; i++) expect(await login(email, `wrong-${i}`, attacker, 0)).toMatchObject(WRONG);
    expect(await login(email, 'wrong-on-the-other-replica', attacker, 1)).toEqual(throttled(1));
  });

  it('the OAuth password grant answers a throttled attempt with 429, slow_down and Retry-After', async () => {
    const email = uniqueEmail('oauth');
    await register(email);
    const attacker = freshIp();
    const token = (password: string) =>
      fetch(`http://127.0.0.1:${replicas[0]!.httpPort}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': attacker },
        body: new URLSearchParams({ grant_type: 'password', username: email, password }).toString(),
      });
    for (let i = 0; i < 4; i++) expect((await token(`wrong-${i}`)).status).toBe(400);
    const refused = await token(PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual({ error: 'slow_down', error_description: 'too many failed sign-in attempts; try again in 1 second' });
    advance(1);
    expect((await token(PASSWORD)).status).toBe(200);
  });
});
