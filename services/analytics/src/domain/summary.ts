import { Violations } from '@flix/errors';
import type { DailyCounter, TitleCounter } from './model.js';

const DAY_MS = 86_400_000;
export const MAX_WINDOW_DAYS = 400;
export const DEFAULT_TITLE_LIMIT = 10;
export const MAX_TITLE_LIMIT = 100;

export interface SummaryWindow {
  /** UTC midnight at or before the requested `from`. */
  from: Date;
  /** UTC midnight at or after the requested `to`. */
  to: Date;
  days: string[];
  months: string[];
  titleLimit: number;
}

/** Checks a summary request; every problem names its field. */
export function summaryWindow(from: Date | undefined, to: Date | undefined, titleLimit: number): SummaryWindow {
  const v = new Violations();
  const valid = (d: Date | undefined) => d instanceof Date && !Number.isNaN(d.getTime());
  if (!valid(from)) v.add('from', 'required: an RFC 3339 timestamp, e.g. 2026-01-01T00:00:00Z');
  if (!valid(to)) v.add('to', 'required: an RFC 3339 timestamp, e.g. 2026-02-01T00:00:00Z');
  if (valid(from) && valid(to)) {
    if (to!.getTime() <= from!.getTime()) v.add('to', 'must be after from');
    else if (to!.getTime() - from!.getTime() > MAX_WINDOW_DAYS * DAY_MS) v.add('to', `must be at most ${MAX_WINDOW_DAYS} days after from`);
  }
  if (!Number.isInteger(titleLimit) || titleLimit < 0 || titleLimit > MAX_TITLE_LIMIT) v.add('titleLimit', `must be between 0 and ${MAX_TITLE_LIMIT}`);
  v.throwIfAny('INVALID_SUMMARY_WINDOW');
  const start = new Date(Math.floor(from!.getTime() / DAY_MS) * DAY_MS);
  const end = new Date(Math.ceil(to!.getTime() / DAY_MS) * DAY_MS);
  const days: string[] = [];
  const months = new Set<string>();
  for (let t = start.getTime(); t < end.getTime(); t += DAY_MS) {
    const iso = new Date(t).toISOString();
    days.push(iso.slice(0, 10));
    months.add(iso.slice(0, 7));
  }
  return { from: start, to: end, days, months: [...months], titleLimit: titleLimit || DEFAULT_TITLE_LIMIT };
}

export const ratio = (part: number, whole: number): number => (whole > 0 ? part / whole : 0);

export interface TitleTotals extends Record<TitleCounter, number> {
  movieId: string;
}

export interface TitleRanking<T> {
  byPlays: T[];
  byWatchTime: T[];
  byRebuffering: T[];
}

export const rebufferingRatio = (rebufferMs: number, watchSeconds: number): number => ratio(rebufferMs, rebufferMs + watchSeconds * 1000);

/** The three per-title top lists (ties broken by id so pages are stable). */
export function rankTitles(titles: TitleTotals[], limit: number): TitleRanking<TitleTotals> {
  const by = (key: (t: TitleTotals) => number, list: TitleTotals[]) =>
    [...list].sort((a, b) => key(b) - key(a) || (a.movieId < b.movieId ? -1 : 1)).slice(0, limit);
  return {
    byPlays: by((t) => t.plays, titles.filter((t) => t.plays > 0)),
    byWatchTime: by((t) => t.watchSeconds, titles.filter((t) => t.watchSeconds > 0)),
    byRebuffering: by((t) => rebufferingRatio(t.rebufferMs, t.watchSeconds), titles.filter((t) => t.sessionsEnded > 0)),
  };
}

export type DailyTotals = Record<DailyCounter, number>;
