import MiniSearch from 'minisearch';
import { isVisible, maturityRank, OWN_SOURCE, ratingAverage, type AssetStatus, type MovieRecord, type MovieStatus } from './model.js';
import { fold, sortTitle, words } from './text.js';

export const MOVIE_ORDERS = ['newest', 'title', 'rating', 'popularity', 'updated'] as const;
export type MovieOrder = (typeof MOVIE_ORDERS)[number];

export type SourceFilter = { kind: 'own' } | { kind: 'partners' } | { kind: 'all' } | { kind: 'partner'; partnerId: string };

/** Filters on the read side; everything optional except where the caller stands. */
export interface TitleFilter {
  /** Folded genre name. */
  genre?: string;
  language?: string;
  yearMin?: number;
  yearMax?: number;
  /** Index in MATURITY_LEVELS; titles above it are left out. */
  maxMaturityRank?: number;
  source: SourceFilter;
  /** Admin view: drafts, archived and out-of-window titles too. */
  includeUnpublished: boolean;
  /** Admin filters: the title's lifecycle, and its video's state ("none": never uploaded). */
  status?: MovieStatus;
  videoStatus?: AssetStatus | 'none';
  now: Date;
}

type Key = (string | number)[];

/** Where a page ended: the last item's sort key and id (keyset pagination). */
export interface ListPosition {
  key: Key;
}

export interface SearchPosition {
  score: number;
  id: string;
}

interface Entry {
  record: MovieRecord;
  genres: string[];
  languages: string[];
  matRank: number;
  fromMs: number;
  untilMs: number;
  keys: Record<MovieOrder, Key>;
}

/** Sort keys ascending; descending orders negate numbers. The id makes every key unique. */
function keysOf(m: MovieRecord): Record<MovieOrder, Key> {
  return {
    newest: [-m.releaseYear, -m.createdAt.getTime(), m.id],
    title: [sortTitle(m.title), m.id],
    rating: [-ratingAverage(m), -m.ratingCount, m.id],
    popularity: [-m.popularity, m.id],
    updated: [-m.updatedAt.getTime(), m.id],
  };
}

function compareKeys(a: Key, b: Key): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

