/**
 * Checks on the real gateway-envoy/envoy.yaml: every Flix gRPC service is transcoded and routed,
 * the public JWT rules are there, and the local gateway boots from it with the real descriptor.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createFileRegistry, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { createLogger } from '@flix/logging';
import { DESCRIPTOR_SET_PATH, readDescriptorSet } from '@flix/proto/descriptor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalGateway, loadEnvoyConfig, type MatchInput, matchRoute, startLocalGateway, summarize } from '../src/index.js';
import { REPO_ROOT } from './support/descriptor.js';

const YAML = join(REPO_ROOT, 'gateway-envoy/envoy.yaml');
const config = loadEnvoyConfig(YAML);
const summary = summarize(config);

function descriptorServices(): string[] {
  if (!existsSync(DESCRIPTOR_SET_PATH)) throw new Error(`${DESCRIPTOR_SET_PATH} is missing: run npm run generate`);
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readDescriptorSet()));
  return [...registry.files].flatMap((f) => (f.proto.package.startsWith('flix.') ? f.services.map((s) => s.typeName) : []));
}

/** Services only other services call (identity's data export asks each service for its part). */
const INTERNAL_SERVICES = ['flix.privacy.v1.PersonalDataService'];

const request = (method: string, path: string): MatchInput => ({ method, path, headers: {}, authority: 'gateway' });

function firstJwtRule(method: string, path: string) {
  return summary.jwt!.rules.find((r) => matchRoute(r.match, request(method, path)));
}

describe('gateway-envoy/envoy.yaml', () => {
  it('transcodes every flix.* gRPC service and routes it to an HTTP/2, health-checked cluster', () => {
    const services = descriptorServices();
    expect(services.length).toBeGreaterThan(0);
    const gaps: string[] = [];
    for (const service of services.filter((s) => !INTERNAL_SERVICES.includes(s))) {
      const route = summary.grpcRoutes.find((r) => r.prefix === `/${service}/`);
      const cluster = route && config.clusters.get(route.cluster);
      if (!summary.transcodedServices.includes(service)) gaps.push(`${service}: not in the transcoder's services`);
      if (!route) gaps.push(`${service}: no route for /${service}/`);
      else if (!cluster?.http2 || !cluster.healthChecks.length) gaps.push(`${service}: cluster ${route.cluster} is not HTTP/2 with gRPC health checks`);
      else if (!summary.healthCheckedClusters.includes(route.cluster)) gaps.push(`${service}: ${route.cluster} is not in /healthz's cluster list`);
    }
    // A gap means a service was added to proto/ without its gateway entries (see the YAML's header).
    expect(gaps).toEqual([]);
  });

  it('neither transcodes nor routes the internal services', () => {
    expect(descriptorServices()).toEqual(expect.arrayContaining(INTERNAL_SERVICES));
    for (const service of INTERNAL_SERVICES) {
      expect(summary.transcodedServices).not.toContain(service);
      expect(summary.grpcRoutes.find((r) => r.prefix === `/${service}/`)).toBeUndefined();
    }
  });

  it('keeps registration, login and refresh (and the plain-HTTP endpoints) public', () => {
    for (const path of ['/v1/auth/register', '/v1/auth/login', '/v1/auth/refresh']) {
      const rule = firstJwtRule('POST', path);
      expect(rule, path).toBeDefined();
      expect(rule!.requires, path).toBeUndefined();
    }
    for (const [method, path] of [
      ['POST', '/oauth/token'],
      ['GET', '/.well-known/jwks.json'],
      ['POST', '/webhooks/stripe'],
      ['GET', '/healthz'],
    ]) {
      expect(firstJwtRule(method!, path!)?.requires, path).toBeUndefined();
    }
  });

  it('requires a token for the rest of /v1/ and makes catalog browsing token-optional', () => {
    expect(firstJwtRule('GET', '/v1/users/me')?.requires).toEqual({ kind: 'provider', provider: 'flix_identity' });
    expect(firstJwtRule('POST', '/v1/auth/logout')?.requires).toEqual({ kind: 'provider', provider: 'flix_identity' });
    const optional = { kind: 'any', requirements: [{ kind: 'provider', provider: 'flix_identity' }, { kind: 'allow_missing' }] };
    expect(firstJwtRule('GET', '/v1/movies:search?q=x')?.requires).toEqual(optional);
    expect(firstJwtRule('GET', '/v1/genres')?.requires).toEqual(optional);
    expect(firstJwtRule('POST', '/v1/movies')?.requires).toEqual({ kind: 'provider', provider: 'flix_identity' });
  });

  it('verifies identity tokens against its JWKS and forwards them', () => {
    const [provider] = summary.jwt!.providers;
    expect(provider).toMatchObject({
      issuer: 'flix-identity',
      audiences: ['flix-api'],
      forward: true,
      jwks: { kind: 'remote', uri: 'http://identity:8081/.well-known/jwks.json', cluster: 'identity_http', cacheDurationMs: 300_000 },
    });
  });

  it('has the agreed CORS policy, rate limits, body limit and Status JSON local replies', () => {
    expect(summary.cors).toHaveLength(1);
    expect(summary.cors[0]).toMatchObject({
      allowMethods: 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
      allowHeaders: 'authorization, content-type, x-request-id, traceparent, idempotency-key',
      exposeHeaders: 'grpc-status, grpc-message, x-request-id, retry-after, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset',
      maxAge: '86400',
    });
    expect(summary.cors[0]!.allowOrigins.map((o) => o.value)).toEqual(['http://localhost:3000', 'http://127.0.0.1:3000']);
    // No shared bucket any more: routes carry per-address / per-account descriptors.
    expect(summary.rateLimits.find((r) => r.where.startsWith('filter '))?.bucket).toBeUndefined();
    for (const where of ['route identity_oauth', 'route api_auth', 'route api_register', 'route api_read', 'route api']) {
      expect(summary.rateLimits.map((r) => r.where)).toContain(where);
    }
    expect(summary.maxRequestBytes).toBe(1024 * 1024);
    const codeFor = (status: number) => {
      const m = summary.localReplyMappers.find((x) => x.filter.kind === 'status' && x.filter.value === status);
      return m?.bodyFormat?.kind === 'json' ? m.bodyFormat.template.code : undefined;
    };
    expect([400, 401, 403, 404, 413, 429, 503, 504].map(codeFor)).toEqual([3, 16, 7, 5, 8, 8, 14, 4]);
  });
});

