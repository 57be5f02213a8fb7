import { describe, expect, it } from 'vitest';
import { DomainError } from '@flix/errors';
import { rankTitles, summaryWindow } from './summary.js';

const fields = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e.fieldViolations.map((v) => v.field);
    throw e;
  }
  return [];
};

describe('summary window', () => {
  it('widens to whole UTC days and lists the days and months it covers', () => {
    const w = summaryWindow(new Date('2026-01-30T13:00:00Z'), new Date('2026-02-02T01:00:00Z'), 0);
    expect(w.from.toISOString()).toBe('2026-01-30T00:00:00.000Z');
    expect(w.to.toISOString()).toBe('2026-02-03T00:00:00.000Z');
    expect(w.days).toEqual(['2026-01-30', '2026-01-31', '2026-02-01', '2026-02-02']);
    expect(w.months).toEqual(['2026-01', '2026-02']);
    expect(w.titleLimit).toBe(10);
  });

  it('names every bad field', () => {
    expect(fields(() => summaryWindow(undefined, undefined, -1))).toEqual(['from', 'to', 'titleLimit']);
    expect(fields(() => summaryWindow(new Date('2026-02-01'), new Date('2026-01-01'), 0))).toEqual(['to']);
    expect(fields(() => summaryWindow(new Date('2026-01-01'), new Date('2026-01-01'), 0))).toEqual(['to']);
    expect(fields(() => summaryWindow(new Date('2025-01-01'), new Date('2026-03-01'), 0))).toEqual(['to']);
    expect(fields(() => summaryWindow(new Date('invalid'), new Date('2026-03-01'), 0))).toEqual(['from']);
    expect(fields(() => summaryWindow(new Date('2026-01-01'), new Date('2026-03-01'), 100))).toEqual([]);
  });
});

describe('title ranking', () => {
  it('ranks by plays, watch time and rebuffering ratio, ties by id, within the limit', () => {
    const t = (movieId: string, plays: number, watchSeconds: number, rebufferMs: number, sessionsEnded = 1) => ({ movieId, plays, watchSeconds, rebufferMs, sessionsEnded, completions: 0 });
    const r = rankTitles([t('b', 5, 100, 0), t('a', 5, 300, 1000), t('c', 1, 10, 5000), t('d', 0, 0, 0, 0)], 2);
    expect(r.byPlays.map((x) => x.movieId)).toEqual(['a', 'b']);
    expect(r.byWatchTime.map((x) => x.movieId)).toEqual(['a', 'b']);
    expect(r.byRebuffering.map((x) => x.movieId)).toEqual(['c', 'a']);
  });
});
