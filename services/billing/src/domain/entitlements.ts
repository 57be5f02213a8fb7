import { requireUser, type Principal } from '@flix/auth';
import { DomainError } from '@flix/errors';
import { invalidField, type BillingDeps } from './common.js';
import { decide, graceMs, type EntitlementDecision } from './entitlement.js';
import type { Money, Tier } from './model.js';
import type { Rentals } from './rentals.js';

export interface EntitlementRequest {
  /** '' for the caller's own account. */
  userId: string;
  movieId: string;
  requiredTier: Tier | null;
  /** Playback is starting: the first play of a rental starts its play clock. */
  startingPlayback: boolean;
}

export interface TitleEntitlement {
  movieId: string;
  decision: EntitlementDecision;
  requiredTier: Tier | null;
  rentalPrice: Money | null;
}

const TITLE_NOT_FOUND: EntitlementDecision = {
  allowed: false,
  reason: 'TITLE_NOT_FOUND',
  source: 'none',
  tier: null,
  maxStreams: 0,
  maxQuality: null,
  validUntil: null,
  rentalId: '',
  subscriptionStatus: null,
};

/** May this account watch this title? Answered from the per-account entitlement document by the pure rules. */
export class Entitlements {
  private readonly graceMs: number;

  constructor(
    private readonly deps: Pick<BillingDeps, 'store' | 'movies' | 'clock' | 'settings'>,
    private readonly rentals: Rentals,
  ) {
    this.graceMs = graceMs(deps.settings.graceDays);
  }

  /** CheckEntitlement (playback asks before and while streaming); a rental's first play starts its clock. */
  async check(principal: Principal | undefined, req: EntitlementRequest): Promise<EntitlementDecision> {
    if (!principal) throw new DomainError('unauthenticated', 'UNAUTHENTICATED', 'sign in first');
    const userId = req.userId || principal.subject;
    const privileged = principal.isService || principal.roles.includes('admin');
    if (!privileged && userId !== principal.subject) throw new DomainError('permission_denied', 'NOT_YOUR_ACCOUNT', 'userId: a user token may only check its own account', [{ field: 'userId', description: 'not the caller' }]);
    if (!req.movieId && !req.requiredTier) throw invalidField('movieId', 'name the title (movieId) or the tier it needs (requiredTier)');
    let requiredTier = req.requiredTier;
    if (!requiredTier && req.movieId) {
      const movie = await this.deps.movies.get(req.movieId);
      if (!movie) return { ...TITLE_NOT_FOUND };
      requiredTier = movie.requiredTier;
    }
    const now = this.deps.clock.now();
    const { doc, decision } = await this.entitlementOf(userId, { movieId: req.movieId, requiredTier }, now);
    if (decision.allowed && decision.source === 'rental' && req.startingPlayback) {
      const grant = doc?.rentals.find((r) => r.rentalId === decision.rentalId);
      if (grant && !grant.playStarted) {
        const started = await this.rentals.startClock(userId, req.movieId, now);
        if (started?.playExpiresAt) return { ...decision, validUntil: started.endsAt ?? decision.validUntil };
      }
    }
    return decision;
  }

  /**
   * The caller's entitlement to one title, for display: the same decision CheckEntitlement
   * makes, read-only (it never starts a rental's play clock), with what the title asks for.
   */
  async get(principal: Principal | undefined, movieId: string): Promise<TitleEntitlement> {
    const user = requireUser(principal);
    const id = movieId.trim();
    if (!id) throw invalidField('movieId', 'is required');
    if (id.length > 128 || /[\s\p{Cc}]/u.test(id)) throw invalidField('movieId', 'is not a title id');
    const movie = await this.deps.movies.get(id);
    if (!movie) throw new DomainError('not_found', 'MOVIE_NOT_FOUND', `movieId: no title ${id}`, [{ field: 'movieId', description: 'no such title' }]);
    const { decision } = await this.entitlementOf(user.subject, { movieId: movie.id, requiredTier: movie.requiredTier }, this.deps.clock.now());
    return { movieId: movie.id, decision, requiredTier: movie.requiredTier, rentalPrice: movie.rentalPrice };
  }

  /** The account's entitlement document and the rules' answer for one title (reads only). */
  private async entitlementOf(userId: string, title: { movieId: string; requiredTier: Tier | null }, now: Date) {
    const doc = await this.deps.store.entitlement(userId);
    return { doc, decision: decide(doc, title, now, this.graceMs) };
  }
}
