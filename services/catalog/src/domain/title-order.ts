import { ratingAverage, type MovieRecord } from './model.js';
import { sortTitle } from './text.js';

export const MOVIE_ORDERS = ['newest', 'title', 'rating', 'popularity', 'updated'] as const;
export type MovieOrder = (typeof MOVIE_ORDERS)[number];

/** A title's position in one order; compared element by element. */
export type SortKey = (string | number)[];

/** What the sorted lists hold: anything carrying its sort key per order. */
export interface Sorted {
  keys: Record<MovieOrder, SortKey>;
}

/** Sort keys ascending; descending orders negate numbers. The id makes every key unique. */
export function keysOf(m: MovieRecord): Record<MovieOrder, SortKey> {
  return {
    newest: [-m.releaseYear, -m.createdAt.getTime(), m.id],
    title: [sortTitle(m.title), m.id],
    rating: [-ratingAverage(m), -m.ratingCount, m.id],
    popularity: [-m.popularity, m.id],
    updated: [-m.updatedAt.getTime(), m.id],
  };
}

export function compareKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

/** First index whose key is greater than `key` (strictly after it). */
export function upperBound(arr: readonly Sorted[], order: MovieOrder, key: SortKey): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(arr[mid]!.keys[order], key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose key is not less than `key` (where an entry with that key goes). */
export function lowerBound(arr: readonly Sorted[], order: MovieOrder, key: SortKey): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(arr[mid]!.keys[order], key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
