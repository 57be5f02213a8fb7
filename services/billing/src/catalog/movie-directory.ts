import { PlanTier } from '@flix/proto/flix/catalog/v1/resources';
import { CachedMovieLookup } from '@flix/catalog-client';
import { TIERS, type Money, type Tier } from '../domain/model.js';
import type { MovieDirectory } from '../domain/ports.js';

type Movie = { id: string; title: string; requiredTier: Tier | null; rentalPrice: Money | null };

/**
 * Asks the catalog (GetMovie, a public method: only titles a viewer can see) for a title's
 * rental price and required tier. Answers are cached briefly: entitlement checks ask for the
 * same titles over and over, and a price or tier change may take a minute to show.
 */
export class CatalogMovieDirectory implements MovieDirectory {
  private readonly lookup: CachedMovieLookup;

  constructor(address: string, ttlMs = 60_000) {
    this.lookup = new CachedMovieLookup(address, { foundTtlMs: ttlMs });
  }

  async get(movieId: string): Promise<Movie | null> {
    const m = await this.lookup.get(movieId);
    if (!m) return null;
    return {
      id: m.id,
      title: m.title,
      requiredTier: m.requiredPlan === PlanTier.PLAN_TIER_UNSPECIFIED ? null : (TIERS[m.requiredPlan - 1] ?? null),
      rentalPrice: m.rentalPrice && m.rentalPrice.amountMinor > 0 ? { amountMinor: m.rentalPrice.amountMinor, currency: m.rentalPrice.currency.toUpperCase() } : null,
    };
  }

  close(): void {
    this.lookup.close();
  }
}
