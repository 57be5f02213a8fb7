import { randomBytes } from 'node:crypto';
import { createClient, type PromiseClient } from '@flix/grpc';
import { IdentityServiceService, RefreshTokenDelivery } from '@flix/proto/flix/identity/v1/identity_service';
import { Role } from '@flix/proto/flix/identity/v1/resources';
import { freePort, startMongo, startNats, type MongoHandle, type NatsHandle } from '@flix/testkit';
import { DomainError } from '@flix/errors';
import { Client, credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentity } from '../src/main.js';

const BODY = RefreshTokenDelivery.REFRESH_TOKEN_DELIVERY_UNSPECIFIED;
let mongo: MongoHandle;
let nats: NatsHandle;
let service: Awaited<ReturnType<typeof startIdentity>>;
let client: PromiseClient<typeof IdentityServiceService>;
const env = (grpcPort: number, httpPort: number) => ({
  MONGO_URL: mongo.url,
  MONGO_DB: `identity_${randomBytes(4).toString('hex')}`,
  NATS_URL: nats.url,
  GRPC_HOST: '127.0.0.1',
  GRPC_PORT: String(grpcPort),
  HTTP_PORT: String(httpPort),
  LOG_LEVEL: 'silent',
});

beforeAll(async () => {
  [mongo, nats] = await Promise.all([startMongo(), startNats()]);
  const [g, h] = await Promise.all([freePort(), freePort()]);
  service = await startIdentity(env(g, h));
  client = createClient(IdentityServiceService, `127.0.0.1:${service.grpcPort}`);
});

afterAll(async () => {
  client?.close();
  await service?.stop();
  await Promise.all([mongo?.stop(), nats?.stop()]);
});

describe('identity over gRPC (no gateway)', () => {
  it('registers, logs in and answers GetMe for the bearer of the token', async () => {
    const email = `grpc-${Date.now()}@example.com`;
    const reg = await client.register({ email, password: 'a-long-uncommon-passphrase', displayName: 'Gee', preferredLanguage: 'en', favouriteGenres: ['Drama'], refreshTokenDelivery: BODY });
    expect(reg.user?.roles).toEqual([Role.ROLE_VIEWER]);
    const login = await client.login({ email, password: 'a-long-uncommon-passphrase', refreshTokenDelivery: BODY });
    const me = await client.getMe({}, { metadata: { authorization: `Bearer ${login.accessToken}` } });
    expect(me).toMatchObject({ email, displayName: 'Gee', favouriteGenres: ['drama'] });
  });

  it('maps domain errors to status codes with the reason kept across the hop', async () => {
    const err = await client.getMe({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).kind).toBe('unauthenticated');
    const bad = await client.register({ email: 'nope', password: 'x', displayName: '', preferredLanguage: '', favouriteGenres: [], refreshTokenDelivery: BODY }).catch((e: unknown) => e);
    expect((bad as DomainError).kind).toBe('invalid_argument');
    expect((bad as DomainError).reason).toBe('INVALID_ARGUMENT');
    expect((bad as DomainError).fieldViolations.map((v) => v.field).sort()).toEqual(['displayName', 'email', 'password']);
  });

  it('serves grpc.health.v1 and server reflection', async () => {
    const raw = new Client(`127.0.0.1:${service.grpcPort}`, credentials.createInsecure());
    const healthPath = '/grpc.health.v1.Health/Check';
    // HealthCheckRequest{service:""} is an empty message; the reply's field 1 is the status (1 = SERVING).
    const reply = await new Promise<Buffer>((resolve, reject) =>
      raw.makeUnaryRequest(healthPath, (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (e, v) => (e ? reject(e) : resolve(v!))),
    );
    expect([...reply]).toEqual([0x08, 0x01]);
    // ServerReflectionRequest{list_services: ""} is field 7 (tag 0x3a) with an empty string.
    const call = raw.makeBidiStreamRequest('/grpc.reflection.v1.ServerReflection/ServerReflectionInfo', (b: Buffer) => b, (b: Buffer) => b);
    const listing = await new Promise<string>((resolve, reject) => {
      call.on('data', (b: Buffer) => resolve(b.toString('latin1')));
      call.on('error', reject);
      call.write(Buffer.from([0x3a, 0x00]));
      call.end();
    });
    expect(listing).toContain('flix.identity.v1.IdentityService');
    raw.close();
  });

  it('serves /metrics with per-RPC latency', async () => {
    const text = await (await fetch(`http://127.0.0.1:${service.httpPort}/metrics`)).text();
    expect(text).toMatch(/flix_grpc_server_handling_seconds_count\{service="identity",method="Login",code="OK"\} \d+/);
  });
});
