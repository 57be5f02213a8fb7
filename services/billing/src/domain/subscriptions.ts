import { checkUserId, requireAdmin, requireUser, type Principal } from '@flix/auth';
import { DomainError, Violations } from '@flix/errors';
import { checkUrl, insertOnce, invalidField, nextCheckoutSlot, refreshEntitlement, type BillingDeps } from './common.js';
import type { Customers } from './customers.js';
import type { BillingEvent } from './events.js';
import type { CheckoutRecord, Money, OfferRecord, PlanRecord, SubscriptionRecord } from './model.js';
import { bestOffer, discounted } from './offer.js';
import { PLAN_ID } from './plan.js';
import type { SubscriptionSnapshot } from './stripe-events.js';
import { applySnapshot, isLive } from './subscription.js';

export interface CheckoutAnswer {
  sessionId: string;
  url: string;
  expiresAt: Date;
  offer: OfferRecord | null;
  firstPeriodPrice: Money;
}

/** How a Stripe snapshot is applied: a webhook payload (maybe stale) or a fresh, authoritative read. */
export interface SyncOptions {
  eventAt: Date;
  authoritative: boolean;
  userId?: string;
  /** Events committed with the subscription's change (a payment that moved it). */
  extraEvents?: BillingEvent[];
}

const noSubscription = (message: string) => new DomainError('not_found', 'SUBSCRIPTION_NOT_FOUND', message);

/**
 * Subscriptions: the checkout that starts one, and its lifecycle (cancel, resume, change plan).
 * Stripe owns the payment side, so every change goes through Stripe and its answer is applied here.
 */
export class Subscriptions {
  constructor(
    private readonly deps: Pick<BillingDeps, 'store' | 'stripe' | 'clock' | 'settings' | 'warn'>,
    private readonly customers: Customers,
  ) {}

  private now(): Date {
    return this.deps.clock.now();
  }

  /** A Stripe Checkout session for the plan, at the caller's best open offer. */
  async checkout(principal: Principal | undefined, input: { planId: string; successUrl: string; cancelUrl: string }): Promise<CheckoutAnswer> {
    const { store, stripe } = this.deps;
    const user = requireUser(principal);
    const v = new Violations();
    if (!input.planId) v.add('planId', 'is required');
    checkUrl(v, 'successUrl', input.successUrl);
    checkUrl(v, 'cancelUrl', input.cancelUrl);
    v.throwIfAny();
    const plan = await this.offeredPlan(input.planId);
    const current = await store.currentSubscription(user.subject);
    if (current && isLive(current.status))
      throw new DomainError('failed_precondition', 'ALREADY_SUBSCRIBED', `already subscribed to ${current.planId} (${current.status}); use POST /v1/subscription:changePlan to switch plans`);
    const now = this.now();
    const customerId = await this.customers.ensure(user.subject, '');

    // Another tab or click for the same plan gets the session that is already open.
    const open = (await store.openCheckouts(user.subject, 'subscription')).filter((c) => c.expiresAt.getTime() > now.getTime());
    const same = open.find((c) => c.planId === plan.id);
    if (same) return this.checkoutAnswer(same, await this.offerById(user.subject, same.offerId));
    // A session for another plan is closed first, so two tabs can never pay for two subscriptions.
    for (const other of open) await this.closeCheckout(other);

    const offer = bestOffer(await store.offersOf(user.subject), plan.id, now);
    let couponId = '';
    if (offer) {
      couponId = offer.couponId || (await stripe.createCoupon(offer));
      if (!offer.couponId) await store.setOfferCoupon(offer.id, couponId);
    }
    const { slot } = await nextCheckoutSlot(store, `${user.subject}:subscription:${plan.id}:`, now);
    const session = await stripe.createSubscriptionCheckout(
      {
        customerId,
        userId: user.subject,
        plan,
        successUrl: input.successUrl || this.deps.settings.defaultReturnUrl,
        cancelUrl: input.cancelUrl || this.deps.settings.defaultReturnUrl,
        couponId,
        offerId: offer?.id ?? '',
      },
      `flix-checkout-${slot}`,
    );
    const record: CheckoutRecord = {
      id: session.sessionId,
      userId: user.subject,
      kind: 'subscription',
      slot,
      planId: plan.id,
      rentalId: '',
      url: session.url,
      status: 'open',
      expiresAt: session.expiresAt,
      listPrice: plan.price,
      offerId: offer?.id ?? '',
      couponId,
      percentOff: offer?.percentOff ?? 0,
      finalPrice: { amountMinor: discounted(plan.price.amountMinor, offer?.percentOff ?? 0), currency: plan.price.currency },
      createdAt: now,
      completedAt: null,
    };
    if (!(await insertOnce(store, (tx) => tx.insertCheckout(record), []))) {
      // A concurrent request took this slot first: hand out its session, never a second one.
      const winner = await store.checkoutBySlot(slot);
      if (winner && winner.id !== record.id) {
        await stripe.expireCheckout(record.id).catch(() => undefined);
        return this.checkoutAnswer(winner, await this.offerById(user.subject, winner.offerId));
      }
    }
    return this.checkoutAnswer(record, offer);
  }

