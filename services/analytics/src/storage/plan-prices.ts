import type { Db } from 'mongodb';
import type { PlanPrice } from '../domain/model.js';

/** Plan prices from billing's plan list; they replace any price guessed from a payment. */
export async function savePlanPrices(db: Db, prices: PlanPrice[]): Promise<void> {
  if (prices.length === 0) return;
  await db.collection<{ _id: string }>('plan_prices').bulkWrite(
    prices.map((p) => ({
      updateOne: {
        filter: { _id: p.planId },
        update: { $set: { amountMinor: p.amountMinor, currency: p.currency, months: p.months, source: 'billing', updatedAt: new Date() } },
        upsert: true,
      },
    })),
  );
}
