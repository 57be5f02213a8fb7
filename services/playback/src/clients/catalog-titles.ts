import { AssetStatus, MaturityRating, MovieStatus, type Movie } from '@flix/proto/flix/catalog/v1/resources';
import { CachedMovieLookup } from '@flix/catalog-client';
import { MATURITY_LEVELS, type PlayableTitle } from '../domain/model.js';
import type { TitleDirectory } from '../domain/ports.js';

const STATUS: Record<number, PlayableTitle['status']> = {
  [MovieStatus.MOVIE_STATUS_DRAFT]: 'draft',
  [MovieStatus.MOVIE_STATUS_PUBLISHED]: 'published',
  [MovieStatus.MOVIE_STATUS_ARCHIVED]: 'archived',
};
const ASSET: Record<number, PlayableTitle['assetStatus']> = {
  [AssetStatus.ASSET_STATUS_WAITING]: 'waiting',
  [AssetStatus.ASSET_STATUS_PROCESSING]: 'processing',
  [AssetStatus.ASSET_STATUS_READY]: 'ready',
  [AssetStatus.ASSET_STATUS_ERRORED]: 'errored',
};

/**
 * Asks the catalog for a title with playback's service token (so drafts are reported as such and
 * the playback id is included). Cached briefly: every play of a popular title asks the same.
 */
export class CatalogTitleDirectory implements TitleDirectory {
  private readonly lookup: CachedMovieLookup;

  constructor(address: string, serviceToken: () => Promise<string>, ttlMs = 15_000) {
    this.lookup = new CachedMovieLookup(address, { foundTtlMs: ttlMs, accessToken: serviceToken });
  }

  async get(movieId: string): Promise<PlayableTitle | null> {
    const m = await this.lookup.get(movieId);
    return m ? toTitle(m) : null;
  }

  close(): void {
    this.lookup.close();
  }
}

function toTitle(m: Movie): PlayableTitle | null {
  // Partner titles play elsewhere.
  if (m.source && m.source !== 'flix') return null;
  const rating = m.maturityRating === MaturityRating.MATURITY_RATING_UNSPECIFIED ? 'NC17' : (MATURITY_LEVELS[m.maturityRating - 1] ?? 'NC17');
  return {
    id: m.id,
    title: m.title,
    status: STATUS[m.status] ?? 'unknown',
    assetStatus: m.video ? (ASSET[m.video.status] ?? 'none') : 'none',
    playbackId: m.video?.playbackId ?? '',
    // The asset's measured duration, else the listed runtime.
    durationSeconds: m.video?.durationSeconds || m.runtimeMinutes * 60,
    maturity: rating,
    availableFrom: m.availableFrom ?? null,
    availableUntil: m.availableUntil ?? null,
  };
}
