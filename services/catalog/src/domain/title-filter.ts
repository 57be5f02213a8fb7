import { maturityRank, OWN_SOURCE, type AssetStatus, type MovieRecord, type MovieStatus } from './model.js';
import { fold } from './text.js';
import { keysOf, type Sorted } from './title-order.js';

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

/** A title as the index holds it: the record plus what the filters and orders compare, worked out once. */
export interface IndexedTitle extends Sorted {
  record: MovieRecord;
  /** Folded genre names. */
  genres: string[];
  /** Audio and subtitle languages. */
  languages: string[];
  matRank: number;
  /** Availability window in ms (open ends as ±Infinity). */
  fromMs: number;
  untilMs: number;
}

/** Works out what the filters and orders compare, once per title version. */
export function indexedTitle(r: MovieRecord): IndexedTitle {
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

/** Whether a title passes every part of the filter. */
export function matchesFilter(e: IndexedTitle, f: TitleFilter): boolean {
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
