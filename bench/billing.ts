/**
 * Billing benchmarks, one run:
 *  1. Stripe webhook ingestion: signed events POSTed to /webhooks/stripe (verify + store raw +
 *     outbox, answered 200), then how fast the consumer applies them (checkout → subscription).
 *  2. CheckEntitlement over direct gRPC from several connections: throughput and p99
 *     (target p99 < 5 ms in-service).
 * Billing runs in this process on the embedded MongoDB and a local nats-server, with the
 * in-memory Stripe double of billing's integration tests (Stripe is not on either hot path:
 * ingestion only verifies signatures, entitlement checks never call it). Load generator and
 * service share the process and its two cores, so the numbers are conservative.
 * Usage: npx tsx bench/billing.ts [--seconds 8] [--concurrency 32] [--users 150] [--connections 4]
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { createClient } from '@flix/grpc';
import { BillingServiceService } from '@flix/proto/flix/billing/v1/billing_service';
import { PlanTier } from '@flix/proto/flix/billing/v1/resources';
import { freePort, startMongo, startNats } from '@flix/testkit';
import { startBilling } from '../services/billing/src/main.js';
import { FakeStripe } from '../services/billing/test/fake-stripe.js';
import { startTestKeys } from '../services/billing/test/helpers.js';
import { closedLoop, printTable, summarise, type LoadResult } from './lib/stats.js';
import { arg } from './lib/args.js';

const seconds = arg('seconds', 8);
const concurrency = arg('concurrency', 32);
const users = arg('users', 150);
const connections = arg('connections', 4);

const [mongo, nats, keys] = await Promise.all([startMongo(), startNats(), startTestKeys()]);
const stripe = new FakeStripe();
const [grpcPort, httpPort] = await Promise.all([freePort(), freePort()]);
const svc = await startBilling(
  {
    MONGO_URL: mongo.url,
    MONGO_DB: `billing_bench_${randomBytes(3).toString('hex')}`,
    NATS_URL: nats.url,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(grpcPort),
    HTTP_PORT: String(httpPort),
    LOG_LEVEL: 'silent',
    FLIX_JWKS_URL: keys.jwksUrl,
    STRIPE_API_BASE: 'http://127.0.0.1:1',
  },
  {
    clock: { now: () => new Date(stripe.nowMs) },
    stripe: { provider: stripe.provider, isSignatureError: stripe.isSignatureError },
    movies: { get: async (id) => ({ id, title: id, requiredTier: 'STANDARD', rentalPrice: { amountMinor: 399, currency: 'USD' } }) },
  },
);
const results: LoadResult[] = [];
try {
  // --- 1. Webhook ingestion: every user checks out; Stripe's events for the payments are delivered.
  const ids = Array.from({ length: users }, (_, i) => `bench-user-${i}`);
  const plans = ['basic-monthly', 'standard-monthly', 'premium-yearly'];
  const events: { id: string; raw: string; header: string }[] = [];
  for (const [i, u] of ids.entries()) {
    const principal = { subject: u, roles: [], scopes: [], isService: false, tokenId: '', expiresAt: new Date(Date.now() + 3600_000) };
    const s = await svc.billing.subscriptions.checkout(principal, { planId: plans[i % plans.length]!, successUrl: '', cancelUrl: '' });
    events.push(...stripe.pay(s.sessionId));
  }
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const post = (e: { raw: string; header: string }) =>
    new Promise<number>((resolve, reject) => {
      const req = request(`http://127.0.0.1:${svc.httpPort}/webhooks/stripe`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'stripe-signature': e.header, 'content-length': Buffer.byteLength(e.raw) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(e.raw);
    });
  let next = 0;
  let rejected = 0;
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let e = events[next++]; e; e = events[next++]) {
        const s = performance.now();
        if ((await post(e)) === 200) lat.push(performance.now() - s);
        else rejected++;
      }
    }),
  );
  results.push(summarise('POST /webhooks/stripe (verify+store+outbox, 16 in flight)', lat, rejected, (performance.now() - t0) / 1000));
  const db = svc.store.stripeEvents;
  for (;;) {
    const appliedCount = await db.countDocuments({ appliedAt: { $ne: null } });
    if (appliedCount >= events.length) break;
    if (performance.now() - t0 > 180_000) throw new Error(`only ${appliedCount}/${events.length} events applied`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const applySeconds = (performance.now() - t0) / 1000;
  console.log(`webhook pipeline: ${events.length} events received and applied in ${applySeconds.toFixed(2)} s → ${(events.length / applySeconds).toFixed(1)} events/s end to end`);

  // --- 2. CheckEntitlement over direct gRPC, several connections.
  const token = await keys.token('playback', ['service']);
  const clients = Array.from({ length: connections }, () =>
    // A distinct channel option per client keeps grpc-js from sharing one connection.
    createClient(BillingServiceService, `127.0.0.1:${svc.grpcPort}`, { deadlineMs: 5_000 }),
  );
  const md = { metadata: { authorization: `Bearer ${token}` } };
  const check = async (w: number) => {
    const u = ids[Math.floor(Math.random() * ids.length)]!;
    const r = await clients[w % clients.length]!.checkEntitlement({ userId: u, movieId: 'm1', requiredTier: PlanTier.PLAN_TIER_STANDARD, startingPlayback: false }, md);
    return typeof r.allowed === 'boolean';
  };
  for (let i = 0; i < 500; i++) await check(i); // warm-up (JIT, JWKS, connections)
  results.push(await closedLoop(`CheckEntitlement gRPC (${connections} conns, ${concurrency} in flight)`, { concurrency, seconds }, check));
  results.push(await closedLoop(`CheckEntitlement gRPC (${connections} conns, 4 in flight)`, { concurrency: 4, seconds }, check));

  // In-service latency: the handler's own time (domain + one indexed read), without gRPC and auth.
  const samples: number[] = [];
  const principal = { subject: 'playback', roles: ['service'], scopes: [], isService: true, tokenId: '', expiresAt: new Date(Date.now() + 3600_000) };
  const endAt = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (performance.now() < endAt) {
        const u = ids[Math.floor(Math.random() * ids.length)]!;
        const s = performance.now();
        await svc.billing.entitlements.check(principal, { userId: u, movieId: 'm1', requiredTier: 'STANDARD', startingPlayback: false });
        samples.push(performance.now() - s);
      }
    }),
  );
  results.push(summarise('CheckEntitlement in-service (8 in flight)', samples, 0, seconds));
  for (const c of clients) c.close();
  agent.destroy();
} finally {
  printTable(results);
  await svc.stop();
  await Promise.all([mongo.stop(), nats.stop(), keys.close()]);
}
