import { Violations } from '@flix/errors';
import { KNOWN_GENRES, KNOWN_LANGUAGES, MATURITY_LEVELS, PLAN_TIERS, type Maturity, type MovieRecord, type PlanTier, type Price } from './model.js';
import { fold } from './text.js';
import { quoted } from './quoted.js';

/** What an admin may set on a title; field names are the public (lowerCamelCase) ones. */
export interface MovieInput {
  title?: string;
  description?: string;
  genres?: string[];
  directors?: string[];
  cast?: string[];
  releaseYear?: number;
  runtimeMinutes?: number;
  /** One of MATURITY_LEVELS; anything else is reported. */
  maturityRating?: string;
  audioLanguages?: string[];
  subtitleLanguages?: string[];
  thumbnailUrl?: string;
  backdropUrl?: string;
  trailerUrl?: string;
  /** One of PLAN_TIERS, or null for "not in any plan". */
  requiredPlan?: string | null;
  rentalPrice?: Price | null;
  availableFrom?: Date | null;
  availableUntil?: Date | null;
}

export type MovieField = keyof MovieInput;

export const MOVIE_FIELDS: readonly MovieField[] = [
  'title', 'description', 'genres', 'directors', 'cast', 'releaseYear', 'runtimeMinutes', 'maturityRating', 'audioLanguages',
  'subtitleLanguages', 'thumbnailUrl', 'backdropUrl', 'trailerUrl', 'requiredPlan', 'rentalPrice', 'availableFrom', 'availableUntil',
];

/** Public field name for each input field (artwork is nested in the resource). */
export const PUBLIC_NAME: Record<MovieField, string> = {
  ...(Object.fromEntries(MOVIE_FIELDS.map((f) => [f, f])) as Record<MovieField, string>),
  thumbnailUrl: 'artwork.thumbnailUrl',
  backdropUrl: 'artwork.backdropUrl',
};

const GENRE_BY_FOLDED = new Map<string, string>(KNOWN_GENRES.map((g) => [fold(g), g]));
const LANGUAGES = new Set<string>(KNOWN_LANGUAGES);
export const FIRST_FILM_YEAR = 1888;

export const canonicalGenre = (g: string): string | undefined => GENRE_BY_FOLDED.get(fold(g.trim()));

function checkNames(v: Violations, field: string, list: string[], max: number, required: boolean): void {
  if (required && list.length === 0) v.add(field, 'must name at least one');
  if (list.length > max) v.add(field, `at most ${max} entries`);
  list.forEach((n, i) => {
    if (n.trim() === '' || n.trim().length > 100) v.add(`${field}[${i}]`, 'must be 1 to 100 characters');
  });
}

function checkLanguages(v: Violations, field: string, list: string[], required: boolean): void {
  if (required && list.length === 0) v.add(field, 'must name at least one language');
  list.forEach((l, i) => {
    if (!LANGUAGES.has(l)) v.add(`${field}[${i}]`, `unknown language ${quoted(l)} (ISO 639-1, e.g. en, fr, ja)`);
  });
  if (new Set(list).size !== list.length) v.add(field, 'lists a language twice');
}

function checkUrl(v: Violations, field: string, value: string): void {
  if (value === '') return;
  try {
    const u = new URL(value);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') v.add(field, 'must be an http(s) URL');
  } catch {
    v.add(field, 'must be an http(s) URL');
  }
}

