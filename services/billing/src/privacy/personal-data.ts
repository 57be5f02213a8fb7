import type { Db, MongoClient } from 'mongodb';
import { isDomainError } from '@flix/errors';
import { runInTransaction, type Outbox } from '@flix/events';
import type { UserDeleted } from '@flix/proto/flix/identity/v1/events';
import { forgetPublishedEvents, pseudonymOf, type ErasedUsers } from '@flix/service';
import type { PaymentProvider } from '../domain/ports.js';
import type { MongoBillingStore } from '../storage/billing-store.js';

/**
 * Stripe customers of erased accounts whose deletion at Stripe is still owed (Stripe was
 * unreachable): the only place a deleted account's customer id stays, until a retry succeeds.
 */
const PENDING_STRIPE_DELETIONS = 'stripe_customer_deletions';

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What stands in for the account in the records kept for accounting. */
export const erasedOwner = (userId: string) => `erased:${pseudonymOf(userId).slice(0, 32)}`;

/**
 * What billing holds about a person, exported and erased (issue 14).
 *
 * Erasure: the Stripe customer is deleted (Stripe cancels its subscriptions at once); the
 * customer, subscription, checkout, offer and entitlement records are deleted; payments and
 * rentals are kept, anonymised (the account id replaced by a pseudonym), because they are the
 * record of money received and of what it bought, which bookkeeping and tax law require to be
 * kept (GDPR art. 17(3)(b)) and which refunds and disputes need; the raw Stripe events about
 * the customer are deleted, and so are those Stripe still sends about it afterwards (the
 * subscription's cancellation, the customer's deletion), before they are applied. When Stripe
 * cannot be reached the erasure still completes and the Stripe deletion is owed (the customer
 * id alone kept in `stripe_customer_deletions`), retried every minute until Stripe confirms.
 */
export class BillingPersonalData {
  constructor(
    private readonly deps: {
      client: MongoClient;
      db: Db;
      store: MongoBillingStore;
      stripe: Pick<PaymentProvider, 'deleteCustomer'>;
      erased: ErasedUsers;
      outbox: Outbox;
    },
  ) {}

  async export(userId: string): Promise<Record<string, unknown>> {
    const { store } = this.deps;
    const byUser = { userId };
    const [customer, subscriptions, payments, rentals, offers, checkouts] = await Promise.all([
      store.customers.findOne({ _id: userId }),
      store.subscriptions.find(byUser).toArray(),
      store.payments.find(byUser).toArray(),
      store.rentals.find(byUser).toArray(),
      store.offers.find(byUser).toArray(),
      store.checkouts.find(byUser).toArray(),
    ]);
    const plain = <T extends { _id: unknown }>(docs: T[]) => docs.map(({ _id, ...rest }) => ({ id: _id, ...rest }));
    return {
      customer: customer ? { stripeCustomerId: customer.stripeCustomerId, email: customer.email, createdAt: customer.createdAt } : null,
      subscriptions: plain(subscriptions),
      payments: plain(payments),
      rentals: plain(rentals),
      offers: plain(offers),
      checkouts: plain(checkouts),
    };
  }

  async erase(e: UserDeleted): Promise<void> {
    const { db, store, stripe, erased } = this.deps;
    const userId = e.userId;
    const customer = await store.customers.findOne({ _id: userId });
    const customerId = customer?.stripeCustomerId ?? '';
    const at = new Date();
    // Tombstones first, for the account and its Stripe customer: from now on the webhook
    // consumer drops Stripe's events about them instead of re-creating records from them.
    await erased.record(userId, at);
    if (customerId) await erased.record(customerId, at);
    if (customerId) await this.deleteAtStripe(customerId, at);
    const owner = erasedOwner(userId);
    await runInTransaction(this.deps.client, async (session) => {
      const s = { session };
      await store.customers.deleteOne({ _id: userId }, s);
      await store.subscriptions.deleteMany({ userId }, s);
      await store.checkouts.deleteMany({ userId }, s);
      await store.offers.deleteMany({ userId }, s);
      await store.entitlements.deleteOne({ _id: userId }, s);
      await store.payments.updateMany({ userId }, { $set: { userId: owner } }, s);
      await store.rentals.updateMany({ userId }, { $set: { userId: owner } }, s);
    });
    const needles = [userId, customerId, e.email].filter(Boolean);
    if (needles.length > 0) await store.stripeEvents.deleteMany({ raw: { $regex: needles.map(escapeRegex).join('|') } });
    await forgetPublishedEvents(db, this.deps.outbox, needles);
  }

  /**
   * Deletes the customer at Stripe. When Stripe cannot be reached the erasure goes on (the
   * account's own records must not wait for Stripe) and the deletion is owed: retried by
   * `retryStripeDeletions` until Stripe confirms it.
   */
  private async deleteAtStripe(customerId: string, at: Date): Promise<void> {
    try {
      await this.deps.stripe.deleteCustomer(customerId);
    } catch (err) {
      if (!(isDomainError(err) && err.kind === 'unavailable')) throw err;
      await this.deps.db.collection<{ _id: string; since: Date }>(PENDING_STRIPE_DELETIONS).updateOne({ _id: customerId }, { $setOnInsert: { since: at } }, { upsert: true });
    }
  }

  /** Retries the Stripe deletions that are owed; returns how many are still owed. */
  async retryStripeDeletions(): Promise<number> {
    const pending = this.deps.db.collection<{ _id: string; since: Date }>(PENDING_STRIPE_DELETIONS);
    let left = 0;
    for (const { _id } of await pending.find({}).limit(100).toArray()) {
      try {
        await this.deps.stripe.deleteCustomer(_id);
        await pending.deleteOne({ _id });
      } catch {
        left++;
      }
    }
    return left;
  }

  /**
   * True when a stored Stripe event is about an erased account (its customer, or the account id
   * billing put in the metadata): the webhook consumer then drops it instead of applying it.
   */
  async concernsErased(raw: string): Promise<boolean> {
    let object: Record<string, unknown> = {};
    try {
      object = ((JSON.parse(raw) as { data?: { object?: Record<string, unknown> } }).data?.object ?? {}) as Record<string, unknown>;
    } catch {
      return false;
    }
    const metadata = (object.metadata ?? {}) as Record<string, unknown>;
    const ids = [
      object.object === 'customer' ? object.id : undefined,
      object.customer,
      object.client_reference_id,
      metadata.flixUserId,
    ].filter((v): v is string => typeof v === 'string' && v !== '');
    for (const id of ids) if (await this.deps.erased.erasedAt(id)) return true;
    return false;
  }

  async dropStripeEvent(id: string): Promise<void> {
    await this.deps.store.stripeEvents.deleteOne({ _id: id });
  }
}
