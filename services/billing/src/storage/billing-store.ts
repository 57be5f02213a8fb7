import type { ClientSession, Collection, Db, MongoClient } from 'mongodb';
import { DomainError } from '@flix/errors';
import { runInTransaction } from '@flix/events';
import { isDuplicateKey } from '@flix/mongo';
import type { BillingEvent } from '../domain/events.js';
import type {
  CheckoutRecord,
  CustomerRecord,
  EntitlementRecord,
  OfferRecord,
  PaymentRecord,
  PlanRecord,
  RentalRecord,
  SubscriptionRecord,
} from '../domain/model.js';
import { DAY_MS } from '../domain/model.js';
import { DuplicateRecordError, type BillingStore, type BillingTx } from '../domain/ports.js';

type Doc<T extends { id: string }> = Omit<T, 'id'> & { _id: string };
type PlanDoc = Doc<PlanRecord> & { priceIds: string[] };
type CustomerDoc = Omit<CustomerRecord, 'userId'> & { _id: string };
type EntitlementDoc = Omit<EntitlementRecord, 'userId'> & { _id: string };
interface StripeEventDoc {
  _id: string;
  type: string;
  created: Date;
  raw: string;
  receivedAt: Date;
  outcome: string;
  appliedAt: Date | null;
}

const toDoc = <T extends { id: string }>({ id, ...rest }: T): Doc<T> => ({ _id: id, ...rest }) as Doc<T>;
const fromDoc = <T extends { id: string }>(doc: object | null): T | null => {
  if (!doc) return null;
  const { _id, ...rest } = doc as { _id: string; priceIds?: unknown };
  delete (rest as { priceIds?: unknown }).priceIds;
  return { id: _id, ...rest } as unknown as T;
};

export type EventWriter = (session: ClientSession, events: BillingEvent[]) => Promise<void>;

/** Rentals that ended longer ago than this no longer matter to entitlements. */
const ENDED_RENTAL_MEMORY_MS = 30 * DAY_MS;

/** Billing's state in its own MongoDB database. */
export class MongoBillingStore implements BillingStore {
  readonly plansColl: Collection<PlanDoc>;
  readonly customers: Collection<CustomerDoc>;
  readonly subscriptions: Collection<Doc<SubscriptionRecord>>;
  readonly rentals: Collection<Doc<RentalRecord>>;
  readonly payments: Collection<Doc<PaymentRecord>>;
  readonly checkouts: Collection<Doc<CheckoutRecord>>;
  readonly offers: Collection<Doc<OfferRecord>>;
  readonly stripeEvents: Collection<StripeEventDoc>;
  readonly entitlements: Collection<EntitlementDoc>;

  constructor(private readonly client: MongoClient, db: Db, private readonly writeEvents: EventWriter) {
    this.plansColl = db.collection('plans');
    this.customers = db.collection('customers');
    this.subscriptions = db.collection('subscriptions');
    this.rentals = db.collection('rentals');
    this.payments = db.collection('payments');
    this.checkouts = db.collection('checkouts');
    this.offers = db.collection('offers');
    this.stripeEvents = db.collection('stripe_events');
    this.entitlements = db.collection('entitlements');
  }

  async transact<T>(fn: (tx: BillingTx) => Promise<T>): Promise<T> {
    try {
      return await runInTransaction(this.client, (session) => fn(this.tx(session)));
    } catch (e) {
      if (isDuplicateKey(e)) throw new DuplicateRecordError(e.message);
      throw e;
    }
  }

