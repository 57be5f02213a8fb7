import { CatalogServiceService } from '@flix/proto/flix/catalog/v1/catalog_service';
import type { Movie } from '@flix/proto/flix/catalog/v1/resources';
import { createClient, type PromiseClient } from '@flix/grpc';
import { isDomainError } from '@flix/errors';

export interface MovieLookupOptions {
  /** How long a title that exists is remembered. */
  foundTtlMs: number;
  /** How long "no such title" is remembered (shorter lets a title just published show soon). */
  missingTtlMs?: number;
  /** A bearer token to ask with (a service token sees drafts and playback ids); none: as the public. */
  accessToken?: () => Promise<string>;
}

/**
 * The catalog's GetMovie with a short cache, for services that ask about the same titles over
 * and over (entitlement checks, playback starts, rating bursts). Unknown titles — and ids the
 * catalog rejects — come back as null; every other error propagates.
 */
export class CachedMovieLookup {
  readonly client: PromiseClient<typeof CatalogServiceService>;
  private readonly cache = new Map<string, { until: number; movie: Movie | null }>();

  constructor(address: string, private readonly opts: MovieLookupOptions) {
    this.client = createClient(CatalogServiceService, address, { deadlineMs: 2_000 });
  }

  async get(movieId: string): Promise<Movie | null> {
    const hit = this.cache.get(movieId);
    if (hit && Date.now() < hit.until) return hit.movie;
    let movie: Movie | null;
    try {
      const metadata = this.opts.accessToken ? { authorization: `Bearer ${await this.opts.accessToken()}` } : undefined;
      movie = await this.client.getMovie({ movieId }, { metadata });
    } catch (e) {
      if (isDomainError(e) && (e.kind === 'not_found' || e.kind === 'invalid_argument')) movie = null;
      else throw e;
    }
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(movieId, { until: Date.now() + (movie ? this.opts.foundTtlMs : (this.opts.missingTtlMs ?? this.opts.foundTtlMs)), movie });
    return movie;
  }

  close(): void {
    this.client.close();
  }
}
