import type { Movie } from '@flix/proto/flix/catalog/v1/resources';
import { CachedMovieLookup } from '@flix/catalog-client';
import { MATURITY_LEVELS } from '@flix/profiles/maturity';
import type { MovieFacts } from '../domain/model.js';
import type { MovieDirectory } from '../domain/ports.js';

const MAX_BATCH = 100;

/**
 * Engagement's view of the catalog. `get` asks GetMovie (public: only titles viewers can see)
 * and caches briefly — a rating burst on a new release asks for the same title over and over.
 * Unknown titles are remembered for less time, so a title just published becomes ratable soon.
 */
export class CatalogMovies implements MovieDirectory {
  private readonly lookup: CachedMovieLookup;

  constructor(address: string, ttl = { foundMs: 60_000, missingMs: 5_000 }) {
    this.lookup = new CachedMovieLookup(address, { foundTtlMs: ttl.foundMs, missingTtlMs: ttl.missingMs });
  }

  async get(movieId: string): Promise<MovieFacts | null> {
    const m = await this.lookup.get(movieId);
    return m ? { id: m.id, maturity: MATURITY_LEVELS[m.maturityRating - 1] ?? null } : null;
  }

  /**
   * The titles as the caller may see them (BatchGetMovies with the caller's own token), for
   * showing a watchlist; titles gone from the catalog are simply absent from the map.
   */
  async details(movieIds: string[], accessToken: string): Promise<Map<string, Movie>> {
    const out = new Map<string, Movie>();
    const unique = [...new Set(movieIds)];
    for (let i = 0; i < unique.length; i += MAX_BATCH) {
      const res = await this.lookup.client.batchGetMovies({ movieIds: unique.slice(i, i + MAX_BATCH) }, { metadata: { authorization: `Bearer ${accessToken}` } });
      for (const m of res.movies) out.set(m.id, m);
    }
    return out;
  }

  close(): void {
    this.lookup.close();
  }
}