/** Checks the given fields of an input; `creating` makes the required ones required. */
export function checkMovieFields(v: Violations, input: MovieInput, fields: readonly MovieField[], now: Date, creating: boolean): void {
  const has = (f: MovieField) => fields.includes(f);
  if (has('title')) {
    const t = (input.title ?? '').trim();
    if (t === '') v.add('title', 'is required');
    else if (t.length > 200) v.add('title', 'at most 200 characters');
  } else if (creating) v.add('title', 'is required');
  if (has('description') && (input.description ?? '').length > 4000) v.add('description', 'at most 4000 characters');
  if (has('genres') || creating) {
    const genres = input.genres ?? [];
    if (genres.length === 0) v.add('genres', 'must name at least one genre');
    if (genres.length > 5) v.add('genres', 'at most 5 genres');
    genres.forEach((g, i) => {
      if (!canonicalGenre(g)) v.add(`genres[${i}]`, `unknown genre ${quoted(g)} (known: ${KNOWN_GENRES.join(', ')})`);
    });
  }
  if (has('directors')) checkNames(v, 'directors', input.directors ?? [], 10, false);
  if (has('cast')) checkNames(v, 'cast', input.cast ?? [], 50, false);
  if (has('releaseYear') || creating) {
    const y = input.releaseYear ?? 0;
    const max = now.getUTCFullYear() + 3;
    if (!Number.isInteger(y) || y < FIRST_FILM_YEAR || y > max) v.add('releaseYear', `must be a year from ${FIRST_FILM_YEAR} to ${max}`);
  }
  if (has('runtimeMinutes') || creating) {
    const r = input.runtimeMinutes ?? 0;
    if (!Number.isInteger(r) || r <= 0 || r > 1000) v.add('runtimeMinutes', 'must be a whole number of minutes, 1 to 1000');
  }
  if (has('maturityRating') || creating) {
    const m = input.maturityRating;
    if (!m) v.add('maturityRating', `is required (${MATURITY_LEVELS.join(', ')})`);
    else if (!MATURITY_LEVELS.includes(m as Maturity)) v.add('maturityRating', `unknown rating ${quoted(m)} (${MATURITY_LEVELS.join(', ')})`);
  }
  if (has('audioLanguages') || creating) checkLanguages(v, 'audioLanguages', input.audioLanguages ?? [], true);
  if (has('subtitleLanguages')) checkLanguages(v, 'subtitleLanguages', input.subtitleLanguages ?? [], false);
  for (const f of ['thumbnailUrl', 'backdropUrl', 'trailerUrl'] as const) if (has(f)) checkUrl(v, PUBLIC_NAME[f], input[f] ?? '');
  if (has('requiredPlan') && input.requiredPlan != null && !PLAN_TIERS.includes(input.requiredPlan as PlanTier))
    v.add('requiredPlan', `unknown plan tier ${quoted(input.requiredPlan)} (${PLAN_TIERS.join(', ')})`);
  if (has('rentalPrice') && input.rentalPrice) {
    const p = input.rentalPrice;
    if (!Number.isInteger(p.amountMinor) || p.amountMinor <= 0 || p.amountMinor > 100_000)
      v.add('rentalPrice.amountMinor', 'must be 1 to 100000 (minor units, e.g. cents)');
    if (!/^[A-Z]{3}$/.test(p.currency)) v.add('rentalPrice.currency', 'must be an ISO 4217 code such as USD');
  }
}

/** Rules across fields, on the title as it would be stored. */
export function checkMovieRecord(v: Violations, m: MovieRecord): void {
  if (!m.requiredPlan && !m.rentalPrice) v.add('requiredPlan', 'a title needs a plan tier, a rental price, or both');
  if (m.availableFrom && m.availableUntil && m.availableUntil.getTime() <= m.availableFrom.getTime())
    v.add('availableUntil', 'must be after availableFrom');
}

/** Publishing needs a playable video and a window that is open now or opens later. */
export function checkPublishable(v: Violations, m: MovieRecord, now: Date): void {
  checkMovieRecord(v, m);
  if (!m.video || m.video.status !== 'ready')
    v.add('video', `needs a ready video asset (now: ${m.video ? m.video.status : 'no upload'}); upload one with :createUpload`);
  if (m.availableUntil && m.availableUntil.getTime() <= now.getTime()) v.add('availableUntil', 'is in the past: the title could never be watched');
  const tenYears = 10 * 365 * 24 * 3600 * 1000;
  if (m.availableFrom && m.availableFrom.getTime() > now.getTime() + tenYears) v.add('availableFrom', 'is more than ten years ahead');
}
