import { requireUser, type Principal } from '@flix/auth';
import { insertOnce, type BillingDeps } from './common.js';
import type { OfferRecord } from './model.js';
import { isOfferOpen, winBackOffer, yearlySwitchOffer } from './offer.js';

/** Personal offers: made from subscription signals, listed to their holder, applied at checkout (Subscriptions). */
export class Offers {
  constructor(private readonly deps: Pick<BillingDeps, 'store' | 'clock'>) {}

  /** The caller's open offers, biggest discount first. */
  async list(principal: Principal | undefined): Promise<OfferRecord[]> {
    const user = requireUser(principal);
    const now = this.deps.clock.now();
    return (await this.deps.store.offersOf(user.subject)).filter((o) => isOfferOpen(o, now)).sort((a, b) => b.percentOff - a.percentOff);
  }

  /** The offers consumer: a cancellation or lapse earns a win-back price; a monthly subscriber is offered yearly. */
  async fromSignal(kind: 'canceled' | 'expired' | 'activated', subscriptionId: string): Promise<OfferRecord | null> {
    const { store } = this.deps;
    const now = this.deps.clock.now();
    const sub = await store.transact((tx) => tx.findSubscription(subscriptionId));
    if (!sub) return null;
    const offer = kind === 'activated' ? yearlySwitchOffer(sub, await store.plans(false), now) : winBackOffer(sub, now);
    if (!offer) return null;
    return (await insertOnce(store, (tx) => tx.insertOffer(offer), [{ subject: 'billing.offer.created', offer }])) ? offer : null;
  }
}
