import { createClient, type PromiseClient } from '@flix/grpc';
import { BillingServiceService } from '@flix/proto/flix/billing/v1/billing_service';
import { BillingInterval } from '@flix/proto/flix/billing/v1/resources';
import type { PlanPrice } from '../domain/model.js';

/** Reads plan prices from billing's public plan list (every page). */
export class BillingPlanSource {
  private readonly client: PromiseClient<typeof BillingServiceService>;

  constructor(address: string) {
    this.client = createClient(BillingServiceService, address, { deadlineMs: 3_000 });
  }

  async prices(): Promise<PlanPrice[]> {
    const out: PlanPrice[] = [];
    let pageToken = '';
    do {
      const page = await this.client.listPlans({ pageSize: 100, pageToken, includeInactive: false });
      for (const p of page.plans) {
        if (!p.price) continue;
        out.push({
          planId: p.id,
          amountMinor: p.price.amountMinor,
          currency: p.price.currency.toUpperCase(),
          months: p.interval === BillingInterval.BILLING_INTERVAL_YEARLY ? 12 : 1,
        });
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out;
  }

  close(): void {
    this.client.close();
  }
}