  private tx(session: ClientSession): BillingTx {
    const s = { session };
    return {
      findSubscription: async (id) => fromDoc<SubscriptionRecord>(await this.subscriptions.findOne({ _id: id }, s)),
      subscriptionsOf: async (userId) => (await this.subscriptions.find({ userId }, s).toArray()).map((d) => fromDoc<SubscriptionRecord>(d)!),
      saveSubscription: async (rec) => {
        const next = { ...rec, version: rec.version + 1 };
        if (rec.version === 0) {
          try {
            await this.subscriptions.insertOne(toDoc(next), s);
          } catch (e) {
            if (isDuplicateKey(e)) throw conflict('subscription');
            throw e;
          }
        } else {
          const r = await this.subscriptions.replaceOne({ _id: rec.id, version: rec.version }, toDoc(next), s);
          if (r.matchedCount === 0) throw conflict('subscription');
        }
        return next;
      },
      findRental: async (id) => fromDoc<RentalRecord>(await this.rentals.findOne({ _id: id }, s)),
      rentalsOf: async (userId) =>
        (
          await this.rentals
            .find({ userId, $or: [{ status: { $in: ['pending', 'active'] } }, { endsAt: { $gte: new Date(Date.now() - ENDED_RENTAL_MEMORY_MS) } }] }, s)
            .toArray()
        ).map((d) => fromDoc(d)!),
      saveRental: async (rec) => {
        const next = { ...rec, version: rec.version + 1 };
        if (rec.version === 0) await this.rentals.insertOne(toDoc(next), s);
        else {
          const r = await this.rentals.replaceOne({ _id: rec.id, version: rec.version }, toDoc(next), s);
          if (r.matchedCount === 0) throw conflict('rental');
        }
        return next;
      },
      findPayment: async (id) => fromDoc<PaymentRecord>(await this.payments.findOne({ _id: id }, s)),
      findPaymentByCharge: async (q) => {
        const or: Record<string, string>[] = [];
        if (q.paymentIntentId) or.push({ paymentIntentId: q.paymentIntentId }, { _id: q.paymentIntentId });
        if (q.chargeId) or.push({ chargeId: q.chargeId });
        if (q.invoiceId) or.push({ _id: q.invoiceId });
        if (or.length === 0) return null;
        return fromDoc<PaymentRecord>(await this.payments.findOne({ $or: or }, s));
      },
      savePayment: async (rec) => {
        await this.payments.replaceOne({ _id: rec.id }, toDoc(rec), { ...s, upsert: true });
      },
      findCheckout: async (id) => fromDoc<CheckoutRecord>(await this.checkouts.findOne({ _id: id }, s)),
      insertCheckout: async (rec) => void (await this.checkouts.insertOne(toDoc(rec), s)),
      updateCheckout: async (id, patch) => {
        await this.checkouts.updateOne({ _id: id }, { $set: patch }, s);
      },
      redeemOffer: async (offerId, at) => {
        await this.offers.updateOne({ _id: offerId, redeemedAt: null }, { $set: { redeemedAt: at } }, s);
      },
      insertOffer: async (offer) => void (await this.offers.insertOne(toDoc(offer), s)),
      insertCustomer: async (rec) => void (await this.customers.insertOne({ _id: rec.userId, stripeCustomerId: rec.stripeCustomerId, email: rec.email, createdAt: rec.createdAt }, s)),
      insertStripeEvent: async (e) => void (await this.stripeEvents.insertOne({ _id: e.id, type: e.type, created: e.created, raw: e.raw, receivedAt: e.receivedAt, outcome: 'received', appliedAt: null }, s)),
      markStripeEvent: async (id, outcome, at) => {
        await this.stripeEvents.updateOne({ _id: id }, { $set: { outcome, appliedAt: at } }, s);
      },
      saveEntitlement: async (rec) => {
        const { userId, ...rest } = rec;
        await this.entitlements.replaceOne({ _id: userId }, rest, { ...s, upsert: true });
      },
      emit: (events) => this.writeEvents(session, events),
    };
  }

