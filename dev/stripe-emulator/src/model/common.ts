/** What every wire shape shares: lists, search results, deletions, ids and amounts. */
import { randomBytes } from 'node:crypto';

/** The version the SDK pins (stripe@23 `ApiVersion`); events carry it as `api_version`. */
export const DEFAULT_API_VERSION = '2026-10-28.endive';

export type Metadata = Record<string, string>;

export interface ListJson<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
  total_count?: number;
}

export interface SearchResultJson<T> {
  object: 'search_result';
  data: T[];
  has_more: boolean;
  next_page: string | null;
  url: string;
}

export interface DeletedJson {
  id: string;
  object: string;
  deleted: true;
}

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Random base62 text; 248 = 62 * 4, so dropping bytes above it keeps the alphabet uniform. */
export function randomText(length: number, alphabet = ALNUM): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length)) if (b < 248 && out.length < length) out += alphabet[b % alphabet.length];
  }
  return out;
}

/** Ids shaped like Stripe's test-mode ids: `cus_…`, `cs_test_…`, `evt_…`. */
export function stripeId(prefix: string, length = 24): string {
  return `${prefix}_${randomText(length)}`;
}

export function emptyList<T>(url: string): ListJson<T> {
  return { object: 'list', data: [], has_more: false, url, total_count: 0 };
}

/** Currencies Stripe counts in whole units (no minor unit). */
export const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);

export function formatAmount(amount: number, currency: string): string {
  const c = currency.toLowerCase();
  const value = ZERO_DECIMAL.has(c) ? String(amount) : (amount / 100).toFixed(2);
  return `${value} ${c.toUpperCase()}`;
}
