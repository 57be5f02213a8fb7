import { createHash } from 'node:crypto';
import { canonicalGenre } from '../domain/validation.js';
import { KNOWN_LANGUAGES, MATURITY_LEVELS, type Maturity, type MovieRecord } from '../domain/model.js';
import { PARTNER_ID_PREFIX } from '../domain/catalog.js';
import type { PartnerFeedDocument } from '../demo/generator.js';

export interface PartnerFeedConfig {
  id: string;
  name: string;
  url: string;
}

/** "id|Name|url,id2|Name 2|url2" → feeds; throws with the offending entry named. */
export function parsePartnerFeeds(spec: string): PartnerFeedConfig[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const [id, name, url] = entry.split('|').map((s) => s.trim());
      if (!id || !/^[a-z][a-z0-9]{1,30}$/.test(id) || !name || !url || !/^https?:\/\//.test(url))
        throw new Error(`partner feed "${entry}" is not "id|Name|http(s)://url" (id: lower-case letters and digits)`);
      return { id, name, url };
    });
}

export class FeedError extends Error {
  override readonly name = 'FeedError';
}

/** Fetches a feed with a hard deadline: a slow partner costs at most `timeoutMs`, then it is given up. */
export async function fetchFeed(url: string, timeoutMs: number): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (e) {
    const err = e as Error;
    throw new FeedError(err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `unreachable: ${err.message}`);
  }
  if (!res.ok) throw new FeedError(`answered HTTP ${res.status}`);
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new FeedError('did not send JSON');
  }
}

const safeId = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);

/**
 * A feed document → partner titles. A malformed document is an error (the last good snapshot
 * stays); a malformed entry is skipped and reported, the rest is taken.
 */
export function parseFeedDocument(feed: PartnerFeedConfig, doc: unknown, now: Date): { titles: { record: MovieRecord; contentHash: string }[]; skipped: string[] } {
  if (!doc || typeof doc !== 'object' || !Array.isArray((doc as PartnerFeedDocument).titles)) throw new FeedError('document has no "titles" array');
  const skipped: string[] = [];
  const titles: { record: MovieRecord; contentHash: string }[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of (doc as PartnerFeedDocument).titles.entries()) {
    const t = raw as Partial<PartnerFeedDocument['titles'][number]>;
    const problems: string[] = [];
    if (typeof t.id !== 'string' || !safeId(t.id)) problems.push('id');
    if (typeof t.title !== 'string' || !t.title.trim()) problems.push('title');
    if (typeof t.language !== 'string' || !(KNOWN_LANGUAGES as readonly string[]).includes(t.language)) problems.push('language');
    if (typeof t.url !== 'string' || !/^https?:\/\//.test(t.url)) problems.push('url');
    if (t.cost != null && (!Number.isInteger(t.cost.amountMinor) || t.cost.amountMinor < 0 || !/^[A-Z]{3}$/.test(String(t.cost.currency)))) problems.push('cost');
    if (problems.length) {
      skipped.push(`titles[${i}]: bad ${problems.join(', ')}`);
      continue;
    }
    const id = `${PARTNER_ID_PREFIX}${feed.id}-${safeId(t.id!)}`;
    if (seen.has(id)) {
      skipped.push(`titles[${i}]: duplicate id ${t.id}`);
      continue;
    }
    seen.add(id);
    const maturity = (MATURITY_LEVELS as readonly string[]).includes(String(t.maturity)) ? (t.maturity as Maturity) : 'NC17';
    const record: MovieRecord = {
      id,
      source: feed.id,
      title: t.title!.trim(),
      description: String(t.description ?? ''),
      genres: (t.genres ?? []).map((g) => canonicalGenre(String(g)) ?? String(g)),
      directors: (t.directors ?? []).map(String),
      cast: (t.cast ?? []).map(String),
      releaseYear: Number.isInteger(t.releaseYear) ? t.releaseYear! : 0,
      runtimeMinutes: Number.isInteger(t.runtimeMinutes) ? t.runtimeMinutes! : 0,
      // Unrated partner titles are treated as adult-only rather than as for everyone.
      maturity,
      audioLanguages: [t.language!],
      subtitleLanguages: [],
      thumbnailUrl: '',
      backdropUrl: '',
      trailerUrl: '',
      requiredPlan: null,
      rentalPrice: null,
      availableFrom: null,
      availableUntil: null,
      status: 'published',
      video: null,
      ratingSum: 0,
      ratingCount: 0,
      popularity: 0,
      partner: { partnerId: feed.id, partnerName: feed.name, price: t.cost ?? null, url: t.url!, lastSeenAt: now },
      createdAt: now,
      updatedAt: now,
      publishedAt: now,
      version: 1,
    };
    // lastSeenAt and times change on every fetch; the hash covers what the partner said.
    const contentHash = createHash('sha256').update(JSON.stringify(t)).digest('base64url');
    titles.push({ record, contentHash });
  }
  return { titles, skipped };
}
