import { CatalogServiceService } from '@flix/proto/flix/catalog/v1/catalog_service';
import type { Movie } from '@flix/proto/flix/catalog/v1/resources';
import { createClient, type PromiseClient } from '@flix/grpc';
import { isDomainError } from '@flix/errors';
import { MATURITY_LEVELS } from '@flix/profiles';
import type { MovieFacts } from '../domain/model.js';
import type { MovieDirectory } from '../domain/ports.js';

const MAX_BATCH = 100;

/**
 * Engagement's view of the catalog. `get` asks GetMovie (public: only titles viewers can see)
 * and caches briefly — a rating burst on a new release asks for the same title over and over.
 * Unknown titles are remembered for less time, so a title just published becomes ratable soon.
 */
export class CatalogMovies implements MovieDirectory {
  private readonly client: PromiseClient<typeof CatalogServiceService>;
  private readonly cache = new Map<string, { until: number; facts: MovieFacts | null }>();

  constructor(address: string, private readonly ttl = { foundMs: 60_000, missingMs: 5_000 }) {
    this.client = createClient(CatalogServiceService, address, { deadlineMs: 2_000 });
  }

  async get(movieId: string): Promise<MovieFacts | null> {
    const hit = this.cache.get(movieId);
    if (hit && Date.now() < hit.until) return hit.facts;
    let facts: MovieFacts | null;
    try {
      const m = await this.client.getMovie({ movieId });
      facts = { id: m.id, maturity: MATURITY_LEVELS[m.maturityRating - 1] ?? null };
    } catch (e) {
      if (isDomainError(e) && (e.kind === 'not_found' || e.kind === 'invalid_argument')) facts = null;
      else throw e;
    }
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(movieId, { until: Date.now() + (facts ? this.ttl.foundMs : this.ttl.missingMs), facts });
    return facts;
  }

  /**
   * The titles as the caller may see them (BatchGetMovies with the caller's own token), for
   * showing a watchlist; titles gone from the catalog are simply absent from the map.
   */
  async details(movieIds: string[], accessToken: string): Promise<Map<string, Movie>> {
    const out = new Map<string, Movie>();
    const unique = [...new Set(movieIds)];
    for (let i = 0; i < unique.length; i += MAX_BATCH) {
      const res = await this.client.batchGetMovies({ movieIds: unique.slice(i, i + MAX_BATCH) }, { metadata: { authorization: `Bearer ${accessToken}` } });
      for (const m of res.movies) out.set(m.id, m);
    }
    return out;
  }

  close(): void {
    this.client.close();
  }
}