  private async offerById(userId: string, id: string): Promise<OfferRecord | null> {
    if (!id) return null;
    return (await this.deps.store.offersOf(userId)).find((o) => o.id === id) ?? null;
  }

  private checkoutAnswer(c: CheckoutRecord, offer: OfferRecord | null): CheckoutAnswer {
    return { sessionId: c.id, url: c.url, expiresAt: c.expiresAt, offer, firstPeriodPrice: c.finalPrice };
  }

  private async closeCheckout(c: CheckoutRecord): Promise<void> {
    await this.deps.stripe.expireCheckout(c.id);
    await this.deps.store.transact((tx) => tx.updateCheckout(c.id, { status: 'expired' }));
  }

  /** The plan a caller may subscribe or switch to: it exists and is still offered. */
  private async offeredPlan(planId: string): Promise<PlanRecord> {
    // Plan ids are short slugs; anything else is refused before it is looked up or echoed back.
    if (!PLAN_ID.test(planId)) throw new DomainError('invalid_argument', 'INVALID_ARGUMENT', 'planId: is not a plan id (2-63 lower-case letters, digits or dashes)', [{ field: 'planId', description: 'is not a plan id' }]);
    const plan = await this.deps.store.plan(planId);
    if (!plan) throw new DomainError('not_found', 'PLAN_NOT_FOUND', `planId: no plan ${planId}`, [{ field: 'planId', description: 'no such plan' }]);
    if (!plan.active) throw new DomainError('failed_precondition', 'PLAN_INACTIVE', `planId: plan ${plan.id} is no longer offered`, [{ field: 'planId', description: 'no longer offered' }]);
    return plan;
  }

  /** The caller's current subscription. */
  async current(principal: Principal | undefined): Promise<SubscriptionRecord> {
    const user = requireUser(principal);
    const sub = await this.deps.store.currentSubscription(user.subject);
    if (!sub) throw noSubscription('this account has no subscription; start one with POST /v1/checkout/sessions');
    return sub;
  }

  /** Admin: another account's current subscription. */
  async ofUser(principal: Principal | undefined, userId: string): Promise<SubscriptionRecord> {
    requireAdmin(principal);
    const id = checkUserId(userId);
    const sub = await this.deps.store.currentSubscription(id);
    if (!sub) throw noSubscription(`account ${id} has no subscription`);
    return sub;
  }

  private async live(principal: Principal | undefined): Promise<SubscriptionRecord> {
    const sub = await this.current(principal);
    if (!isLive(sub.status)) throw new DomainError('failed_precondition', 'SUBSCRIPTION_EXPIRED', `subscription ${sub.id} has ended; start a new one with POST /v1/checkout/sessions`);
    return sub;
  }

  /** Cancels at the end of the paid period (access continues until then). */
  async cancel(principal: Principal | undefined): Promise<SubscriptionRecord> {
    const sub = await this.live(principal);
    if (sub.cancelAtPeriodEnd) return sub;
    if (sub.status === 'incomplete') throw new DomainError('failed_precondition', 'SUBSCRIPTION_INCOMPLETE', 'the first payment has not gone through; there is nothing to cancel yet');
    return this.syncFromStripeCall(sub, await this.deps.stripe.setCancelAtPeriodEnd(sub.id, true));
  }

