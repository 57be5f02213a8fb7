/**
 * Engagement benchmarks, one run, over direct gRPC (several connections):
 *  1. SetRating spread over many profiles and titles (validation, one CAS transaction with the
 *     outbox entry), then how long the outbox takes to publish every event.
 *  2. SetRating contended: every request re-rates the SAME profile+title. Afterwards the
 *     published events are checked: their deltas must add up to the final rating exactly.
 *  3. ListReviews (public, page of 20) on a title with 2,000 reviews.
 *  4. AddToWatchlist (mostly new titles) and ListWatchlist.
 * Engagement runs in this process on the embedded MongoDB and a local nats-server; the catalog
 * and identity are the integration tests' in-memory doubles (both are cached in production).
 * Load generator and service share the process and its two cores: the numbers are conservative.
 * Usage: npx tsx bench/engagement.ts [--seconds 6] [--concurrency 16] [--connections 4]
 */
import { randomBytes } from 'node:crypto';
import { connectNats } from '@flix/events';
import { createClient } from '@flix/grpc';
import { EngagementServiceService } from '@flix/proto/flix/engagement/v1/engagement_service';
import { freePort, startMongo, startNats } from '@flix/testkit';
import { startEngagement } from '../services/engagement/src/main.js';
import { startTestKeys, streamEvents } from '../services/engagement/test/helpers.js';
import { closedLoop, printTable, type LoadResult } from './lib/stats.js';
import { arg } from './lib/args.js';

const seconds = arg('seconds', 6);
const concurrency = arg('concurrency', 16);
const connections = arg('connections', 4);

const [mongo, natsServer, keys] = await Promise.all([startMongo(), startNats(), startTestKeys()]);
const [grpcPort, httpPort] = await Promise.all([freePort(), freePort()]);
const svc = await startEngagement(
  {
    MONGO_URL: mongo.url,
    MONGO_DB: `engagement_bench_${randomBytes(3).toString('hex')}`,
    NATS_URL: natsServer.url,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(grpcPort),
    HTTP_PORT: String(httpPort),
    LOG_LEVEL: 'silent',
    FLIX_JWKS_URL: keys.jwksUrl,
  },
  {
    movies: { get: async (id) => ({ id, maturity: 'PG13' }) },
    // Every profile "bench.*" belongs to the single bench account.
    profiles: { maxMaturity: async () => 'NC17' },
  },
);
const nats = await connectNats(natsServer.url, 'engagement-bench');
const results: LoadResult[] = [];
const clients = Array.from({ length: connections }, () => createClient(EngagementServiceService, `127.0.0.1:${svc.grpcPort}`, { deadlineMs: 10_000 }));
const md = { metadata: { authorization: `Bearer ${await keys.token('bench')}` } };
const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;
const outboxPending = () => svc.store.ratings.db.collection('outbox').countDocuments({ state: 'pending' });
async function drain(what: string): Promise<number> {
  const t0 = performance.now();
  while ((await outboxPending()) > 0) {
    if (performance.now() - t0 > 300_000) throw new Error(`outbox never drained after ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return (performance.now() - t0) / 1000;
}

try {
  const profiles = Array.from({ length: 500 }, (_, i) => `bench.p${i}`);
  const movies = Array.from({ length: 200 }, (_, i) => `m-${i}`);
  for (let i = 0; i < 200; i++) await clients[i % connections]!.setRating({ movieId: pick(movies), profileId: pick(profiles), stars: 3, review: '' }, md); // warm-up

  // --- 1. Spread ratings.
  const spread = await closedLoop(`SetRating spread (${connections} conns, ${concurrency} in flight)`, { concurrency, seconds }, async (w) => {
    const r = await clients[w % connections]!.setRating({ movieId: pick(movies), profileId: pick(profiles), stars: 1 + Math.floor(Math.random() * 5), review: Math.random() < 0.2 ? 'Bench review text.' : '' }, md);
    return r.stars > 0;
  });
  results.push(spread);
  const drainSeconds = await drain('spread ratings');
  console.log(`outbox: drained ${drainSeconds.toFixed(2)} s after the spread load ended`);

  // --- 2. Contended re-rating of one profile+title.
  const hot = { movieId: 'm-hot', profileId: `bench.hot${randomBytes(2).toString('hex')}` };
  results.push(
    await closedLoop(`SetRating contended, one profile+title (${concurrency} in flight)`, { concurrency, seconds }, async (w) => {
      const r = await clients[w % connections]!.setRating({ ...hot, stars: 1 + (w % 5), review: '' }, md);
      return r.stars > 0;
    }),
  );
  await drain('contended ratings');
  const final = await clients[0]!.getRating(hot, md);
  const events = await streamEvents(nats.jsm, hot.profileId);
  const sum = events.reduce((s, e) => s + Number(e.data.stars) - Number(e.data.previousStars ?? 0), 0);
  const firsts = events.filter((e) => !e.data.previousStars).length;
  console.log(`contended: ${events.length} events; sum of deltas ${sum} vs final stars ${final.stars}; first ratings ${firsts} → ${sum === final.stars && firsts === 1 ? 'EXACT' : 'WRONG'}`);

  // --- 3. Reviews of a busy title.
  const reviewed = 'm-reviewed';
  for (let i = 0; i < 2000; i += 16)
    await Promise.all(Array.from({ length: 16 }, (_, j) => clients[j % connections]!.setRating({ movieId: reviewed, profileId: `bench.r${i + j}`, stars: 1 + ((i + j) % 5), review: `Review ${i + j}` }, md)));
  await drain('reviews');
  const pages: string[] = [''];
  for (let i = 0; i < 20; i++) pages.push((await clients[0]!.listReviews({ movieId: reviewed, pageSize: 20, pageToken: pages[pages.length - 1]!, includeModerated: false })).nextPageToken);
  results.push(
    await closedLoop(`ListReviews page of 20, 2000 reviews (${concurrency} in flight)`, { concurrency, seconds }, async (w) => {
      const r = await clients[w % connections]!.listReviews({ movieId: reviewed, pageSize: 20, pageToken: pick(pages), includeModerated: false });
      return r.reviews.length === 20;
    }),
  );

  // --- 4. Watchlist.
  let n = 0;
  results.push(
    await closedLoop(`AddToWatchlist (${concurrency} in flight)`, { concurrency, seconds }, async (w) => {
      const r = await clients[w % connections]!.addToWatchlist({ profileId: pick(profiles), movieId: `m-${n++ % 5000}` }, md);
      return r.movieId !== '';
    }),
  );
  results.push(
    await closedLoop(`ListWatchlist page of 20 (${concurrency} in flight)`, { concurrency, seconds }, async (w) => {
      const r = await clients[w % connections]!.listWatchlist({ profileId: pick(profiles), pageSize: 20, pageToken: '' }, md);
      return Array.isArray(r.items);
    }),
  );
  await drain('watchlist');
} catch (err) {
  console.error('benchmark failed:', err);
  process.exitCode = 1;
} finally {
  printTable(results);
  for (const c of clients) c.close();
  await nats.drain();
  await svc.stop();
  await Promise.all([mongo.stop(), natsServer.stop(), keys.close()]);
}
