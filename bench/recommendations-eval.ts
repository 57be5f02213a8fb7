/**
 * Offline evaluation of the recommendations model, one run:
 *  1. Synthetic interactions with real taste structure: every title has a latent vector near its
 *     genre's centroid and a Zipf-like popularity bias; every viewer likes one or two genres.
 *     A viewer's titles are drawn without replacement with probability ∝ exp(β·⟨user,item⟩ +
 *     bias) (Gumbel top-k), and each becomes a signal (completion, rating, favourite, watchlist,
 *     started) weighted exactly as the service weights it.
 *  2. Per-viewer held-out split (20 % of each viewer's titles, at least one), the model trained
 *     on the rest; precision@10, recall@10 and NDCG@10 of item-item CF against "most popular
 *     titles the viewer has not seen", over the same viewers.
 *  3. Retrain time and heap as the data grows: 10k, 100k, 1M interactions (the same
 *     ItemSimilarityModel.train the service runs on its timer).
 *  4. The service's whole retrain (read every interaction from its Mongo collection, weigh,
 *     train, swap) against the embedded MongoDB in its own process, for --store-sizes.
 * Usage: node --expose-gc --import tsx bench/recommendations-eval.ts [--sizes 10000,100000,1000000] [--eval-users 3000] [--seed 7]
 *          [--neighbours 50] [--shrink 5] [--beta 4] [--pop-skew 0.6] [--store-sizes 10000,100000 | none]
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { ItemSimilarityModel, type TrainingRow } from '../services/recommendations/src/domain/item-similarity.js';
import { Recommendations } from '../services/recommendations/src/domain/recommendations.js';
import { MongoChangeCounter, MongoInteractionStore, MongoPreferenceStore, MongoTitleStore } from '../services/recommendations/src/storage/mongo-stores.js';
import type { Interaction, SignalKind } from '../services/recommendations/src/domain/model.js';
import { interactionWeight } from '../services/recommendations/src/domain/signals.js';
import { stringArg } from './lib/args.js';
import { prng } from '../services/catalog/src/demo/generator.js';

const arg = stringArg;
const sizesArg = arg('sizes', '10000,100000,1000000');
const sizes = sizesArg === 'none' ? [] : sizesArg.split(',').map(Number);
const evalUsers = Number(arg('eval-users', '3000'));
const seed = Number(arg('seed', '7'));
const neighbours = Number(arg('neighbours', '50'));
const shrink = Number(arg('shrink', '5'));
const storeSizesArg = arg('store-sizes', '10000,100000');
const storeSizes = storeSizesArg === 'none' ? [] : storeSizesArg.split(',').map(Number);


interface Dataset {
  users: number;
  items: number;
  /** Per viewer: titles and their signals. */
  byUser: { item: number; signals: Partial<Record<SignalKind, number>> }[][];
  total: number;
}

const DIM = 16;
const GENRES = 12;
const BETA = Number(arg('beta', '4'));
const POP_SKEW = Number(arg('pop-skew', '0.6'));
/** Per-dimension noise around the genre centroids (a norm of about 4× this in 16 dimensions). */
const ITEM_NOISE = Number(arg('item-noise', '0.12'));
const USER_NOISE = Number(arg('user-noise', '0.1'));

