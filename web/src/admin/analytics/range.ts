/**
 * The dashboard's date range: whole UTC days, as the API counts them. The URL keeps it
 * (`?days=7`, or `?from=2026-01-01&to=2026-01-31` with both days included) so a view can be
 * shared and survives a reload.
 */
const DAY_MS = 86_400_000;
export const MAX_DAYS = 400;
export const PRESETS = [1, 7, 30, 90] as const;
export const DEFAULT_PRESET = 7;

export interface DayRange {
  /** First day, "YYYY-MM-DD" (UTC). */
  from: string;
  /** Last day, included. */
  to: string;
  /** The preset it came from (days ending today), if any. */
  preset?: number;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
export const dayOf = (t: Date): string => t.toISOString().slice(0, 10);
const parseDay = (day: string): Date | undefined => {
  if (!DAY_RE.test(day)) return undefined;
  const t = new Date(`${day}T00:00:00.000Z`);
  return Number.isNaN(t.getTime()) || dayOf(t) !== day ? undefined : t;
};
export const addDays = (day: string, n: number): string => dayOf(new Date(parseDay(day)!.getTime() + n * DAY_MS));

/** The last `days` UTC days, today included. */
export function presetRange(days: number, now: Date): DayRange {
  const today = dayOf(now);
  return { from: addDays(today, -(days - 1)), to: today, preset: days };
}

export interface RangeErrors {
  from?: string;
  to?: string;
}

/** Checks a custom range as the API would, so the operator hears about it beside the field. */
export function validateRange(from: string, to: string): RangeErrors {
  const errors: RangeErrors = {};
  const f = parseDay(from);
  const t = parseDay(to);
  if (!from) errors.from = 'Enter the first day.';
  else if (!f) errors.from = 'Enter a date as YYYY-MM-DD.';
  if (!to) errors.to = 'Enter the last day.';
  else if (!t) errors.to = 'Enter a date as YYYY-MM-DD.';
  if (f && t) {
    if (t.getTime() < f.getTime()) errors.to = 'The last day must not be before the first.';
    else if ((t.getTime() - f.getTime()) / DAY_MS + 1 > MAX_DAYS) errors.to = `At most ${MAX_DAYS} days.`;
  }
  return errors;
}

/** The range the URL asks for; the default preset when it asks for nothing valid. */
export function rangeFromParams(params: URLSearchParams, now: Date): DayRange {
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  if (from && to && Object.keys(validateRange(from, to)).length === 0) return { from, to };
  const days = Number(params.get('days'));
  return presetRange((PRESETS as readonly number[]).includes(days) ? days : DEFAULT_PRESET, now);
}

export const rangeParams = (r: DayRange): Record<string, string> => (r.preset ? { days: String(r.preset) } : { from: r.from, to: r.to });

/** The API's window: [first day 00:00Z, day after the last 00:00Z). */
export const apiWindow = (r: DayRange) => ({ from: `${r.from}T00:00:00Z`, to: `${addDays(r.to, 1)}T00:00:00Z` });

export const dayCount = (r: DayRange): number => Math.round((parseDay(r.to)!.getTime() - parseDay(r.from)!.getTime()) / DAY_MS) + 1;
