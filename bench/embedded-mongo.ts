/**
 * Throughput/latency of the embedded MongoDB-compatible server through the official driver:
 *   npx tsx bench/embedded-mongo.ts [--docs 100000] [--memory]
 * Durable by default (journal + fsync group commit in a temp dir, removed afterwards).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MongoClient, type Collection, type Document } from 'mongodb';
import { startEmbeddedMongo } from '@flix/mongo-embedded';

const { values } = parseArgs({ options: { docs: { type: 'string', default: '100000' }, memory: { type: 'boolean', default: false } } });
const DOCS = Number(values.docs);

interface Result {
  name: string;
  ops: number;
  seconds: number;
  p50: number;
  p99: number;
}

async function measure(name: string, ops: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<Result> {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < ops; i = next++) {
        const s = performance.now();
        await op(i);
        lat.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))];
  const r = { name, ops, seconds, p50: pct(0.5), p99: pct(0.99) };
  console.log(
    `${name.padEnd(44)} ${String(Math.round(ops / seconds)).padStart(7)} ops/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms`,
  );
  return r;
}

const dir = values.memory ? null : mkdtempSync(join(tmpdir(), 'flix-bench-mongo-'));
const server = await startEmbeddedMongo({ dataDir: dir });
const client = await new MongoClient(server.url, { maxPoolSize: 64 }).connect();
try {
  console.log(`embedded mongo, ${dir ? 'durable (journal + fsync)' : 'in-memory'}, ${DOCS} documents\n`);
  const db = client.db('bench');
  const scratch: Collection<Document> = db.collection('inserts');
  await measure('insertOne, 1 in flight', 2_000, 1, (i) => scratch.insertOne({ i, kind: 'seq' }));
  await measure('insertOne, 64 in flight (group commit)', 20_000, 64, (i) => scratch.insertOne({ i, kind: 'par' }));

  const users = db.collection('users');
  await users.createIndex({ email: 1 }, { unique: true });
  const t0 = performance.now();
  for (let i = 0; i < DOCS; i += 1000) {
    await users.insertMany(
      Array.from({ length: Math.min(1000, DOCS - i) }, (_, j) => ({
        _id: `user-${i + j}` as never,
        email: `user${i + j}@example.com`,
        name: `User ${i + j}`,
        plan: ['basic', 'standard', 'premium'][(i + j) % 3],
        createdAt: new Date(),
      })),
    );
  }
  console.log(`${'load via insertMany(1000)'.padEnd(44)} ${String(Math.round(DOCS / ((performance.now() - t0) / 1000))).padStart(7)} docs/s`);

  const rnd = () => Math.floor(Math.random() * DOCS);
  await measure('findOne by _id, 1 in flight', 5_000, 1, () => users.findOne({ _id: `user-${rnd()}` as never }));
  await measure('findOne by _id, 16 in flight', 20_000, 16, () => users.findOne({ _id: `user-${rnd()}` as never }));
  await measure('findOne by indexed email, 1 in flight', 5_000, 1, () => users.findOne({ email: `user${rnd()}@example.com` }));
  await measure('findOne by indexed email, 16 in flight', 20_000, 16, () => users.findOne({ email: `user${rnd()}@example.com` }));
  await measure('updateOne by indexed email, 16 in flight', 10_000, 16, () => users.updateOne({ email: `user${rnd()}@example.com` }, { $inc: { logins: 1 } }));
  await measure('findOne by unindexed name (full scan)', 20, 1, () => users.findOne({ name: `User ${rnd()}` }));
} finally {
  await client.close();
  await server.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
