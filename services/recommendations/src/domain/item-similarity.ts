/**
 * Item-item collaborative filtering on implicit feedback: two titles are similar when the same
 * viewers engage with both (cosine of their columns in the weighted user × item matrix). Each
 * title keeps its k nearest neighbours; a profile's score for a title is the sum, over the titles
 * it engaged with, of (its weight × similarity). Pure TypeScript on typed arrays, no I/O.
 */

export interface TrainingRow {
  user: string;
  item: string;
  /** Implicit feedback strength (> 0; rows with weight ≤ 0 are ignored). */
  weight: number;
}

export interface SimilarityOptions {
  /** Neighbours kept per title. */
  neighbours: number;
  /** Co-occurrence shrinkage: similarity × n / (n + shrink), so two shared viewers prove little. */
  shrink: number;
  /** Heavy viewers are capped to their strongest titles, bounding the Σ n_u² training cost. */
  maxItemsPerUser: number;
}

export const DEFAULT_SIMILARITY_OPTIONS: SimilarityOptions = { neighbours: 50, shrink: 5, maxItemsPerUser: 400 };

export interface Neighbour {
  item: string;
  similarity: number;
}

export interface ScoredItem {
  item: string;
  score: number;
  /** The profile's title that contributed most to the score. */
  because: string;
}

export interface TrainingStats {
  users: number;
  items: number;
  interactions: number;
  /** Co-occurrence updates done (Σ n_u²): the cost that grows with the data. */
  pairUpdates: number;
  ms: number;
}

export class ItemSimilarityModel {
  private constructor(
    private readonly itemIds: string[],
    private readonly itemIndex: Map<string, number>,
    /** CSR of neighbours per item, best first. */
    private readonly nbStart: Int32Array,
    private readonly nbItem: Int32Array,
    private readonly nbSim: Float32Array,
    /** Viewers with a positive signal per item. */
    private readonly viewers: Int32Array,
    readonly stats: TrainingStats,
  ) {}

  static empty(): ItemSimilarityModel {
    return new ItemSimilarityModel([], new Map(), new Int32Array(1), new Int32Array(0), new Float32Array(0), new Int32Array(0), {
      users: 0,
      items: 0,
      interactions: 0,
      pairUpdates: 0,
      ms: 0,
    });
  }

  static train(rows: Iterable<TrainingRow>, options: Partial<SimilarityOptions> = {}): ItemSimilarityModel {
    const opts = { ...DEFAULT_SIMILARITY_OPTIONS, ...options };
    const started = performance.now();
    const userIndex = new Map<string, number>();
    const itemIndex = new Map<string, number>();
    const itemIds: string[] = [];
    let us: Int32Array = new Int32Array(1024);
    let is: Int32Array = new Int32Array(1024);
    let ws: Float32Array = new Float32Array(1024);
    let n = 0;
    for (const r of rows) {
      if (!(r.weight > 0)) continue;
      let u = userIndex.get(r.user);
      if (u === undefined) userIndex.set(r.user, (u = userIndex.size));
      let i = itemIndex.get(r.item);
      if (i === undefined) {
        itemIndex.set(r.item, (i = itemIds.length));
        itemIds.push(r.item);
      }
      if (n === us.length) {
        us = grow(us);
        is = grow(is);
        ws = growF(ws);
      }
      us[n] = u;
      is[n] = i;
      ws[n] = r.weight;
      n++;
    }
    const U = userIndex.size;
    const I = itemIds.length;

    // Rows by user (CSR), each user's titles strongest first, capped.
    const byUser = csr(U, n, (k) => us[k]!);
    const userStart = new Int32Array(U + 1);
    const userItem = new Int32Array(n);
    const userW = new Float32Array(n);
    let m = 0;
    for (let u = 0; u < U; u++) {
      userStart[u] = m;
      const from = byUser.start[u]!;
      const to = byUser.start[u + 1]!;
      let ks = Array.from(byUser.order.subarray(from, to));
      if (ks.length > opts.maxItemsPerUser) ks = ks.sort((a, b) => ws[b]! - ws[a]!).slice(0, opts.maxItemsPerUser);
      for (const k of ks) {
        userItem[m] = is[k]!;
        userW[m] = ws[k]!;
        m++;
      }
    }
    userStart[U] = m;

    // The same entries by item.
    const byItem = csr(I, m, (k) => userItem[k]!);
    const entryUser = new Int32Array(m);
    for (let u = 0; u < U; u++) for (let k = userStart[u]!; k < userStart[u + 1]!; k++) entryUser[k] = u;
    const viewers = new Int32Array(I);
    const norm = new Float64Array(I);
    for (let k = 0; k < m; k++) {
      const i = userItem[k]!;
      viewers[i]!++;
      norm[i]! += userW[k]! * userW[k]!;
    }
    for (let i = 0; i < I; i++) norm[i] = Math.sqrt(norm[i]!);

    const K = opts.neighbours;
    const nbStart = new Int32Array(I + 1);
    const nbItem = new Int32Array(I * K);
    const nbSim = new Float32Array(I * K);
    const dot = new Float64Array(I);
    const co = new Int32Array(I);
    const touched = new Int32Array(I);
    const heap = new TopK(K);
    let pairUpdates = 0;
    let out = 0;
    for (let i = 0; i < I; i++) {
      let t = 0;
      for (let e = byItem.start[i]!; e < byItem.start[i + 1]!; e++) {
        const k = byItem.order[e]!;
        const u = entryUser[k]!;
        const wi = userW[k]!;
        const end = userStart[u + 1]!;
        pairUpdates += end - userStart[u]!;
        for (let q = userStart[u]!; q < end; q++) {
          const j = userItem[q]!;
          if (j === i) continue;
          if (co[j] === 0) touched[t++] = j;
          co[j]!++;
          dot[j]! += wi * userW[q]!;
        }
      }
      heap.clear();
      for (let x = 0; x < t; x++) {
        const j = touched[x]!;
        const c = co[j]!;
        const sim = (dot[j]! / (norm[i]! * norm[j]!)) * (c / (c + opts.shrink));
        heap.offer(j, sim);
        dot[j] = 0;
        co[j] = 0;
      }
      nbStart[i] = out;
      out = heap.drainInto(nbItem, nbSim, out);
    }
    nbStart[I] = out;
    return new ItemSimilarityModel(itemIds, itemIndex, nbStart, nbItem.slice(0, out), nbSim.slice(0, out), viewers, {
      users: U,
      items: I,
      interactions: m,
      pairUpdates,
      ms: performance.now() - started,
    });
  }

