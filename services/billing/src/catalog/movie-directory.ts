import { CatalogServiceService } from '@flix/proto/flix/catalog/v1/catalog_service';
import { PlanTier } from '@flix/proto/flix/catalog/v1/resources';
import { createClient, type PromiseClient } from '@flix/grpc';
import { isDomainError } from '@flix/errors';
import { TIERS, type Money, type Tier } from '../domain/model.js';
import type { MovieDirectory } from '../domain/ports.js';

type Movie = { id: string; title: string; requiredTier: Tier | null; rentalPrice: Money | null };

/**
 * Asks the catalog (GetMovie, a public method: only titles a viewer can see) for a title's
 * rental price and required tier. Answers are cached briefly: entitlement checks ask for the
 * same titles over and over, and a price or tier change may take a minute to show.
 */
export class CatalogMovieDirectory implements MovieDirectory {
  private readonly client: PromiseClient<typeof CatalogServiceService>;
  private readonly cache = new Map<string, { at: number; movie: Movie | null }>();

  constructor(address: string, private readonly ttlMs = 60_000) {
    this.client = createClient(CatalogServiceService, address, { deadlineMs: 2_000 });
  }

  async get(movieId: string): Promise<Movie | null> {
    const hit = this.cache.get(movieId);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.movie;
    let movie: Movie | null;
    try {
      const m = await this.client.getMovie({ movieId });
      movie = {
        id: m.id,
        title: m.title,
        requiredTier: m.requiredPlan === PlanTier.PLAN_TIER_UNSPECIFIED ? null : (TIERS[m.requiredPlan - 1] ?? null),
        rentalPrice: m.rentalPrice && m.rentalPrice.amountMinor > 0 ? { amountMinor: m.rentalPrice.amountMinor, currency: m.rentalPrice.currency.toUpperCase() } : null,
      };
    } catch (e) {
      if (isDomainError(e) && (e.kind === 'not_found' || e.kind === 'invalid_argument')) movie = null;
      else throw e;
    }
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(movieId, { at: Date.now(), movie });
    return movie;
  }

  close(): void {
    this.client.close();
  }
}
