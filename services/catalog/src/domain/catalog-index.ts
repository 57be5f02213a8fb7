import MiniSearch from 'minisearch';
import { isVisible, maturityRank, OWN_SOURCE, ratingAverage, type MovieRecord } from './model.js';
import { fold, sortTitle, words } from './text.js';

export const MOVIE_ORDERS = ['newest', 'title', 'rating', 'popularity'] as const;
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

/**
 * The read model every instance keeps in memory: all titles (ours and partners'), sorted once per
 * order for keyset pagination, plus a MiniSearch full-text index. Fed from the catalog's change
 * feed; the write path may also apply its own changes early (read-your-writes), never instead.
 */
export class CatalogIndex {
  private readonly byId = new Map<string, Entry>();
  private readonly sorted: Record<MovieOrder, Entry[]> = { newest: [], title: [], rating: [], popularity: [] };
  private readonly text: MiniSearch<{ id: string; title: string; people: string; genres: string }>;
  private countCache = new Map<string, { at: number; version: number; total: number }>();
  /** Ranked ids per query, before filters; valid while no searchable text changes. */
  private searchCache = new Map<string, { textVersion: number; ids: string[]; scores: number[] }>();
  /** Bumps on every applied change. */
  version = 0;
  /** Bumps only when a title, person or genre changes (ratings and status changes do not). */
  private textVersion = 0;
  /** Searches answered from the ranked-id cache / computed; for metrics and the bench. */
  readonly searchStats = { cached: 0, computed: 0 };

  constructor() {
    this.text = new MiniSearch({
      fields: ['title', 'people', 'genres'],
      idField: 'id',
      tokenize,
      processTerm: (t) => t,
      searchOptions: { tokenize: (t) => words(t), processTerm: (t) => t },
    });
  }

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
    if (!old) this.text.add(doc);
    else {
      const before = this.doc(old.record);
      if (before.title !== doc.title || before.people !== doc.people || before.genres !== doc.genres) this.text.replace(doc);
      else {
        this.version++;
        return true;
      }
    }
    this.version++;
    this.textVersion++;
    return true;
  }

  remove(id: string): boolean {
    const old = this.byId.get(id);
    if (!old) return false;
    for (const order of MOVIE_ORDERS) this.sorted[order].splice(this.indexOf(this.sorted[order], order, old), 1);
    this.byId.delete(id);
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
   * allowed); when nothing matches that way, any word may. The ranking of a query does not depend
   * on filters, so it is computed once per query and searchable-text version and then filtered
   * per request: popular searches cost a filter pass, not a full scoring.
   */
  search(q: string, filter: TitleFilter, limit: number, after?: SearchPosition): { items: MovieRecord[]; next?: SearchPosition; total: number } {
    const { ids, scores } = this.ranked(q);
    let start = 0;
    if (after) {
      // Resume right after the last id shown; if it has since left the results, after its score.
      const at = ids.indexOf(after.id);
      start = at >= 0 && scores[at] === after.score ? at + 1 : scores.findIndex((s) => s < after.score);
      if (start < 0) start = ids.length;
    }
    const items: MovieRecord[] = [];
    let total = 0;
    let lastShown = -1;
    for (let i = 0; i < ids.length; i++) {
      const e = this.byId.get(ids[i]!);
      if (!e || !this.matches(e, filter)) continue;
      total++;
      if (i >= start && items.length < limit) {
        items.push(e.record);
        lastShown = i;
      }
    }
    let more = false;
    if (lastShown >= 0)
      for (let i = lastShown + 1; i < ids.length && !more; i++) {
        const e = this.byId.get(ids[i]!);
        more = !!e && this.matches(e, filter);
      }
    return { items, next: more ? { score: scores[lastShown]!, id: ids[lastShown]! } : undefined, total };
  }

  private ranked(q: string): { ids: string[]; scores: number[] } {
    const key = words(q).join(' ');
    const hit = this.searchCache.get(key);
    if (hit && hit.textVersion === this.textVersion) {
      this.searchStats.cached++;
      // Refresh its place in the LRU order.
      this.searchCache.delete(key);
      this.searchCache.set(key, hit);
      return hit;
    }
    this.searchStats.computed++;
    const opts = {
      boost: SEARCH_BOOST,
      prefix: (term: string, i: number, terms: string[]) => i === terms.length - 1 && term.length >= 2,
      fuzzy: (term: string) => (term.length >= 8 ? 2 : term.length >= 4 ? 1 : false),
    };
    let results = this.text.search(q, { ...opts, combineWith: 'AND' });
    if (results.length === 0) results = this.text.search(q, { ...opts, combineWith: 'OR' });
    const entry = { textVersion: this.textVersion, ids: results.map((r) => r.id as string), scores: results.map((r) => r.score) };
    if (this.searchCache.size >= 2_000) this.searchCache.delete(this.searchCache.keys().next().value!);
    this.searchCache.set(key, entry);
    return entry;
  }

  /** Forgets cached rankings (the bench uses it to measure uncached searches). */
  clearSearchCache(): void {
    this.searchCache.clear();
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