/** First index whose key is greater than `key` (strictly after it). */
function upperBound(arr: Entry[], order: MovieOrder, key: Key): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(arr[mid]!.keys[order], key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function lowerBound(arr: Entry[], order: MovieOrder, key: Key): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(arr[mid]!.keys[order], key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Title words are also indexed joined pairwise, so "spiderman" finds "Spider-Man". */
function tokenize(text: string, field?: string): string[] {
  const w = words(text);
  if (field !== 'title' || w.length < 2) return w;
  const joined: string[] = [];
  for (let i = 0; i + 1 < w.length; i++) joined.push(w[i]! + w[i + 1]!);
  return [...w, ...joined];
}

/** Search weights: a title hit outranks a person hit, which outranks a genre hit. */
export const SEARCH_BOOST = { title: 5, people: 1.6, genres: 1 } as const;

type Doc = { id: string; title: string; people: string; genres: string };
/** What MiniSearch keeps per indexed term: field id → (short doc id → term frequency). */
type FieldPostings = Map<number, Map<number, number>>;
/** One query word: every indexed term it stands for (exact, completions, typos), each weighted. */
interface QueryWord {
  terms: { postings: FieldPostings; weight: number }[];
  /** Postings over all its terms: how many documents it can touch at most. */
  size: number;
}

// MiniSearch's own defaults, so scores stay what they were before the query ran here.
const PREFIX_WEIGHT = 0.375;
const FUZZY_WEIGHT = 0.45;
const BM25 = { k: 1.2, b: 0.7, d: 0.5 };

const FIELDS = ['title', 'people', 'genres'] as const;

/**
 * MiniSearch keeps the index (term tree, postings, updates); queries run here, with the same
 * matching and BM25 scoring as `MiniSearch.search` but made for a 100k-title catalog: scores add
 * up in flat arrays by short document id instead of one result object per document, an AND
 * intersects from its rarest word and only looks up the others for the survivors, and in the OR
 * fallback very common words ("the", "in") rank what the other words found instead of pulling
 * in a third of the catalog. Results are short ids, which `CatalogIndex` maps to its entries.
 */
class TextIndex extends MiniSearch<Doc> {
  // Per short document id (they only grow: a replaced document gets a new one). Flat copies of
  // what MiniSearch keeps in Maps, because a Map lookup per posting dominated the query time.
  private live = new Uint8Array(0);
  /** Field lengths, FIELDS.length per document. */
  private lengths = new Float64Array(0);
  // Query scratch space, reset for the documents a query touched.
  private score = new Float64Array(0);
  /** How many query words matched so far. */
  private hits = new Uint8Array(0);
  /** 1 + the index of the last query word that matched (counts each word once per document). */
  private seen = new Uint8Array(0);

  constructor() {
    super({ fields: [...FIELDS], idField: 'id', tokenize, processTerm: (t) => t });
  }

  override add(doc: Doc): void {
    super.add(doc);
    const short = this.shortId(doc.id)!;
    this.grow(short + 1);
    this.live[short] = 1;
    const lens = this._fieldLength.get(short)!;
    FIELDS.forEach((f, i) => (this.lengths[short * FIELDS.length + i] = lens[this._fieldIds[f]!] ?? 0));
  }

  override discard(id: string): void {
    const short = this.shortId(id);
    super.discard(id);
    if (short !== undefined) this.live[short] = 0;
  }

  shortId(id: string): number | undefined {
    return this._idToShortId.get(id);
  }

  private grow(n: number): void {
    if (this.live.length >= n) return;
    const size = Math.max(1024, n * 2);
    const bigger = <A extends Uint8Array | Float64Array>(old: A, make: (n: number) => A, per = 1): A => {
      const a = make(size * per);
      a.set(old);
      return a;
    };
    this.live = bigger(this.live, (n) => new Uint8Array(n));
    this.lengths = bigger(this.lengths, (n) => new Float64Array(n), FIELDS.length);
    this.score = new Float64Array(size);
    this.hits = new Uint8Array(size);
    this.seen = new Uint8Array(size);
  }

  rank(words: string[]): Ranked {
    // At most 255 distinct words (the counters are bytes; a query is at most 200 characters anyway).
    const distinct = [...new Set(words)].slice(0, 255);
    const query = distinct.map((w) => this.expand(w, w === words[words.length - 1]));
    // Every word must match; when nothing matches that way, any word may.
    let found = this.collect(query, true);
    if (found.docs.length === 0) found = this.collect(query, false);
    return found;
  }

  /** Exact term; completions for the last word (what is being typed); typos for longer words. */
  private expand(word: string, last: boolean): QueryWord {
    const terms = new Map<string, { postings: FieldPostings; weight: number }>();
    const exact = this._index.get(word);
    if (exact) terms.set(word, { postings: exact, weight: 1 });
    if (last && word.length >= 2)
      for (const [term, postings] of this._index.atPrefix(word))
        if (term !== word) terms.set(term, { postings, weight: (PREFIX_WEIGHT * term.length) / (term.length + 0.3 * (term.length - word.length)) });
    const distance = word.length >= 8 ? 2 : word.length >= 4 ? 1 : 0;
    if (distance)
      for (const [term, [postings, d]] of this._index.fuzzyGet(word, distance))
        if (!terms.has(term)) terms.set(term, { postings, weight: (FUZZY_WEIGHT * term.length) / (term.length + d) });
    let size = 0;
    for (const t of terms.values()) for (const docs of t.postings.values()) size += docs.size;
    return { terms: [...terms.values()], size };
  }

  private collect(query: QueryWord[], all: boolean): Ranked {
    this.grow(this._nextId);
    const { score, hits, seen, live, lengths } = this;
    const touched: number[] = [];
    // Words are matched rarest first. With AND, the first word finds the candidates and every
    // other word only keeps (and adds to) those. With OR, words that alone would match more
    // than a twentieth of the catalog only add to what the rarer words found, unless no rarer
    // word matches anything.
    const words = [...query].sort((a, b) => a.size - b.size);
    const common = Math.max(1000, this._documentCount / 20);
    const rare = words.filter((w) => w.size <= common);
    const finders = all ? 1 : rare.some((w) => w.size > 0) ? rare.length : words.length;
    let candidates: number[] = [];
    words.forEach((word, w) => {
      const mark = w + 1;
      const finds = w < finders;
      for (const { postings, weight } of word.terms)
        FIELDS.forEach((name, f) => {
          const docs = postings.get(this._fieldIds[name]!);
          if (!docs) return;
          const idf = Math.log(1 + (this._documentCount - docs.size + 0.5) / (docs.size + 0.5));
          const factor = weight * SEARCH_BOOST[name] * idf;
          const lenFactor = (BM25.k * BM25.b) / this._avgFieldLength[this._fieldIds[name]!]!;
          const add = (tf: number, doc: number) => {
            // Postings of discarded documents stay until MiniSearch vacuums them.
            if (live[doc] === 0) return;
            // A later word only adds to documents found so far (with AND: that matched every earlier word).
            if (!finds && (all ? hits[doc]! < w : hits[doc] === 0)) return;
            const len = lengths[doc * FIELDS.length + f]!;
            score[doc] += factor * (BM25.d + (tf * (BM25.k + 1)) / (tf + BM25.k * (1 - BM25.b) + lenFactor * len));
            if (seen[doc] !== mark) {
              if (hits[doc] === 0) touched.push(doc);
              seen[doc] = mark;
              hits[doc]++;
            }
          };
          if (finds || docs.size <= candidates.length) docs.forEach(add);
          else
            for (const doc of candidates) {
              // Fewer candidates than postings: look the candidates up instead.
              const tf = docs.get(doc);
              if (tf !== undefined) add(tf, doc);
            }
        });
      if (all) candidates = (w === 0 ? touched : candidates).filter((doc) => hits[doc] === mark);
      else if (w === finders - 1) candidates = touched.slice();
    });
    // Typed arrays: compact in the ranking cache, and no garbage from growing them.
    let n = 0;
    for (const doc of touched) if (!all || hits[doc] === words.length) n++;
    const docs = new Int32Array(n);
    const scores = new Float64Array(n);
    n = 0;
    for (const doc of touched) {
      // Like MiniSearch: a document matching more of the query's words ranks higher.
      if (!all || hits[doc] === words.length) {
        docs[n] = doc;
        scores[n++] = score[doc]! * hits[doc]!;
      }
      score[doc] = 0;
      hits[doc] = 0;
      seen[doc] = 0;
    }
    return { docs, scores };
  }
}

/** Short ids of the matching documents and their scores (higher is better), unsorted. */
type Ranked = { docs: Int32Array; scores: Float64Array };

/** Whether (score a, id a) ranks before (score b, id b): higher score first, then id. */
const ranksBefore = (sa: number, ia: string, sb: number, ib: string) => sa > sb || (sa === sb && ia < ib);

/**
 * The read model every instance keeps in memory: all titles (ours and partners'), sorted once per
 * order for keyset pagination, plus a MiniSearch full-text index. Fed from the catalog's change
 * feed; the write path may also apply its own changes early (read-your-writes), never instead.
 */
export class CatalogIndex {
  private readonly byId = new Map<string, Entry>();
  private readonly sorted: Record<MovieOrder, Entry[]> = { newest: [], title: [], rating: [], popularity: [], updated: [] };
  private readonly text = new TextIndex();
  /** Entries by the text index's short document id, so search results need no id lookups. */
  private readonly byShortId: (Entry | undefined)[] = [];
  private countCache = new Map<string, { at: number; version: number; total: number }>();
  /** Matching short ids and scores per query (unsorted), before filters; valid while no searchable text changes. */
  private searchCache = new Map<string, Ranked & { textVersion: number }>();
  /** Results held by the search cache; bounded too, since one short query can match 40k titles. */
  private searchCacheResults = 0;
  /** Bumps on every applied change. */
  version = 0;
  /** Bumps only when a title, person or genre changes (ratings and status changes do not). */
  private textVersion = 0;
  /** Searches answered from the ranked-id cache / computed; for metrics and the bench. */
  readonly searchStats = { cached: 0, computed: 0 };

  get size(): number {
    return this.byId.size;
  }

  get(id: string): MovieRecord | undefined {
    return this.byId.get(id)?.record;
  }

  /** Bulk load (start-up): one sort per order instead of one insertion per title. */
  load(records: MovieRecord[]): void {
    const fresh: Entry[] = [];
    for (const r of records) {
      const existing = this.byId.get(r.id);
      if (existing) {
        this.upsert(r);
        continue;
      }
      const e = this.entry(r);
      this.byId.set(r.id, e);
      fresh.push(e);
    }
    for (const order of MOVIE_ORDERS) {
      this.sorted[order].push(...fresh);
      this.sorted[order].sort((a, b) => compareKeys(a.keys[order], b.keys[order]));
    }
    this.text.addAll(fresh.map((e) => this.doc(e.record)));
    for (const e of fresh) this.byShortId[this.text.shortId(e.record.id)!] = e;
    this.version++;
    this.textVersion++;
  }

  /** Applies a title's newest state; an older version than the one held is ignored. */
  upsert(r: MovieRecord): boolean {
    const old = this.byId.get(r.id);
    if (old && old.record.version > r.version) return false;
    if (old && old.record.version === r.version && old.record.updatedAt.getTime() === r.updatedAt.getTime()) return false;
    const e = this.entry(r);
    for (const order of MOVIE_ORDERS) {
      const arr = this.sorted[order];
      if (old) arr.splice(this.indexOf(arr, order, old), 1);
      arr.splice(lowerBound(arr, order, e.keys[order]), 0, e);
    }
    this.byId.set(r.id, e);
    const doc = this.doc(r);
    const before = old && this.doc(old.record);
    if (!before || before.title !== doc.title || before.people !== doc.people || before.genres !== doc.genres) {
      // A replaced document gets a new short id.
      if (old) this.byShortId[this.text.shortId(r.id)!] = undefined;
      if (old) this.text.replace(doc);
      else this.text.add(doc);
      this.textVersion++;
    }
    this.byShortId[this.text.shortId(r.id)!] = e;
    this.version++;
    return true;
  }

  remove(id: string): boolean {
    const old = this.byId.get(id);
    if (!old) return false;
    for (const order of MOVIE_ORDERS) this.sorted[order].splice(this.indexOf(this.sorted[order], order, old), 1);
    this.byId.delete(id);
    this.byShortId[this.text.shortId(id)!] = undefined;
    this.text.discard(id);
    this.version++;
    this.textVersion++;
    return true;
  }

  /** A page of titles after `after`, in `order`, plus how many match in all. */
  list(filter: TitleFilter, order: MovieOrder, limit: number, after?: ListPosition): { items: MovieRecord[]; next?: ListPosition; total: number } {
    const arr = this.sorted[order];
    const items: MovieRecord[] = [];
    let last: Entry | undefined;
    let more = false;
    for (let i = after ? upperBound(arr, order, after.key) : 0; i < arr.length; i++) {
      const e = arr[i]!;
      if (!this.matches(e, filter)) continue;
      if (items.length === limit) {
        more = true;
        break;
      }
      items.push(e.record);
      last = e;
    }
    return { items, next: more && last ? { key: last.keys[order] } : undefined, total: this.count(filter) };
  }

  /**
   * Ranked full-text search: every word must match (typos and a prefix on the last word
   * allowed); when nothing matches that way, any word may. The matches of a query do not depend
   * on filters, so they are computed once per query and searchable-text version and then filtered
   * per request: popular searches cost a filter pass, not a full scoring. Nothing is sorted: one
   * pass filters, counts and keeps the best `limit + 1` after the cursor (score, then id).
   */
  search(q: string, filter: TitleFilter, limit: number, after?: SearchPosition): { items: MovieRecord[]; next?: SearchPosition; total: number } {
    const { docs, scores } = this.ranked(q);
    const top: { e: Entry; score: number }[] = []; // best first
    const keep = limit + 1; // one more than shown tells whether there is a next page
    const before = (a: { e: Entry; score: number }, score: number, id: string) => ranksBefore(a.score, a.e.record.id, score, id);
    let total = 0;
    for (let i = 0; i < docs.length; i++) {
      const e = this.byShortId[docs[i]!];
      if (!e || !this.matches(e, filter)) continue;
      total++;
      const score = scores[i]!;
      const id = e.record.id;
      if (after && !ranksBefore(after.score, after.id, score, id)) continue;
      if (top.length === keep && before(top[keep - 1]!, score, id)) continue;
      let at = top.length;
      while (at > 0 && !before(top[at - 1]!, score, id)) at--;
      top.splice(at, 0, { e, score });
      if (top.length > keep) top.pop();
    }
    const shown = top.slice(0, Math.max(0, limit));
    const last = shown[shown.length - 1];
    return {
      items: shown.map((t) => t.e.record),
      next: top.length > shown.length && last ? { score: last.score, id: last.e.record.id } : undefined,
      total,
    };
  }

  private ranked(q: string): Ranked {
    const terms = words(q);
    const key = terms.join(' ');
    const hit = this.searchCache.get(key);
    if (hit && hit.textVersion === this.textVersion) {
      this.searchStats.cached++;
      // Refresh its place in the LRU order.
      this.searchCache.delete(key);
      this.searchCache.set(key, hit);
      return hit;
    }
    this.searchStats.computed++;
    const entry = { textVersion: this.textVersion, ...this.text.rank(terms) };
    if (hit) this.forget(key);
    // Up to 2,000 queries and 2M results (24 MB).
    while (this.searchCache.size > 0 && (this.searchCache.size >= 2_000 || this.searchCacheResults + entry.docs.length > 2_000_000))
      this.forget(this.searchCache.keys().next().value!);
    this.searchCache.set(key, entry);
    this.searchCacheResults += entry.docs.length;
    return entry;
  }

  private forget(key: string): void {
    this.searchCacheResults -= this.searchCache.get(key)?.docs.length ?? 0;
    this.searchCache.delete(key);
  }

  /** Forgets cached rankings (the bench uses it to measure uncached searches). */
  clearSearchCache(): void {
    this.searchCache.clear();
    this.searchCacheResults = 0;
  }

  /** Genres of the titles matching the filter, with counts, most titles first. */
  genres(filter: TitleFilter): { name: string; count: number }[] {
    const counts = new Map<string, { name: string; count: number }>();
    for (const e of this.byId.values()) {
      if (!this.matches(e, filter)) continue;
      e.record.genres.forEach((g, i) => {
        const key = e.genres[i]!;
        const c = counts.get(key);
        if (c) c.count++;
        else counts.set(key, { name: g, count: 1 });
      });
    }
    return [...counts.values()].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  }

  /** Counting scans every title; the result is kept for a second per filter and index version. */
  private count(filter: TitleFilter): number {
    const key = JSON.stringify({ ...filter, now: undefined });
    const now = filter.now.getTime();
    const hit = this.countCache.get(key);
    if (hit && hit.version === this.version && now - hit.at < 1000 && now >= hit.at) return hit.total;
    let total = 0;
    for (const e of this.sorted.newest) if (this.matches(e, filter)) total++;
    if (this.countCache.size > 1000) this.countCache = new Map();
    this.countCache.set(key, { at: now, version: this.version, total });
    return total;
  }

  private matches(e: Entry, f: TitleFilter): boolean {
    const m = e.record;
    switch (f.source.kind) {
      case 'own':
        if (m.source !== OWN_SOURCE) return false;
        break;
      case 'partners':
        if (m.source === OWN_SOURCE) return false;
        break;
      case 'partner':
        if (m.source !== f.source.partnerId) return false;
        break;
      case 'all':
        break;
    }
    if (!f.includeUnpublished) {
      if (m.status !== 'published') return false;
      const now = f.now.getTime();
      if (e.fromMs > now || e.untilMs <= now) return false;
    }
    if (f.status !== undefined && m.status !== f.status) return false;
    if (f.videoStatus !== undefined && (m.video?.status ?? 'none') !== f.videoStatus) return false;
    if (f.maxMaturityRank !== undefined && e.matRank > f.maxMaturityRank) return false;
    if (f.yearMin !== undefined && m.releaseYear < f.yearMin) return false;
    if (f.yearMax !== undefined && m.releaseYear > f.yearMax) return false;
    if (f.genre !== undefined && !e.genres.includes(f.genre)) return false;
    if (f.language !== undefined && !e.languages.includes(f.language)) return false;
    return true;
  }

  private entry(r: MovieRecord): Entry {
    return {
      record: r,
      genres: r.genres.map(fold),
      languages: [...new Set([...r.audioLanguages, ...r.subtitleLanguages])],
      matRank: maturityRank(r.maturity),
      fromMs: r.availableFrom ? r.availableFrom.getTime() : -Infinity,
      untilMs: r.availableUntil ? r.availableUntil.getTime() : Infinity,
      keys: keysOf(r),
    };
  }

  private doc(r: MovieRecord) {
    return { id: r.id, title: r.title, people: [...r.directors, ...r.cast].join(' · '), genres: r.genres.join(' · ') };
  }

  private indexOf(arr: Entry[], order: MovieOrder, e: Entry): number {
    const i = lowerBound(arr, order, e.keys[order]);
    if (arr[i] !== e) throw new Error(`catalog index out of order for ${e.record.id}`);
    return i;
  }
}

/** Visible-to-viewers check for single reads, matching the list filter. */
export const visibleNow = (m: MovieRecord, now: Date): boolean => isVisible(m, now);
