import { CatalogServiceService } from '@flix/proto/flix/catalog/v1/catalog_service';
import { AssetStatus, MaturityRating, MovieStatus, type Movie } from '@flix/proto/flix/catalog/v1/resources';
import { createClient, type PromiseClient } from '@flix/grpc';
import { isDomainError } from '@flix/errors';
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
  private readonly client: PromiseClient<typeof CatalogServiceService>;
  private readonly cache = new Map<string, { at: number; title: PlayableTitle | null }>();

  constructor(address: string, private readonly serviceToken: () => Promise<string>, private readonly ttlMs = 15_000) {
    this.client = createClient(CatalogServiceService, address, { deadlineMs: 2_000 });
  }

  async get(movieId: string): Promise<PlayableTitle | null> {
    const hit = this.cache.get(movieId);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.title;
    let title: PlayableTitle | null;
    try {
      const m = await this.client.getMovie({ movieId }, { metadata: { authorization: `Bearer ${await this.serviceToken()}` } });
      title = toTitle(m);
    } catch (e) {
      if (isDomainError(e) && (e.kind === 'not_found' || e.kind === 'invalid_argument')) title = null;
      else throw e;
    }
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(movieId, { at: Date.now(), title });
    return title;
  }

  close(): void {
    this.client.close();
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