describe('the local gateway on the real config and descriptor, with identity down', () => {
  let gateway: LocalGateway;

  beforeAll(async () => {
    // Ports nothing listens on.
    const closed = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<number>((resolve) => {
            const srv = createServer().listen(0, '127.0.0.1', () => {
              const { port } = srv.address() as { port: number };
              srv.close(() => resolve(port));
            });
          }),
      ),
    );
    gateway = await startLocalGateway({
      port: 0,
      envoyConfig: YAML,
      descriptorSet: readDescriptorSet(),
      upstreams: { identity_grpc: `127.0.0.1:${closed[0]}`, identity_http: `127.0.0.1:${closed[1]}` },
      logger: createLogger('gateway-local-test', { level: 'silent' }),
    });
  });

  afterAll(() => gateway?.close());

  const call = async (path: string, init?: RequestInit) => {
    const res = await fetch(gateway.url + path, init);
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
  };

  it('reports /healthz 503 while identity is not serving', async () => {
    expect(await call('/healthz')).toMatchObject({ status: 503, json: { code: 14 } });
  });

  it('transcodes identity routes and answers Envoy-style when identity is unreachable', async () => {
    const login = await call('/v1/auth/login', { method: 'POST', body: JSON.stringify({ email: 'a@b.c', password: 'x' }) });
    expect(login.status).toBe(503);
    expect(login.json.code).toBe(14);
    expect(login.json.message).toContain('upstream connect error');
    const malformed = await call('/v1/auth/login', { method: 'POST', body: '{"email": ' });
    expect(malformed).toMatchObject({ status: 400, json: { code: 3 } });
    const unknown = await call('/v1/auth/login', { method: 'POST', body: JSON.stringify({ username: 'a' }) });
    expect(unknown).toMatchObject({ status: 400, json: { code: 3, message: 'username: Cannot find field.' } });
  });

  it('requires a token for /v1/users/me', async () => {
    expect(await call('/v1/users/me')).toMatchObject({ status: 401, json: { code: 16, message: 'Jwt is missing' } });
  });

  it('proxies plain-HTTP routes instead of transcoding them', async () => {
    const r = await call('/oauth/token', { method: 'POST', body: 'grant_type=password', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(503);
    expect(r.json.message).toContain('upstream connect error');
  });
});
