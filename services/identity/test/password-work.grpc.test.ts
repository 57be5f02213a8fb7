import { randomBytes } from 'node:crypto';
import { createClient, type PromiseClient } from '@flix/grpc';
import { IdentityServiceService, RefreshTokenDelivery } from '@flix/proto/flix/identity/v1/identity_service';
import { freePort, startMongo, startNats, type MongoHandle, type NatsHandle } from '@flix/testkit';
import { isDomainError } from '@flix/errors';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentity } from '../src/main.js';

// A flood of sign-ups against identity over real gRPC and MongoDB: password hashing is bounded
// per lane, so sign-ins keep their slot and the excess sign-ups are turned away at once.
const BODY = RefreshTokenDelivery.REFRESH_TOKEN_DELIVERY_UNSPECIFIED;
const PASSWORD = 'a-long-uncommon-passphrase';
const database = `identity_${randomBytes(4).toString('hex')}`;
let mongo: MongoHandle;
let nats: NatsHandle;
let service: Awaited<ReturnType<typeof startIdentity>>;
let client: PromiseClient<typeof IdentityServiceService>;

beforeAll(async () => {
  [mongo, nats] = await Promise.all([startMongo(), startNats()]);
  const [g, h] = await Promise.all([freePort(), freePort()]);
  service = await startIdentity({
    MONGO_URL: mongo.url,
    MONGO_DB: database,
    NATS_URL: nats.url,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(g),
    HTTP_PORT: String(h),
    LOG_LEVEL: 'silent',
    FLIX_PASSWORD_HASH_CONCURRENCY: '2',
    FLIX_REGISTER_HASH_CONCURRENCY: '1',
    FLIX_PASSWORD_HASH_QUEUE: '2',
    FLIX_PASSWORD_HASH_MAX_WAIT_MS: '30000',
  });
  client = createClient(IdentityServiceService, `127.0.0.1:${service.grpcPort}`);
});

afterAll(async () => {
  client?.close();
  await service?.stop();
  await Promise.all([mongo?.stop(), nats?.stop()]);
});

const register = (email: string) =>
  client.register({ email, password: PASSWORD, displayName: 'Flood', preferredLanguage: 'en', favouriteGenres: [], refreshTokenDelivery: BODY });

describe('password hashing under a sign-up flood', () => {
  it('turns excess sign-ups away with 503 + RetryInfo, stores none of them, and keeps sign-ins working', async () => {
    const owner = `owner-${Date.now()}@example.com`;
    await register(owner);

    const emails = Array.from({ length: 20 }, (_, i) => `flood-${i}-${Date.now()}@example.com`);
    const flood = Promise.all(emails.map((e) => register(e).then(() => 'ok' as const, (err: unknown) => err)));
    // Sign-ins during the flood: each finds its own slot, whatever the sign-ups do.
    const logins: string[] = [];
    for (let i = 0; i < 3; i++) {
      logins.push(await client.login({ email: owner, password: PASSWORD, refreshTokenDelivery: BODY }).then(() => 'ok', (e: unknown) => String(e)));
    }
    const results = await flood;
    expect(logins).toEqual(['ok', 'ok', 'ok']);

    const accepted = emails.filter((_, i) => results[i] === 'ok');
    const refused = results.filter((r) => r !== 'ok');
    // One hashing, two waiting: the rest are refused without waiting for a slot.
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(accepted.length).toBeLessThanOrEqual(5);
    for (const err of refused) {
      expect(isDomainError(err)).toBe(true);
      expect(err).toMatchObject({ kind: 'unavailable', reason: 'PASSWORD_WORK_OVERLOADED', message: 'too many sign-ups at once; try again in 1 second' });
      expect(Number((err as { retryAfterSeconds?: number }).retryAfterSeconds)).toBe(1);
    }

    // A refused sign-up left nothing behind; an accepted one is there.
    const db = new MongoClient(mongo.url);
    try {
      const stored = await db.db(database).collection('users').find({ email: { $in: emails } }, { projection: { email: 1 } }).toArray();
      expect(stored.map((u) => u.email).sort()).toEqual([...accepted].sort());
    } finally {
      await db.close();
    }
  });

  it('the OAuth password grant sheds a burst beyond the sign-in lane with 503 temporarily_unavailable and Retry-After', async () => {
    const owner = `oauth-${Date.now()}@example.com`;
    await register(owner);
    // Distinct addresses: this is about CPU, not about the per-address throttle.
    const answers = await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const res = await fetch(`http://127.0.0.1:${service.httpPort}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': `192.0.2.${i + 1}` },
          body: new URLSearchParams({ grant_type: 'password', username: owner, password: PASSWORD }).toString(),
        });
        return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { error?: string } };
      }),
    );
    const shed = answers.filter((a) => a.status !== 200);
    // Two hashing and two waiting at most: the others cannot all have been served.
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(2);
    expect(shed.length).toBeGreaterThanOrEqual(1);
    for (const a of shed) expect(a).toMatchObject({ status: 503, retryAfter: '1', body: { error: 'temporarily_unavailable' } });
  });
});