  async plans(includeInactive: boolean): Promise<PlanRecord[]> {
    return (await this.plansColl.find(includeInactive ? {} : { active: true }).toArray()).map((d) => fromDoc<PlanRecord>(d)!);
  }
  async plan(id: string): Promise<PlanRecord | null> {
    return fromDoc<PlanRecord>(await this.plansColl.findOne({ _id: id }));
  }
  async planByPrice(priceId: string): Promise<PlanRecord | null> {
    if (!priceId) return null;
    return fromDoc<PlanRecord>(await this.plansColl.findOne({ priceIds: priceId }));
  }
  async insertPlan(plan: PlanRecord): Promise<boolean> {
    try {
      await this.plansColl.insertOne({ ...toDoc(plan), priceIds: [plan.stripePriceId] });
      return true;
    } catch (e) {
      if (isDuplicateKey(e)) return false;
      throw e;
    }
  }
  async replacePlan(plan: PlanRecord, expectedVersion: number): Promise<PlanRecord> {
    const next = { ...plan, version: expectedVersion + 1 };
    const { _id, ...fields } = toDoc(next);
    // Old price ids stay known: subscribers on a previous price still map to this plan.
    const r = await this.plansColl.updateOne({ _id, version: expectedVersion }, { $set: fields, $addToSet: { priceIds: plan.stripePriceId } });
    if (r.matchedCount === 0) throw conflict('plan');
    return next;
  }
  async customer(userId: string): Promise<CustomerRecord | null> {
    const d = await this.customers.findOne({ _id: userId });
    return d ? { userId: d._id, stripeCustomerId: d.stripeCustomerId, email: d.email, createdAt: d.createdAt } : null;
  }
  async customerByStripeId(customerId: string): Promise<CustomerRecord | null> {
    if (!customerId) return null;
    const d = await this.customers.findOne({ stripeCustomerId: customerId });
    return d ? { userId: d._id, stripeCustomerId: d.stripeCustomerId, email: d.email, createdAt: d.createdAt } : null;
  }
  async entitlement(userId: string): Promise<EntitlementRecord | null> {
    const d = await this.entitlements.findOne({ _id: userId });
    if (!d) return null;
    const { _id, ...rest } = d;
    return { userId: _id, ...rest };
  }
  async currentSubscription(userId: string): Promise<SubscriptionRecord | null> {
    const subs = (await this.subscriptions.find({ userId }).sort({ createdAt: -1 }).limit(20).toArray()).map((d) => fromDoc<SubscriptionRecord>(d)!);
    return subs.find((x) => x.status !== 'expired') ?? subs[0] ?? null;
  }
  async openCheckouts(userId: string, kind: CheckoutRecord['kind']): Promise<CheckoutRecord[]> {
    return (await this.checkouts.find({ userId, kind, status: 'open' }).toArray()).map((d) => fromDoc<CheckoutRecord>(d)!);
  }
  async countSettledCheckouts(slotPrefix: string, now: Date): Promise<number> {
    const escaped = slotPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // Only settled sessions (completed, expired or past their expiry) move the slot on: two
    // concurrent requests then compute the same slot, and the unique index lets one win.
    return this.checkouts.countDocuments({
      slot: { $regex: `^${escaped}` },
      $or: [{ status: { $ne: 'open' } }, { expiresAt: { $lte: now } }],
    });
  }
  async checkoutBySlot(slot: string): Promise<CheckoutRecord | null> {
    return fromDoc<CheckoutRecord>(await this.checkouts.findOne({ slot }));
  }
  async checkoutsOfUser(userId: string, kind: CheckoutRecord['kind']): Promise<CheckoutRecord[]> {
    return (await this.checkouts.find({ userId, kind }).sort({ createdAt: -1 }).toArray()).map((d) => fromDoc<CheckoutRecord>(d)!);
  }
  async rental(id: string): Promise<RentalRecord | null> {
    return fromDoc<RentalRecord>(await this.rentals.findOne({ _id: id }));
  }
  async listRentals(userId: string, page: { size: number; after?: { t: number; id: string } }): Promise<RentalRecord[]> {
    return this.pageOf(this.rentals, userId, page);
  }
  async listPayments(userId: string, page: { size: number; after?: { t: number; id: string } }): Promise<PaymentRecord[]> {
    return this.pageOf(this.payments, userId, page);
  }
  private async pageOf<T extends { id: string; createdAt: Date }>(coll: Collection<Doc<T>>, userId: string, page: { size: number; after?: { t: number; id: string } }): Promise<T[]> {
    const filter: Record<string, unknown> = { userId };
    if (page.after) {
      const at = new Date(page.after.t);
      filter.$or = [{ createdAt: { $lt: at } }, { createdAt: at, _id: { $lt: page.after.id } }];
    }
    const docs = await coll.find(filter as never).sort({ createdAt: -1, _id: -1 }).limit(page.size).toArray();
    return docs.map((d) => fromDoc<T>(d)!);
  }
  async offersOf(userId: string): Promise<OfferRecord[]> {
    return (await this.offers.find({ userId }).toArray()).map((d) => fromDoc<OfferRecord>(d)!);
  }
  async setOfferCoupon(offerId: string, couponId: string): Promise<void> {
    await this.offers.updateOne({ _id: offerId }, { $set: { couponId } });
  }
  async stripeEvent(id: string): Promise<{ id: string; raw: string; outcome: string } | null> {
    const d = await this.stripeEvents.findOne({ _id: id });
    return d ? { id: d._id, raw: d.raw, outcome: d.outcome } : null;
  }
  async rentalsEndedBy(now: Date, limit: number): Promise<RentalRecord[]> {
    return (await this.rentals.find({ status: 'active', endsAt: { $lte: now } }).limit(limit).toArray()).map((d) => fromDoc<RentalRecord>(d)!);
  }
}

const conflict = (what: string) => new DomainError('aborted', 'CONCURRENT_MODIFICATION', `the ${what} was changed by another request; retry`);