  /** Takes back a cancellation while the paid period lasts. */
  async resume(principal: Principal | undefined): Promise<SubscriptionRecord> {
    const sub = await this.live(principal);
    if (!sub.cancelAtPeriodEnd) return sub;
    if (sub.currentPeriodEnd.getTime() <= this.now().getTime())
      throw new DomainError('failed_precondition', 'PERIOD_ENDED', 'the paid period has ended; start a new subscription instead');
    return this.syncFromStripeCall(sub, await this.deps.stripe.setCancelAtPeriodEnd(sub.id, false));
  }

  /** Switches the subscription's price, prorated by Stripe. */
  async changePlan(principal: Principal | undefined, planId: string): Promise<SubscriptionRecord> {
    if (!planId) throw invalidField('planId', 'is required');
    const sub = await this.live(principal);
    const plan = await this.offeredPlan(planId);
    if (plan.id === sub.planId) throw new DomainError('failed_precondition', 'SAME_PLAN', `planId: already on ${plan.id}`, [{ field: 'planId', description: 'is the current plan' }]);
    if (sub.status === 'incomplete') throw new DomainError('failed_precondition', 'SUBSCRIPTION_INCOMPLETE', 'finish the first payment before changing plans');
    const current = await this.deps.store.plan(sub.planId);
    if (current && current.price.currency !== plan.price.currency)
      throw new DomainError('failed_precondition', 'CURRENCY_MISMATCH', `planId: ${plan.id} is billed in ${plan.price.currency}, the subscription in ${current.price.currency}`, [{ field: 'planId', description: 'different currency' }]);
    return this.syncFromStripeCall(sub, await this.deps.stripe.changePrice(sub.id, sub.itemId, plan.stripePriceId));
  }

  /** A Stripe API answer is the newest state there is: apply it at once (the webhooks that follow are then older). */
  private async syncFromStripeCall(sub: SubscriptionRecord, snap: SubscriptionSnapshot): Promise<SubscriptionRecord> {
    return (await this.sync(snap, { eventAt: this.now(), authoritative: true, userId: sub.userId })) ?? sub;
  }

  /**
   * Applies a subscription snapshot. A webhook payload not newer than what we hold is not
   * trusted: the subscription is re-read from Stripe and that fresh state is applied instead.
   */
  async sync(snapshot: SubscriptionSnapshot, opts: SyncOptions): Promise<SubscriptionRecord | null> {
    const { store, stripe, clock } = this.deps;
    let snap = snapshot;
    let authoritative = opts.authoritative;
    for (let attempt = 0; attempt < 4; attempt++) {
      const userId = opts.userId || snap.userId || (await store.customerByStripeId(snap.customerId))?.userId || '';
      const plan = await store.planByPrice(snap.priceId);
      const now = this.now();
      const eventSec = Math.floor(opts.eventAt.getTime() / 1000);
      // After a fresh read, the state is current as of now (our clock), not as of the event.
      const observedAt = authoritative ? Math.max(eventSec, Math.floor(now.getTime() / 1000)) : eventSec;
      const result = await store.transact(async (tx) => {
        const current = await tx.findSubscription(snap.id);
        if (!authoritative && current && eventSec <= current.observedAt) return { stale: true as const };
        if (!current && !userId) throw new DomainError('failed_precondition', 'UNKNOWN_CUSTOMER', `subscription ${snap.id} belongs to a customer we do not know (${snap.customerId})`);
        const outcome = applySnapshot(current, snap, { userId, plan, now: authoritative ? now : opts.eventAt, observedAt });
        if (!outcome) {
          if (current && current.status === 'expired' && snap.status !== 'canceled')
            this.deps.warn?.({ subscriptionId: snap.id, stripeStatus: snap.status }, 'ignored a change to an ended subscription');
          if (opts.extraEvents?.length) await tx.emit(opts.extraEvents);
          return { stale: false as const, sub: current };
        }
        const saved = await tx.saveSubscription(outcome.next);
        await tx.emit([
          ...outcome.changes.map((subject) => ({ subject, subscription: saved, previousStatus: current?.status ?? null, previousPlanId: current?.planId ?? '' })),
          ...(opts.extraEvents ?? []),
        ]);
        await refreshEntitlement(tx, saved.userId, clock);
        return { stale: false as const, sub: saved };
      });
      if (!result.stale) return result.sub;
      snap = await stripe.retrieveSubscription(snap.id);
      authoritative = true;
    }
    throw new DomainError('aborted', 'CONCURRENT_MODIFICATION', `subscription ${snapshot.id} kept changing; retry`);
  }
}
