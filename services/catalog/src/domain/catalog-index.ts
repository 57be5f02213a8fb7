import { isVisible, type MovieRecord } from './model.js';
import { words } from './text.js';
import { TextIndex, textDoc, type Ranked } from './text-index.js';
import { indexedTitle, matchesFilter, type IndexedTitle, type TitleFilter } from './title-filter.js';
import { compareKeys, lowerBound, MOVIE_ORDERS, upperBound, type MovieOrder, type SortKey } from './title-order.js';

// The index's vocabulary, for callers that know only the index.
export { SEARCH_BOOST } from './text-index.js';
export type { SourceFilter, TitleFilter } from './title-filter.js';
export { MOVIE_ORDERS, type MovieOrder } from './title-order.js';

/** Where a page ended: the last item's sort key and id (keyset pagination). */
export interface ListPosition {
  key: SortKey;
}

export interface SearchPosition {
  score: number;
  id: string;
}

/** Whether (score a, id a) ranks before (score b, id b): higher score first, then id. */
const ranksBefore = (sa: number, ia: string, sb: number, ib: string) => sa > sb || (sa === sb && ia < ib);

/**
 * The read model every instance keeps in memory: all titles (ours and partners'), sorted once per
 * order for keyset pagination, plus a MiniSearch full-text index. Fed from the catalog's change
 * feed; the write path may also apply its own changes early (read-your-writes), never instead.
 */
export class CatalogIndex {
  private readonly byId = new Map<string, IndexedTitle>();
  private readonly sorted: Record<MovieOrder, IndexedTitle[]> = { newest: [], title: [], rating: [], popularity: [], updated: [] };
  private readonly text = new TextIndex();
  /** Entries by the text index's short document id, so search results need no id lookups. */
  private readonly byShortId: (IndexedTitle | undefined)[] = [];
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
    const fresh: IndexedTitle[] = [];
    for (const r of records) {
      const existing = this.byId.get(r.id);
      if (existing) {
        this.upsert(r);
        continue;
      }
      const e = indexedTitle(r);
      this.byId.set(r.id, e);
      fresh.push(e);
    }
    for (const order of MOVIE_ORDERS) {
      this.sorted[order].push(...fresh);
      this.sorted[order].sort((a, b) => compareKeys(a.keys[order], b.keys[order]));
    }
    this.text.addAll(fresh.map((e) => textDoc(e.record)));
    for (const e of fresh) this.byShortId[this.text.shortId(e.record.id)!] = e;
    this.version++;
    this.textVersion++;
  }

  /** Applies a title's newest state; an older version than the one held is ignored. */
  upsert(r: MovieRecord): boolean {
    const old = this.byId.get(r.id);
    if (old && old.record.version > r.version) return false;
    if (old && old.record.version === r.version && old.record.updatedAt.getTime() === r.updatedAt.getTime()) return false;
    const e = indexedTitle(r);
    for (const order of MOVIE_ORDERS) {
      const arr = this.sorted[order];
      if (old) arr.splice(this.indexOf(arr, order, old), 1);
      arr.splice(lowerBound(arr, order, e.keys[order]), 0, e);
    }
    this.byId.set(r.id, e);
    const doc = textDoc(r);
    const before = old && textDoc(old.record);
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
    let last: IndexedTitle | undefined;
    let more = false;
    for (let i = after ? upperBound(arr, order, after.key) : 0; i < arr.length; i++) {
      const e = arr[i]!;
      if (!matchesFilter(e, filter)) continue;
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
    const top: { e: IndexedTitle; score: number }[] = []; // best first
    const keep = limit + 1; // one more than shown tells whether there is a next page
    const before = (a: { e: IndexedTitle; score: number }, score: number, id: string) => ranksBefore(a.score, a.e.record.id, score, id);
    let total = 0;
    for (let i = 0; i < docs.length; i++) {
      const e = this.byShortId[docs[i]!];
      if (!e || !matchesFilter(e, filter)) continue;
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
      if (!matchesFilter(e, filter)) continue;
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
    for (const e of this.sorted.newest) if (matchesFilter(e, filter)) total++;
    if (this.countCache.size > 1000) this.countCache = new Map();
    this.countCache.set(key, { at: now, version: this.version, total });
    return total;
  }

  private indexOf(arr: IndexedTitle[], order: MovieOrder, e: IndexedTitle): number {
    const i = lowerBound(arr, order, e.keys[order]);
    if (arr[i] !== e) throw new Error(`catalog index out of order for ${e.record.id}`);
    return i;
  }
}

/** Visible-to-viewers check for single reads, matching the list filter. */
export const visibleNow = (m: MovieRecord, now: Date): boolean => isVisible(m, now);