/** Planted latent factors → interactions; shape scales with the target count. */
function generate(target: number, rand: () => number): Dataset {
  const meanPerUser = 20;
  const users = Math.max(200, Math.round(target / meanPerUser));
  const items = Math.round(Math.min(3000, Math.max(300, Math.sqrt(target) * 3)));
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const unit = (v: Float64Array) => {
    const n = Math.hypot(...v) || 1;
    for (let d = 0; d < DIM; d++) v[d]! /= n;
    return v;
  };
  const centroids = Array.from({ length: GENRES }, () => unit(Float64Array.from({ length: DIM }, gauss)));
  const itemVec = new Float64Array(items * DIM);
  const itemBias = new Float64Array(items);
  // Popularity rank is independent of genre; bias ~ -skew·log(rank).
  const rankOf = Array.from({ length: items }, (_, i) => i).sort(() => rand() - 0.5);
  for (let i = 0; i < items; i++) {
    const c = centroids[i % GENRES]!;
    const v = unit(Float64Array.from({ length: DIM }, (_, d) => c[d]! + ITEM_NOISE * gauss()));
    itemVec.set(v, i * DIM);
    itemBias[i] = -POP_SKEW * Math.log(1 + rankOf[i]!);
  }
  const byUser: Dataset['byUser'] = [];
  const score = new Float64Array(items);
  let total = 0;
  for (let u = 0; u < users; u++) {
    const g1 = centroids[Math.floor(rand() * GENRES)]!;
    const g2 = centroids[Math.floor(rand() * GENRES)]!;
    const mix = rand() < 0.5 ? 1 : 0.6;
    const uv = unit(Float64Array.from({ length: DIM }, (_, d) => mix * g1[d]! + (1 - mix) * g2[d]! + USER_NOISE * gauss()));
    // Activity is skewed too (lognormal around the mean), at least 3 titles.
    const n = Math.min(items - 1, Math.max(3, Math.round(meanPerUser * Math.exp(0.6 * gauss() - 0.18))));
    for (let i = 0; i < items; i++) {
      let dot = 0;
      for (let d = 0; d < DIM; d++) dot += uv[d]! * itemVec[i * DIM + d]!;
      // Gumbel noise: the top n of (logit + G) is a sample without replacement ∝ exp(logit).
      score[i] = BETA * dot + itemBias[i]! - Math.log(-Math.log(rand() + 1e-12));
    }
    const top = topN(score, n);
    byUser.push(top.map((item) => ({ item, signals: signalsFor(rand) })));
    total += n;
  }
  return { users, items, byUser, total };
}

function signalsFor(rand: () => number): Partial<Record<SignalKind, number>> {
  const r = rand();
  if (r < 0.5) return { completed: 1 };
  if (r < 0.7) return { completed: 1, rating: rand() < 0.6 ? 5 : 4 };
  if (r < 0.8) return { favourite: 1, completed: 1 };
  if (r < 0.92) return { watchlist: 1 };
  return { started: 1 };
}

/** Indices of the n largest values (a threshold from a sorted copy, then one pass). */
function topN(a: Float64Array, n: number): number[] {
  const threshold = Float64Array.from(a).sort()[a.length - n]!;
  const out: number[] = [];
  for (let i = 0; i < a.length && out.length < n; i++) if (a[i]! >= threshold) out.push(i);
  return out;
}

const asInteraction = (user: number, item: number, signals: Partial<Record<SignalKind, number>>): Pick<Interaction, 'signals'> => {
  const s: Interaction['signals'] = {};
  for (const [k, v] of Object.entries(signals)) s[k as SignalKind] = { value: v, at: new Date(0), eventId: `${user}:${item}:${k}` };
  return { signals: s };
};

interface Metrics {
  precision: number;
  recall: number;
  ndcg: number;
}

function metricsAt10(ranked: string[], relevant: Set<string>): Metrics {
  let hits = 0;
  let dcg = 0;
  for (let r = 0; r < Math.min(10, ranked.length); r++) {
    if (relevant.has(ranked[r]!)) {
      hits++;
      dcg += 1 / Math.log2(r + 2);
    }
  }
  let idcg = 0;
  for (let r = 0; r < Math.min(10, relevant.size); r++) idcg += 1 / Math.log2(r + 2);
  return { precision: hits / 10, recall: hits / relevant.size, ndcg: idcg ? dcg / idcg : 0 };
}

const fmt = (x: number, d = 4) => x.toFixed(d);
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