  /** The titles most similar to `item`, best first (empty for a title nobody engaged with). */
  neighbours(item: string): Neighbour[] {
    const i = this.itemIndex.get(item);
    if (i === undefined) return [];
    const out: Neighbour[] = [];
    for (let k = this.nbStart[i]!; k < this.nbStart[i + 1]!; k++) out.push({ item: this.itemIds[this.nbItem[k]!]!, similarity: this.nbSim[k]! });
    return out;
  }

  /** How many viewers gave the title a positive signal (in the data the model was trained on). */
  viewerCount(item: string): number {
    const i = this.itemIndex.get(item);
    return i === undefined ? 0 : this.viewers[i]!;
  }

  /** Titles seen by the model, each with its viewer count. */
  *itemsWithViewers(): Iterable<[string, number]> {
    for (let i = 0; i < this.itemIds.length; i++) yield [this.itemIds[i]!, this.viewers[i]!];
  }

  /**
   * Scores every title similar to something the profile engaged with; `history` is the profile's
   * own current signals (fresh from storage, so a new signal counts before the next retrain).
   */
  score(history: ReadonlyArray<{ item: string; weight: number }>): ScoredItem[] {
    const acc = new Map<number, { score: number; best: number; because: string }>();
    for (const h of history) {
      if (!(h.weight > 0)) continue;
      const i = this.itemIndex.get(h.item);
      if (i === undefined) continue;
      for (let k = this.nbStart[i]!; k < this.nbStart[i + 1]!; k++) {
        const j = this.nbItem[k]!;
        const c = h.weight * this.nbSim[k]!;
        const a = acc.get(j);
        if (!a) acc.set(j, { score: c, best: c, because: h.item });
        else {
          a.score += c;
          if (c > a.best) {
            a.best = c;
            a.because = h.item;
          }
        }
      }
    }
    const out: ScoredItem[] = [];
    for (const [j, a] of acc) out.push({ item: this.itemIds[j]!, score: a.score, because: a.because });
    return out.sort((x, y) => y.score - x.score || (x.item < y.item ? -1 : 1));
  }
}

/** Counting sort of n entries into `buckets` groups: start offsets and the entry order. */
function csr(buckets: number, n: number, key: (k: number) => number): { start: Int32Array; order: Int32Array } {
  const start = new Int32Array(buckets + 1);
  for (let k = 0; k < n; k++) start[key(k) + 1]!++;
  for (let b = 0; b < buckets; b++) start[b + 1]! += start[b]!;
  const fill = start.slice(0, buckets);
  const order = new Int32Array(n);
  for (let k = 0; k < n; k++) order[fill[key(k)]!++] = k;
  return { start, order };
}

const grow = (a: Int32Array): Int32Array => {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
};
const growF = (a: Float32Array): Float32Array => {
  const b = new Float32Array(a.length * 2);
  b.set(a);
  return b;
};

/** A bounded min-heap keeping the k highest (id, value) pairs. */
class TopK {
  private readonly ids: Int32Array;
  private readonly vals: Float64Array;
  private size = 0;
  constructor(private readonly k: number) {
    this.ids = new Int32Array(k);
    this.vals = new Float64Array(k);
  }
  clear(): void {
    this.size = 0;
  }
  offer(id: number, v: number): void {
    if (!(v > 0) || this.k === 0) return;
    if (this.size < this.k) {
      let c = this.size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (this.vals[p]! <= v) break;
        this.ids[c] = this.ids[p]!;
        this.vals[c] = this.vals[p]!;
        c = p;
      }
      this.ids[c] = id;
      this.vals[c] = v;
      return;
    }
    if (v <= this.vals[0]!) return;
    this.siftDown(id, v);
  }
  private siftDown(id: number, v: number): void {
    let c = 0;
    for (;;) {
      const l = 2 * c + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const m = r < this.size && this.vals[r]! < this.vals[l]! ? r : l;
      if (this.vals[m]! >= v) break;
      this.ids[c] = this.ids[m]!;
      this.vals[c] = this.vals[m]!;
      c = m;
    }
    this.ids[c] = id;
    this.vals[c] = v;
  }
  /** Writes the kept pairs, highest first, at `offset`; returns the new offset. */
  drainInto(ids: Int32Array, vals: Float32Array, offset: number): number {
    const pairs: [number, number][] = [];
    for (let x = 0; x < this.size; x++) pairs.push([this.ids[x]!, this.vals[x]!]);
    pairs.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    for (const [id, v] of pairs) {
      ids[offset] = id;
      vals[offset] = v;
      offset++;
    }
    this.size = 0;
    return offset;
  }
}
