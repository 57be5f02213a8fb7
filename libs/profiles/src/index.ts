import { createHash } from 'node:crypto';
import { IdentityServiceService } from '@flix/proto/flix/identity/v1/identity_service';
import { MaturityRating } from '@flix/proto/flix/identity/v1/resources';
import { createClient, type PromiseClient } from '@flix/grpc';
import { DomainError } from '@flix/errors';

import { MATURITY_LEVELS, type Maturity } from './maturity.js';

export { MATURITY_LEVELS, maturityRank, type Maturity } from './maturity.js';

/** What services ask of identity about a viewer profile. */
export interface ProfileDirectory {
  /** The profile's maturity ceiling; NOT_FOUND (field profileId) when it is not the caller's. */
  maxMaturity(accessToken: string, profileId: string): Promise<Maturity>;
}

/**
 * Asks identity for the caller's profiles with the caller's own token (so identity decides whose
 * profiles they are). Answers are cached briefly per token, since a session of browsing or
 * playing asks with the same profile again and again.
 */
export class IdentityProfileDirectory implements ProfileDirectory {
  private readonly client: PromiseClient<typeof IdentityServiceService>;
  private readonly cache = new Map<string, { at: number; limits: Map<string, Maturity> }>();

  constructor(address: string, private readonly ttlMs = 30_000) {
    this.client = createClient(IdentityServiceService, address, { deadlineMs: 2_000 });
  }

  async maxMaturity(accessToken: string, profileId: string): Promise<Maturity> {
    const key = createHash('sha256').update(accessToken).digest('base64url');
    let entry = this.cache.get(key);
    if (!entry || Date.now() - entry.at > this.ttlMs) {
      const res = await this.client.listProfiles({ pageSize: 10, pageToken: '' }, { metadata: { authorization: `Bearer ${accessToken}` } });
      const limits = new Map<string, Maturity>();
      for (const p of res.profiles) {
        const level = p.maxMaturity === MaturityRating.MATURITY_RATING_UNSPECIFIED ? 'NC17' : MATURITY_LEVELS[p.maxMaturity - 1];
        // Unknown levels are treated as the strictest one rather than the loosest.
        limits.set(p.id, level ?? 'G');
      }
      entry = { at: Date.now(), limits };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(key, entry);
    }
    const limit = entry.limits.get(profileId);
    if (!limit)
      throw new DomainError('not_found', 'PROFILE_NOT_FOUND', `profileId: no profile ${profileId} on this account`, [{ field: 'profileId', description: 'not a profile of this account' }]);
    return limit;
  }

  close(): void {
    this.client.close();
  }
}