console.log(`recommendations offline evaluation (seed ${seed}, k=${neighbours} neighbours, shrink ${shrink}, node ${process.version})\n`);
const rows: string[][] = [];
for (const target of sizes) {
  const rand = prng(seed + target);
  const g0 = performance.now();
  const data = generate(target, rand);
  const genMs = performance.now() - g0;

  // Per-viewer split: 20 % held out (at least one) for viewers with ≥ 5 titles.
  const train: TrainingRow[] = [];
  const heldOut = new Map<number, Set<string>>();
  const history = new Map<number, { item: string; weight: number }[]>();
  for (let u = 0; u < data.users; u++) {
    const list = data.byUser[u]!;
    const holdOut = list.length >= 5 ? Math.max(1, Math.round(list.length * 0.2)) : 0;
    const shuffled = list.map((x) => ({ x, r: rand() })).sort((a, b) => a.r - b.r).map((e) => e.x);
    const test = new Set<string>();
    const h: { item: string; weight: number }[] = [];
    shuffled.forEach((e, k) => {
      const item = `m${e.item}`;
      if (k < holdOut) test.add(item);
      else {
        const weight = interactionWeight(asInteraction(u, e.item, e.signals));
        train.push({ user: `p${u}`, item, weight });
        h.push({ item, weight });
      }
    });
    if (test.size > 0) heldOut.set(u, test);
    history.set(u, h);
  }

  // Heap plus typed-array buffers, after a full GC (run with node --expose-gc for real numbers).
  const used = () => {
    global.gc?.();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const heapBefore = used();
  const t0 = performance.now();
  const model = ItemSimilarityModel.train(train, { neighbours, shrink });
  const trainMs = performance.now() - t0;
  const heapAfter = used();

  // Popularity baseline from the same training data.
  const popular = [...model.itemsWithViewers()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);

  const evalIds = [...heldOut.keys()].filter((_, k) => k % Math.max(1, Math.floor(heldOut.size / evalUsers)) === 0).slice(0, evalUsers);
  const sum = { cf: { precision: 0, recall: 0, ndcg: 0 }, pop: { precision: 0, recall: 0, ndcg: 0 } };
  const q0 = performance.now();
  for (const u of evalIds) {
    const h = history.get(u)!;
    const seen = new Set(h.map((x) => x.item));
    const relevant = heldOut.get(u)!;
    const cfRanked = model.score(h).map((s) => s.item).filter((i) => !seen.has(i));
    // Like the service: when CF has fewer than 10, popular titles fill the list.
    for (const p of popular) {
      if (cfRanked.length >= 10) break;
      if (!seen.has(p) && !cfRanked.includes(p)) cfRanked.push(p);
    }
    const popRanked: string[] = [];
    for (const p of popular) {
      if (popRanked.length >= 10) break;
      if (!seen.has(p)) popRanked.push(p);
    }
    for (const [key, ranked] of [['cf', cfRanked], ['pop', popRanked]] as const) {
      const m = metricsAt10(ranked, relevant);
      sum[key].precision += m.precision;
      sum[key].recall += m.recall;
      sum[key].ndcg += m.ndcg;
    }
  }
  const queryMs = (performance.now() - q0) / evalIds.length;
  const n = evalIds.length;
  const cf = { precision: sum.cf.precision / n, recall: sum.cf.recall / n, ndcg: sum.cf.ndcg / n };
  const pop = { precision: sum.pop.precision / n, recall: sum.pop.recall / n, ndcg: sum.pop.ndcg / n };
  const lift = (a: number, b: number) => (b > 0 ? `${((a / b - 1) * 100).toFixed(0)} %` : 'n/a');
  rows.push([
    String(data.total),
    `${data.users}×${data.items}`,
    String(n),
    `${fmt(cf.precision)} / ${fmt(pop.precision)} (+${lift(cf.precision, pop.precision)})`,
    `${fmt(cf.recall)} / ${fmt(pop.recall)} (+${lift(cf.recall, pop.recall)})`,
    `${fmt(cf.ndcg)} / ${fmt(pop.ndcg)} (+${lift(cf.ndcg, pop.ndcg)})`,
    `${trainMs.toFixed(0)} ms`,
    `${(model.stats.pairUpdates / 1e6).toFixed(1)} M`,
    mb(Math.max(0, heapAfter - heapBefore)),
    `${queryMs.toFixed(2)} ms`,
    `${(genMs / 1000).toFixed(1)} s`,
  ]);
  console.log(`  ${data.total} interactions done`);
}

const header = ['interactions', 'users×titles', 'eval users', 'P@10 CF / pop', 'R@10 CF / pop', 'NDCG@10 CF / pop', 'retrain', 'pair updates', 'model size', 'score/user', 'gen'];
const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
const line = (cells: string[]) => `| ${cells.map((x, c) => x.padEnd(widths[c]!)).join(' | ')} |`;
if (rows.length > 0) {
  console.log();
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log(`\nheap used at the end: ${mb(process.memoryUsage().heapUsed)}; peak rss ${mb(process.resourceUsage().maxRSS * 1024)}`);
}

// ---------------------------------------------------------------- 4. retrain from the store
if (storeSizes.length > 0) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../dev/mongo-embedded/src/cli.ts'), '--port', '0', '--memory'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (l) => resolve((JSON.parse(l) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`embedded mongo exited with ${code}`)));
  });
  const client = await MongoClient.connect(url);
  const storeRows: string[][] = [];
  try {
    for (const target of storeSizes) {
      const data = generate(target, prng(seed + target));
      const db = client.db(`recs_bench_${target}`);
      const docs = data.byUser.flatMap((list, u) =>
        list.map((e) => ({ _id: `p${u}|m${e.item}`, profileId: `p${u}`, userId: `u${u}`, movieId: `m${e.item}`, signals: asInteraction(u, e.item, e.signals).signals, updatedAt: new Date(Date.now() - 3_600_000 - Math.random() * 30 * 86_400_000) })),
      );
      const w0 = performance.now();
      for (let k = 0; k < docs.length; k += 5000) await db.collection('interactions').insertMany(docs.slice(k, k + 5000) as never[]);
      const loadMs = performance.now() - w0;
      const counter = new MongoChangeCounter(db);
      const recs = new Recommendations({
        interactions: new MongoInteractionStore(db, counter),
        titles: new MongoTitleStore(db, counter),
        preferences: new MongoPreferenceStore(db),
        changes: counter,
        profiles: { maxMaturity: async () => 'NC17' },
        clock: { now: () => new Date() },
        similarity: { neighbours, shrink },
      });
      const t0 = performance.now();
      const r = await recs.retrain(true);
      const totalMs = performance.now() - t0;
      // 100 new signals (as the consumers write them), then the timer's incremental retrain.
      for (let k = 0; k < 100; k++) {
        const u = Math.floor((k * data.users) / 100);
        await new MongoInteractionStore(db, counter).apply({ userId: `u${u}`, profileId: `p${u}`, movieId: `m${k}`, kind: 'favourite', value: 1, at: new Date(), eventId: `bench-${k}` });
      }
      const i0 = performance.now();
      const inc = await recs.retrain();
      const incMs = performance.now() - i0;
      storeRows.push([
        String(docs.length),
        `${(loadMs / 1000).toFixed(1)} s`,
        `${totalMs.toFixed(0)} ms`,
        `${r.ms.toFixed(0)} ms`,
        `${(totalMs - r.ms).toFixed(0)} ms`,
        `${incMs.toFixed(0)} ms (${inc.read}, ${inc.readCount} read)`,
      ]);
      await db.dropDatabase();
    }
  } finally {
    await client.close();
    child.kill('SIGTERM');
  }
  const h = ['interactions in Mongo', 'insert (bench setup)', 'full retrain', 'of which training', 'of which reading + weighing', 'next retrain after 100 new signals'];
  const w = h.map((x, c) => Math.max(x.length, ...storeRows.map((r) => r[c]!.length)));
  const l = (cells: string[]) => `| ${cells.map((x, c) => x.padEnd(w[c]!)).join(' | ')} |`;
  console.log('\nthe service\'s retrain, reading from the embedded MongoDB (separate process):\n');
  console.log(l(h));
  console.log(`|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`);
  for (const r of storeRows) console.log(l(r));
}
