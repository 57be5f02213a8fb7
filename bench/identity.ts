/**
 * Identity benchmarks, one run:
 *  1. logins per second through the gateway (argon2id-bound by design);
 *  2. GET /v1/users/me through the gateway vs. the same GetMe made directly over gRPC,
 *     with the gateway's overhead as a ratio (target: at most 2× the direct call).
 * Usage: npx tsx bench/identity.ts [--seconds 10] [--concurrency 16]
 */
import { Agent } from 'node:http';
import { Metadata, credentials, Client } from '@grpc/grpc-js';
import { IdentityServiceService } from '@flix/proto/flix/identity/v1/identity_service';
import { closedLoop, printTable, type LoadResult } from './lib/stats.js';
import { startSystem } from './lib/system.js';
import { arg } from './lib/args.js';
import { httpJson } from './lib/http.js';

const seconds = arg('seconds', 10);
const concurrency = arg('concurrency', 16);

const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const http = async (base: string, method: string, path: string, body?: unknown, token?: string) => {
  const r = await httpJson(agent, base + path, method, body, token);
  return { status: r.status, body: r.text };
};

const system = await startSystem();
const results: LoadResult[] = [];
try {
  const gw = system.gatewayUrl;
  const users = await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      const email = `bench-${Date.now()}-${i}@example.com`;
      const res = await http(gw, 'POST', '/v1/auth/register', { email, password: 'bench-user-passphrase', displayName: `Bench ${i}` });
      if (res.status !== 200) throw new Error(`register failed: ${res.status} ${res.body}`);
      return { email, token: (JSON.parse(res.body) as { accessToken: string }).accessToken };
    }),
  );

  results.push(
    await closedLoop('login (gateway, argon2id)', { concurrency: 4, seconds }, async (w) => {
      const u = users[w % users.length]!;
      return (await http(gw, 'POST', '/v1/auth/login', { email: u.email, password: 'bench-user-passphrase' })).status === 200;
    }),
  );

  // Warm both paths (JIT, connection pools, JWKS cache) before measuring.
  for (let i = 0; i < 200; i++) await http(gw, 'GET', '/v1/users/me', undefined, users[i % users.length]!.token);

  const gateway = await closedLoop('GET /v1/users/me via gateway', { concurrency, seconds }, async (w) =>
    (await http(gw, 'GET', '/v1/users/me', undefined, users[w % users.length]!.token)).status === 200,
  );

  const channels = Array.from({ length: 4 }, () => new Client('127.0.0.1:50051', credentials.createInsecure()));
  const getMe = IdentityServiceService.getMe;
  const direct = (w: number) =>
    new Promise<boolean>((resolve) => {
      const md = new Metadata();
      md.set('authorization', `Bearer ${users[w % users.length]!.token}`);
      channels[w % channels.length]!.makeUnaryRequest(getMe.path, getMe.requestSerialize, getMe.responseDeserialize, {}, md, (err) => resolve(!err));
    });
  for (let i = 0; i < 200; i++) await direct(i);
  const grpc = await closedLoop('GetMe direct gRPC', { concurrency, seconds }, direct);
  results.push(gateway, grpc);
  channels.forEach((c) => c.close());

  printTable(results);
  console.log(`\ngateway overhead: throughput ratio direct/gateway = ${(grpc.rps / gateway.rps).toFixed(2)}×, ` +
    `p50 ratio gateway/direct = ${(gateway.p50 / grpc.p50).toFixed(2)}×, p99 ratio = ${(gateway.p99 / grpc.p99).toFixed(2)}× (target ≤ 2×)`);
} finally {
  agent.destroy();
  await system.stop();
}
