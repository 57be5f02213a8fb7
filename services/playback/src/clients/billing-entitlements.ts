import { BillingServiceService } from '@flix/proto/flix/billing/v1/billing_service';
import { EntitlementReason, EntitlementSource, VideoQuality } from '@flix/proto/flix/billing/v1/resources';
import { createClient, type PromiseClient } from '@flix/grpc';
import type { EntitlementDecision, Quality } from '../domain/model.js';
import type { EntitlementChecker } from '../domain/ports.js';

const QUALITY: Record<number, Quality> = { [VideoQuality.VIDEO_QUALITY_SD]: 'SD', [VideoQuality.VIDEO_QUALITY_HD]: 'HD', [VideoQuality.VIDEO_QUALITY_UHD]: 'UHD' };

/** Billing's CheckEntitlement, asked with the viewer's own token (billing decides whose account it is). */
export class BillingEntitlements implements EntitlementChecker {
  private readonly client: PromiseClient<typeof BillingServiceService>;

  constructor(address: string) {
    this.client = createClient(BillingServiceService, address, { deadlineMs: 2_000 });
  }

  async check(accessToken: string, movieId: string, startingPlayback: boolean): Promise<EntitlementDecision> {
    const r = await this.client.checkEntitlement(
      { userId: '', movieId, requiredTier: 0, startingPlayback },
      { metadata: { authorization: `Bearer ${accessToken}` } },
    );
    return {
      allowed: r.allowed,
      reason: EntitlementReason[r.reason]?.replace(/^ENTITLEMENT_REASON_/, '') ?? 'UNSPECIFIED',
      source: r.source === EntitlementSource.ENTITLEMENT_SOURCE_RENTAL ? 'rental' : r.source === EntitlementSource.ENTITLEMENT_SOURCE_SUBSCRIPTION ? 'subscription' : 'none',
      maxStreams: r.maxConcurrentStreams,
      maxQuality: QUALITY[r.maxQuality] ?? null,
      validUntil: r.validUntil ?? null,
      rentalId: r.rentalId,
    };
  }

  close(): void {
    this.client.close();
  }
}
