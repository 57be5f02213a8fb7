import { checkUserId, requireAdmin, requireUser, type Principal } from '@flix/auth';
import { DomainError, notFound, Violations } from '@flix/errors';
import { decide, projectEntitlement, type EntitlementDecision } from './entitlement.js';
import type { BillingEvent } from './events.js';
import { DAY_MS, type CheckoutRecord, type Money, type OfferRecord, type PaymentRecord, type PlanRecord, type RentalRecord, type SubscriptionRecord, type Tier } from './model.js';
import { bestOffer, discounted, isOfferOpen, winBackOffer, yearlySwitchOffer } from './offer.js';
import { defaultPlans, validatePlan, type PlanField, type PlanInput } from './plan.js';
import { DuplicateRecordError, type BillingStore, type BillingTx, type Clock, type MovieDirectory, type PaymentProvider } from './ports.js';
import * as rental from './rental.js';
import type { StripeEvent, SubscriptionSnapshot } from './stripe-events.js';
import { applySnapshot, isLive } from './subscription.js';

export interface BillingSettings {
  graceDays: number;
  rentalWindowDays: number;
  rentalPlayHours: number;
  defaultReturnUrl: string;
}

export interface BillingDeps {
  store: BillingStore;
  stripe: PaymentProvider;
  movies: MovieDirectory;
  clock: Clock;
  settings: BillingSettings;
  /** Warnings the domain wants an operator to see (ignored regressions, unknown ids). */
  warn?: (fields: Record<string, unknown>, message: string) => void;
}

export interface Page<T> {
  items: T[];
  next?: { t: number; id: string };
}

const field = (name: string, description: string, reason = 'INVALID_ARGUMENT') =>
  new DomainError('invalid_argument', reason, `${name}: ${description}`, [{ field: name, description }]);

function checkUrl(v: Violations, name: string, value: string): void {
  if (!value) return;
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') v.add(name, 'must be an http(s) URL');
  } catch {
    v.add(name, 'must be an absolute http(s) URL');
  }
}

/** Billing's use cases. Every state change commits with its events and the account's entitlement document. */
export class Billing {
  private readonly graceMs: number;
  private readonly windows: rental.RentalWindows;

  constructor(private readonly deps: BillingDeps) {
    this.graceMs = deps.settings.graceDays * DAY_MS;
    this.windows = { windowMs: deps.settings.rentalWindowDays * DAY_MS, playMs: deps.settings.rentalPlayHours * 3600 * 1000 };
  }

  get settings(): BillingSettings {
    return this.deps.settings;
  }

  private now(): Date {
    return this.deps.clock.now();
  }

  // ------------------------------------------------------------------ plans

  async listPlans(principal: Principal | undefined, includeInactive: boolean): Promise<PlanRecord[]> {
    if (includeInactive) requireAdmin(principal);
    const plans = await this.deps.store.plans(includeInactive);
    const tierOrder = { BASIC: 0, STANDARD: 1, PREMIUM: 2 } as const;
    return plans.sort((a, b) => tierOrder[a.tier] - tierOrder[b.tier] || (a.interval === b.interval ? 0 : a.interval === 'monthly' ? -1 : 1) || a.id.localeCompare(b.id));
  }

  /** Seeds the default plans that do not exist yet; Stripe calls carry idempotency keys so a crash mid-way repeats nothing. */
  async seedPlans(): Promise<number> {
    let created = 0;
    for (const plan of defaultPlans(this.now())) {
      if (await this.deps.store.plan(plan.id)) continue;
      const ids = await this.deps.stripe.createPlanPrice(plan, `flix-plan-${plan.id}-${plan.price.amountMinor}-${plan.price.currency}`);
      if (await this.deps.store.insertPlan({ ...plan, stripeProductId: ids.productId, stripePriceId: ids.priceId, version: 1 })) created++;
    }
    return created;
  }

  async createPlan(principal: Principal | undefined, input: PlanInput): Promise<PlanRecord> {
    requireAdmin(principal);
    validatePlan(input, 'all');
    if (await this.deps.store.plan(input.id!)) throw new DomainError('already_exists', 'PLAN_EXISTS', `plan.id: a plan ${input.id} already exists`, [{ field: 'plan.id', description: 'already exists' }]);
    const now = this.now();
    const plan: PlanRecord = {
      id: input.id!,
      displayName: input.displayName!.trim(),
      tier: input.tier!,
      interval: input.interval!,
      price: { amountMinor: input.priceMinor!, currency: input.currency! },
      maxStreams: input.maxStreams!,
      maxQuality: input.maxQuality!,
      features: input.features ?? [],
      trialDays: input.trialDays ?? 0,
      active: input.active ?? true,
      stripeProductId: '',
      stripePriceId: '',
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    const ids = await this.deps.stripe.createPlanPrice(plan, `flix-plan-${plan.id}-${plan.price.amountMinor}-${plan.price.currency}`);
    const stored = { ...plan, stripeProductId: ids.productId, stripePriceId: ids.priceId };
    if (!(await this.deps.store.insertPlan(stored))) throw new DomainError('already_exists', 'PLAN_EXISTS', `plan.id: a plan ${input.id} already exists`, [{ field: 'plan.id', description: 'already exists' }]);
    return stored;
  }

  async updatePlan(principal: Principal | undefined, id: string, input: PlanInput, mask: PlanField[]): Promise<PlanRecord> {
    requireAdmin(principal);
    if (!id) throw field('plan.id', 'is required');
    if (mask.length === 0) throw field('updateMask', 'name at least one field to update');
    const current = await this.deps.store.plan(id);
    if (!current) throw notFound('plan', id);
    const merged: PlanInput = {
      displayName: mask.includes('displayName') ? input.displayName : current.displayName,
      tier: mask.includes('tier') ? input.tier : current.tier,
      interval: mask.includes('interval') ? input.interval : current.interval,
      priceMinor: mask.includes('price') ? input.priceMinor : current.price.amountMinor,
      currency: mask.includes('price') ? input.currency : current.price.currency,
      maxStreams: mask.includes('maxConcurrentStreams') ? input.maxStreams : current.maxStreams,
      maxQuality: mask.includes('maxQuality') ? input.maxQuality : current.maxQuality,
      features: mask.includes('features') ? input.features : current.features,
      trialDays: mask.includes('trialDays') ? input.trialDays : current.trialDays,
      active: mask.includes('active') ? input.active : current.active,
    };
    validatePlan(merged, mask);
    let next: PlanRecord = {
      ...current,
      displayName: merged.displayName!.trim(),
      tier: merged.tier!,
      interval: merged.interval!,
      price: { amountMinor: merged.priceMinor!, currency: merged.currency! },
      maxStreams: merged.maxStreams!,
      maxQuality: merged.maxQuality!,
      features: merged.features ?? [],
      trialDays: merged.trialDays ?? 0,
      active: merged.active ?? true,
      updatedAt: this.now(),
    };
    // Stripe prices are immutable: a new amount or interval is a new price; subscribers keep the old one.
    if (next.price.amountMinor !== current.price.amountMinor || next.price.currency !== current.price.currency || next.interval !== current.interval) {
      const ids = await this.deps.stripe.createPlanPrice(next, `flix-plan-${next.id}-${next.price.amountMinor}-${next.price.currency}-${next.interval}-v${current.version + 1}`, current.stripeProductId);
      next = { ...next, stripeProductId: ids.productId, stripePriceId: ids.priceId };
    }
    return this.deps.store.replacePlan(next, current.version);
  }

  async deactivatePlan(principal: Principal | undefined, id: string): Promise<PlanRecord> {
    requireAdmin(principal);
    if (!id) throw field('planId', 'is required');
    const current = await this.deps.store.plan(id);
    if (!current) throw notFound('plan', id);
    if (!current.active) return current;
    return this.deps.store.replacePlan({ ...current, active: false, updatedAt: this.now() }, current.version);
  }

  // ------------------------------------------------------------------ customers

  /**
   * The account's Stripe customer, created once: the unique index on the user decides between
   * racing callers, and the Stripe idempotency key makes a retried create return the same customer.
   */
  async ensureCustomer(userId: string, email: string): Promise<string> {
    const existing = await this.deps.store.customer(userId);
    if (existing) {
      if (email && existing.email !== email) await this.deps.stripe.updateCustomerEmail(existing.stripeCustomerId, email);
      return existing.stripeCustomerId;
    }
    const customerId = await this.deps.stripe.createCustomer({ userId, email }, email ? `flix-customer-${userId}` : `flix-customer-${userId}-lazy`);
    const inserted = await this.once((tx) => tx.insertCustomer({ userId, stripeCustomerId: customerId, email, createdAt: this.now() }), [{ subject: 'billing.customer.created', userId, customerId }]);
    if (inserted) return customerId;
    return (await this.deps.store.customer(userId))!.stripeCustomerId;
  }

  // ------------------------------------------------------------------ subscriptions

  async createCheckout(principal: Principal | undefined, input: { planId: string; successUrl: string; cancelUrl: string }) {
    const user = requireUser(principal);
    const v = new Violations();
    if (!input.planId) v.add('planId', 'is required');
    checkUrl(v, 'successUrl', input.successUrl);
    checkUrl(v, 'cancelUrl', input.cancelUrl);
    v.throwIfAny();
    const plan = await this.deps.store.plan(input.planId);
    if (!plan) throw new DomainError('not_found', 'PLAN_NOT_FOUND', `planId: no plan ${input.planId}`, [{ field: 'planId', description: 'no such plan' }]);
    if (!plan.active) throw new DomainError('failed_precondition', 'PLAN_INACTIVE', `planId: plan ${plan.id} is no longer offered`, [{ field: 'planId', description: 'no longer offered' }]);
    const current = await this.deps.store.currentSubscription(user.subject);
    if (current && isLive(current.status))
      throw new DomainError('failed_precondition', 'ALREADY_SUBSCRIBED', `already subscribed to ${current.planId} (${current.status}); use POST /v1/subscription:changePlan to switch plans`);
    const now = this.now();
    const customerId = await this.ensureCustomer(user.subject, '');

    // Another tab or click for the same plan gets the session that is already open.
    const open = (await this.deps.store.openCheckouts(user.subject, 'subscription')).filter((c) => c.expiresAt.getTime() > now.getTime());
    const same = open.find((c) => c.planId === plan.id);
    if (same) return this.checkoutAnswer(same, await this.offerById(user.subject, same.offerId));
    // A session for another plan is closed first, so two tabs can never pay for two subscriptions.
    for (const other of open) await this.closeCheckout(other);

    const offers = await this.deps.store.offersOf(user.subject);
    const offer = bestOffer(offers, plan.id, now);
    let couponId = '';
    if (offer) {
      couponId = offer.couponId || (await this.deps.stripe.createCoupon(offer));
      if (!offer.couponId) await this.deps.store.setOfferCoupon(offer.id, couponId);
    }
    const slotPrefix = `${user.subject}:subscription:${plan.id}:`;
    const n = await this.deps.store.countSettledCheckouts(slotPrefix, now);
    const slot = `${slotPrefix}${n}`;
    const session = await this.deps.stripe.createSubscriptionCheckout(
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
    const inserted = await this.once((tx) => tx.insertCheckout(record), []);
    if (!inserted) {
      // A concurrent request took this slot first: hand out its session, never a second one.
      const winner = await this.deps.store.checkoutBySlot(slot);
      if (winner && winner.id !== record.id) {
        await this.deps.stripe.expireCheckout(record.id).catch(() => undefined);
        return this.checkoutAnswer(winner, await this.offerById(user.subject, winner.offerId));
      }
    }
    return this.checkoutAnswer(record, offer);
  }

  private async offerById(userId: string, id: string): Promise<OfferRecord | null> {
    if (!id) return null;
    return (await this.deps.store.offersOf(userId)).find((o) => o.id === id) ?? null;
  }

  private checkoutAnswer(c: CheckoutRecord, offer: OfferRecord | null) {
    return { sessionId: c.id, url: c.url, expiresAt: c.expiresAt, offer, firstPeriodPrice: c.finalPrice };
  }

  private async closeCheckout(c: CheckoutRecord): Promise<void> {
    await this.deps.stripe.expireCheckout(c.id);
    await this.deps.store.transact((tx) => tx.updateCheckout(c.id, { status: 'expired' }));
  }

  async getSubscription(principal: Principal | undefined): Promise<SubscriptionRecord> {
    const user = requireUser(principal);
    const sub = await this.deps.store.currentSubscription(user.subject);
    if (!sub) throw new DomainError('not_found', 'SUBSCRIPTION_NOT_FOUND', 'this account has no subscription; start one with POST /v1/checkout/sessions');
    return sub;
  }

  /** Admin: another account's current subscription. */
  async getUserSubscription(principal: Principal | undefined, userId: string): Promise<SubscriptionRecord> {
    requireAdmin(principal);
    const id = checkUserId(userId);
    const sub = await this.deps.store.currentSubscription(id);
    if (!sub) throw new DomainError('not_found', 'SUBSCRIPTION_NOT_FOUND', `account ${id} has no subscription`);
    return sub;
  }

  private async liveSubscription(principal: Principal | undefined): Promise<SubscriptionRecord> {
    const sub = await this.getSubscription(principal);
    if (!isLive(sub.status)) throw new DomainError('failed_precondition', 'SUBSCRIPTION_EXPIRED', `subscription ${sub.id} has ended; start a new one with POST /v1/checkout/sessions`);
    return sub;
  }

  async cancel(principal: Principal | undefined): Promise<SubscriptionRecord> {
    const sub = await this.liveSubscription(principal);
    if (sub.cancelAtPeriodEnd) return sub;
    if (sub.status === 'incomplete') throw new DomainError('failed_precondition', 'SUBSCRIPTION_INCOMPLETE', 'the first payment has not gone through; there is nothing to cancel yet');
    return this.syncFromStripeCall(sub, await this.deps.stripe.setCancelAtPeriodEnd(sub.id, true));
  }

  async resume(principal: Principal | undefined): Promise<SubscriptionRecord> {
    const sub = await this.liveSubscription(principal);
    if (!sub.cancelAtPeriodEnd) return sub;
    if (sub.currentPeriodEnd.getTime() <= this.now().getTime())
      throw new DomainError('failed_precondition', 'PERIOD_ENDED', 'the paid period has ended; start a new subscription instead');
    return this.syncFromStripeCall(sub, await this.deps.stripe.setCancelAtPeriodEnd(sub.id, false));
  }

  async changePlan(principal: Principal | undefined, planId: string): Promise<SubscriptionRecord> {
    if (!planId) throw field('planId', 'is required');
    const sub = await this.liveSubscription(principal);
    const plan = await this.deps.store.plan(planId);
    if (!plan) throw new DomainError('not_found', 'PLAN_NOT_FOUND', `planId: no plan ${planId}`, [{ field: 'planId', description: 'no such plan' }]);
    if (!plan.active) throw new DomainError('failed_precondition', 'PLAN_INACTIVE', `planId: plan ${plan.id} is no longer offered`, [{ field: 'planId', description: 'no longer offered' }]);
    if (plan.id === sub.planId) throw new DomainError('failed_precondition', 'SAME_PLAN', `planId: already on ${plan.id}`, [{ field: 'planId', description: 'is the current plan' }]);
    if (sub.status === 'incomplete') throw new DomainError('failed_precondition', 'SUBSCRIPTION_INCOMPLETE', 'finish the first payment before changing plans');
    const current = await this.deps.store.plan(sub.planId);
    if (current && current.price.currency !== plan.price.currency)
      throw new DomainError('failed_precondition', 'CURRENCY_MISMATCH', `planId: ${plan.id} is billed in ${plan.price.currency}, the subscription in ${current.price.currency}`, [{ field: 'planId', description: 'different currency' }]);
    return this.syncFromStripeCall(sub, await this.deps.stripe.changePrice(sub.id, sub.itemId, plan.stripePriceId));
  }

  async portal(principal: Principal | undefined, returnUrl: string): Promise<string> {
    const user = requireUser(principal);
    const v = new Violations();
    checkUrl(v, 'returnUrl', returnUrl);
    v.throwIfAny();
    const customer = await this.deps.store.customer(user.subject);
    if (!customer) throw new DomainError('failed_precondition', 'NO_BILLING_ACCOUNT', 'this account has no billing history yet');
    return this.deps.stripe.createPortalSession(customer.stripeCustomerId, returnUrl || this.deps.settings.defaultReturnUrl);
  }

  /** A Stripe API answer is the newest state there is: apply it at once (the webhooks that follow are then older). */
  private async syncFromStripeCall(sub: SubscriptionRecord, snap: SubscriptionSnapshot): Promise<SubscriptionRecord> {
    return (await this.syncSubscription(snap, { eventAt: this.now(), authoritative: true, userId: sub.userId })) ?? sub;
  }

  /**
   * Applies a subscription snapshot. A webhook payload not newer than what we hold is not
   * trusted: the subscription is re-read from Stripe and that fresh state is applied instead.
   */
  async syncSubscription(
    snapshot: SubscriptionSnapshot,
    opts: { eventAt: Date; authoritative: boolean; userId?: string; extraEvents?: BillingEvent[] },
  ): Promise<SubscriptionRecord | null> {
    let snap = snapshot;
    let authoritative = opts.authoritative;
    for (let attempt = 0; attempt < 4; attempt++) {
      const userId = opts.userId || snap.userId || (await this.deps.store.customerByStripeId(snap.customerId))?.userId || '';
      const plan = await this.deps.store.planByPrice(snap.priceId);
      const now = this.now();
      const eventSec = Math.floor(opts.eventAt.getTime() / 1000);
      // After a fresh read, the state is current as of now (our clock), not as of the event.
      const observedAt = authoritative ? Math.max(eventSec, Math.floor(now.getTime() / 1000)) : eventSec;
      const result = await this.deps.store.transact(async (tx) => {
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
        await this.refreshEntitlement(tx, saved.userId);
        return { stale: false as const, sub: saved };
      });
      if (!result.stale) return result.sub;
      snap = await this.deps.stripe.retrieveSubscription(snap.id);
      authoritative = true;
    }
    throw new DomainError('aborted', 'CONCURRENT_MODIFICATION', `subscription ${snapshot.id} kept changing; retry`);
  }

  /** Inserts something unique together with its events; false when it already existed. */
  private async once(insert: (tx: BillingTx) => Promise<void>, events: BillingEvent[]): Promise<boolean> {
    try {
      await this.deps.store.transact(async (tx) => {
        await insert(tx);
        if (events.length) await tx.emit(events);
      });
      return true;
    } catch (e) {
      if (e instanceof DuplicateRecordError) return false;
      throw e;
    }
  }

  private async refreshEntitlement(tx: BillingTx, userId: string): Promise<void> {
    const [subs, rentals] = await Promise.all([tx.subscriptionsOf(userId), tx.rentalsOf(userId)]);
    await tx.saveEntitlement(projectEntitlement(userId, subs, rentals, this.now()));
  }

  async listPayments(principal: Principal | undefined, page: { size: number; after?: { t: number; id: string } }): Promise<Page<PaymentRecord>> {
    return this.paymentsOf(requireUser(principal).subject, page);
  }

  /** Admin: another account's receipts, newest first. */
  async listUserPayments(principal: Principal | undefined, userId: string, page: { size: number; after?: { t: number; id: string } }): Promise<Page<PaymentRecord>> {
    requireAdmin(principal);
    return this.paymentsOf(checkUserId(userId), page);
  }

  private async paymentsOf(userId: string, page: { size: number; after?: { t: number; id: string } }): Promise<Page<PaymentRecord>> {
    const items = await this.deps.store.listPayments(userId, { size: page.size + 1, after: page.after });
    const more = items.length > page.size;
    const shown = items.slice(0, page.size);
    const last = shown[shown.length - 1];
    return { items: shown, next: more && last ? { t: last.createdAt.getTime(), id: last.id } : undefined };
  }

  // ------------------------------------------------------------------ rentals

  async createRental(principal: Principal | undefined, input: { movieId: string; successUrl: string; cancelUrl: string }) {
    const user = requireUser(principal);
    const v = new Violations();
    if (!input.movieId.trim()) v.add('movieId', 'is required');
    checkUrl(v, 'successUrl', input.successUrl);
    checkUrl(v, 'cancelUrl', input.cancelUrl);
    v.throwIfAny();
    const movie = await this.deps.movies.get(input.movieId);
    if (!movie) throw new DomainError('not_found', 'MOVIE_NOT_FOUND', `movieId: no title ${input.movieId}`, [{ field: 'movieId', description: 'no such title' }]);
    if (!movie.rentalPrice || movie.rentalPrice.amountMinor <= 0) throw field('movieId', `"${movie.title}" cannot be rented (it has no rental price)`, 'NOT_RENTABLE');
    const now = this.now();
    const mine = await this.deps.store.transact((tx) => tx.rentalsOf(user.subject));
    const active = mine.find((r) => r.movieId === movie.id && rental.effectiveStatus(r, now) === 'active');
    if (active) throw new DomainError('already_exists', 'ALREADY_RENTED', `movieId: "${movie.title}" is already rented until ${active.endsAt?.toISOString()}`, [{ field: 'movieId', description: 'already rented' }]);
    const open = (await this.deps.store.openCheckouts(user.subject, 'rental')).find((c) => c.expiresAt.getTime() > now.getTime() && mine.some((r) => r.id === c.rentalId && r.movieId === movie.id && r.status === 'pending'));
    if (open) {
      const r = mine.find((x) => x.id === open.rentalId)!;
      return { rental: r, sessionId: open.id, url: open.url };
    }
    const customerId = await this.ensureCustomer(user.subject, '');
    const slotPrefix = `${user.subject}:rental:${movie.id}:`;
    const n = await this.deps.store.countSettledCheckouts(slotPrefix, now);
    const slot = `${slotPrefix}${n}`;
    const rentalId = `rent_${Buffer.from(slot).toString('base64url').slice(-12)}${n}${Math.random().toString(36).slice(2, 8)}`;
    const session = await this.deps.stripe.createPaymentCheckout(
      {
        customerId,
        userId: user.subject,
        rentalId,
        movieId: movie.id,
        title: movie.title,
        price: movie.rentalPrice,
        successUrl: input.successUrl || this.deps.settings.defaultReturnUrl,
        cancelUrl: input.cancelUrl || this.deps.settings.defaultReturnUrl,
      },
      `flix-rental-${slot}`,
    );
    const r: RentalRecord = {
      id: rentalId,
      userId: user.subject,
      movieId: movie.id,
      movieTitle: movie.title,
      status: 'pending',
      price: movie.rentalPrice,
      checkoutSessionId: session.sessionId,
      paymentId: '',
      paidAt: null,
      expiresAt: null,
      playStartedAt: null,
      playExpiresAt: null,
      endsAt: null,
      returnedAt: null,
      createdAt: now,
      updatedAt: now,
      version: 0,
    };
    const checkout: CheckoutRecord = {
      id: session.sessionId,
      userId: user.subject,
      kind: 'rental',
      slot,
      planId: '',
      rentalId,
      url: session.url,
      status: 'open',
      expiresAt: session.expiresAt,
      listPrice: movie.rentalPrice,
      offerId: '',
      couponId: '',
      percentOff: 0,
      finalPrice: movie.rentalPrice,
      createdAt: now,
      completedAt: null,
    };
    const saved = await this.deps.store
      .transact(async (tx) => {
        await tx.insertCheckout(checkout);
        const stored = await tx.saveRental(r);
        await tx.emit([{ subject: 'billing.rental.created', rental: stored }]);
        return stored;
      })
      .catch((e: unknown) => {
        if (e instanceof DuplicateRecordError) return null;
        throw e;
      });
    if (!saved) {
      const winner = await this.deps.store.checkoutBySlot(slot);
      await this.deps.stripe.expireCheckout(session.sessionId).catch(() => undefined);
      const wr = winner ? await this.deps.store.rental(winner.rentalId) : null;
      if (!winner || !wr) throw new DomainError('aborted', 'CONCURRENT_MODIFICATION', 'another rental request is in progress; retry');
      return { rental: wr, sessionId: winner.id, url: winner.url };
    }
    return { rental: saved, sessionId: session.sessionId, url: session.url };
  }

  async listRentals(principal: Principal | undefined, page: { size: number; after?: { t: number; id: string } }): Promise<Page<RentalRecord>> {
    const user = requireUser(principal);
    const items = await this.deps.store.listRentals(user.subject, { size: page.size + 1, after: page.after });
    const more = items.length > page.size;
    const shown = items.slice(0, page.size);
    const last = shown[shown.length - 1];
    return { items: shown, next: more && last ? { t: last.createdAt.getTime(), id: last.id } : undefined };
  }

  /** The status a reader should see (an active rental past its end reads as expired before the sweeper runs). */
  rentalView(r: RentalRecord): RentalRecord {
    const s = rental.effectiveStatus(r, this.now());
    return s === r.status ? r : { ...r, status: s };
  }

  async returnRental(principal: Principal | undefined, rentalId: string): Promise<RentalRecord> {
    const user = requireUser(principal);
    if (!rentalId) throw field('rentalId', 'is required');
    return this.deps.store.transact(async (tx) => {
      const r = await tx.findRental(rentalId);
      if (!r || r.userId !== user.subject) throw notFound('rental', rentalId);
      const next = rental.returnRental(r, this.now());
      if (next === r) return r;
      const saved = await tx.saveRental(next);
      await tx.emit([{ subject: 'billing.rental.returned', rental: saved }]);
      await this.refreshEntitlement(tx, r.userId);
      return saved;
    });
  }

  /** Starts the play window of the user's active rental of the title (first playback only). */
  async startRentalClock(userId: string, movieId: string, at: Date): Promise<RentalRecord | null> {
    return this.deps.store.transact(async (tx) => {
      const now = this.now();
      const r = (await tx.rentalsOf(userId)).find((x) => x.movieId === movieId && rental.effectiveStatus(x, now) === 'active');
      if (!r) return null;
      const next = rental.startClock(r, at, this.windows, now);
      if (!next) return r;
      const saved = await tx.saveRental(next);
      await tx.emit([{ subject: 'billing.rental.started', rental: saved }]);
      await this.refreshEntitlement(tx, userId);
      return saved;
    });
  }

  /** Closes rentals whose time is up and publishes billing.rental.expired for each. */
  async sweepRentals(limit = 200): Promise<number> {
    const now = this.now();
    let n = 0;
    for (const r of await this.deps.store.rentalsEndedBy(now, limit)) {
      const done = await this.deps.store.transact(async (tx) => {
        const fresh = await tx.findRental(r.id);
        const next = fresh && rental.expire(fresh, now);
        if (!next) return false;
        const saved = await tx.saveRental(next);
        await tx.emit([{ subject: 'billing.rental.expired', rental: saved }]);
        await this.refreshEntitlement(tx, saved.userId);
        return true;
      });
      if (done) n++;
    }
    return n;
  }

  // ------------------------------------------------------------------ offers

  async listOffers(principal: Principal | undefined): Promise<OfferRecord[]> {
    const user = requireUser(principal);
    const now = this.now();
    return (await this.deps.store.offersOf(user.subject)).filter((o) => isOfferOpen(o, now)).sort((a, b) => b.percentOff - a.percentOff);
  }

  /** The offers consumer: a cancellation or lapse earns a win-back price; a monthly subscriber is offered yearly. */
  async offersFromSignal(kind: 'canceled' | 'expired' | 'activated', subscriptionId: string): Promise<OfferRecord | null> {
    const now = this.now();
    const sub = await this.deps.store.transact((tx) => tx.findSubscription(subscriptionId));
    if (!sub) return null;
    let offer: OfferRecord | null = null;
    if (kind === 'canceled' || kind === 'expired') offer = winBackOffer(sub, now);
    else offer = yearlySwitchOffer(sub, await this.deps.store.plans(false), now);
    if (!offer) return null;
    const o = offer;
    return (await this.once((tx) => tx.insertOffer(o), [{ subject: 'billing.offer.created', offer: o }])) ? o : null;
  }

  // ------------------------------------------------------------------ entitlements

  async checkEntitlement(
    principal: Principal | undefined,
    req: { userId: string; movieId: string; requiredTier: Tier | null; startingPlayback: boolean },
  ): Promise<EntitlementDecision> {
    if (!principal) throw new DomainError('unauthenticated', 'UNAUTHENTICATED', 'sign in first');
    const userId = req.userId || principal.subject;
    const privileged = principal.isService || principal.roles.includes('admin');
    if (!privileged && userId !== principal.subject) throw new DomainError('permission_denied', 'NOT_YOUR_ACCOUNT', 'userId: a user token may only check its own account', [{ field: 'userId', description: 'not the caller' }]);
    if (!req.movieId && !req.requiredTier) throw field('movieId', 'name the title (movieId) or the tier it needs (requiredTier)');
    let requiredTier = req.requiredTier;
    if (!requiredTier && req.movieId) {
      const movie = await this.deps.movies.get(req.movieId);
      if (!movie) return { allowed: false, reason: 'TITLE_NOT_FOUND', source: 'none', tier: null, maxStreams: 0, maxQuality: null, validUntil: null, rentalId: '', subscriptionStatus: null };
      requiredTier = movie.requiredTier;
    }
    const now = this.now();
    const { doc, decision } = await this.entitlementOf(userId, { movieId: req.movieId, requiredTier }, now);
    if (decision.allowed && decision.source === 'rental' && req.startingPlayback) {
      const grant = doc?.rentals.find((r) => r.rentalId === decision.rentalId);
      if (grant && !grant.playStarted) {
        const started = await this.startRentalClock(userId, req.movieId, now);
        if (started?.playExpiresAt) return { ...decision, validUntil: started.endsAt ?? decision.validUntil };
      }
    }
    return decision;
  }

  /**
   * The caller's entitlement to one title, for display: the same decision CheckEntitlement
   * makes, read-only (it never starts a rental's play clock), with what the title asks for.
   */
  async getEntitlement(
    principal: Principal | undefined,
    movieId: string,
  ): Promise<{ movieId: string; decision: EntitlementDecision; requiredTier: Tier | null; rentalPrice: Money | null }> {
    const user = requireUser(principal);
    const id = movieId.trim();
    if (!id) throw field('movieId', 'is required');
    if (id.length > 128 || /[\s\p{Cc}]/u.test(id)) throw field('movieId', 'is not a title id');
    const movie = await this.deps.movies.get(id);
    if (!movie) throw new DomainError('not_found', 'MOVIE_NOT_FOUND', `movieId: no title ${id}`, [{ field: 'movieId', description: 'no such title' }]);
    const { decision } = await this.entitlementOf(user.subject, { movieId: movie.id, requiredTier: movie.requiredTier }, this.now());
    return { movieId: movie.id, decision, requiredTier: movie.requiredTier, rentalPrice: movie.rentalPrice };
  }

  /** The account's entitlement document and the rules' answer for one title (reads only). */
  private async entitlementOf(userId: string, title: { movieId: string; requiredTier: Tier | null }, now: Date) {
    const doc = await this.deps.store.entitlement(userId);
    return { doc, decision: decide(doc, title, now, this.graceMs) };
  }

  // ------------------------------------------------------------------ webhooks

  /** Stores a verified Stripe event once and queues it for the consumer; a redelivery stores nothing. */
  async receiveWebhook(event: StripeEvent, raw: string): Promise<'stored' | 'duplicate'> {
    const fresh = await this.once(
      (tx) => tx.insertStripeEvent({ id: event.id, type: event.type, created: event.created, raw, receivedAt: new Date() }),
      [{ subject: 'billing.webhook.received', stripeEventId: event.id, stripeEventType: event.type }],
    );
    return fresh ? 'stored' : 'duplicate';
  }

  /** Applies one stored Stripe event (the webhook consumer calls this, one event at a time). */
  async applyStripeEvent(event: StripeEvent): Promise<string> {
    switch (event.kind) {
      case 'subscription': {
        const sub = await this.syncSubscription(event.subscription, { eventAt: event.created, authoritative: false });
        return sub ? `subscription ${sub.status}` : 'unchanged';
      }
      case 'trial_will_end': {
        const sub = await this.syncSubscription(event.subscription, { eventAt: event.created, authoritative: false });
        if (sub) await this.deps.store.transact((tx) => tx.emit([{ subject: 'billing.subscription.trial_will_end', subscription: sub }]));
        return 'trial will end';
      }
      case 'checkout_completed':
        return this.onCheckoutCompleted(event);
      case 'checkout_expired':
        await this.deps.store.transact(async (tx) => {
          const c = await tx.findCheckout(event.sessionId);
          if (c && c.status === 'open') await tx.updateCheckout(c.id, { status: 'expired' });
        });
        return 'checkout expired';
      case 'invoice':
        return this.onInvoice(event);
      case 'charge_refunded':
        return this.onRefund(event);
      case 'invoice_payment':
        return this.onInvoicePayment(event);
      case 'ignored':
        return 'ignored';
    }
  }

  private async onCheckoutCompleted(e: Extract<StripeEvent, { kind: 'checkout_completed' }>): Promise<string> {
    const checkout = await this.deps.store.transact((tx) => tx.findCheckout(e.sessionId));
    const userId = checkout?.userId || e.userId || (await this.deps.store.customerByStripeId(e.customerId))?.userId || '';
    if (e.mode === 'subscription') {
      if (!e.subscriptionId) return 'no subscription on session';
      // The session does not carry the subscription's state: read it from Stripe.
      const snap = await this.deps.stripe.retrieveSubscription(e.subscriptionId);
      await this.deps.store.transact(async (tx) => {
        if (checkout && checkout.status !== 'complete') {
          await tx.updateCheckout(checkout.id, { status: 'complete', completedAt: e.created });
          if (checkout.offerId) await tx.redeemOffer(checkout.offerId, e.created);
        }
      });
      const sub = await this.syncSubscription(snap, { eventAt: e.created, authoritative: true, userId });
      return `subscription ${sub?.status ?? 'unchanged'}`;
    }
    // Payment mode: a rental.
    const rentalId = e.metadata.flixRentalId || checkout?.rentalId || '';
    if (!rentalId) return 'payment without a rental';
    if (!e.paid) return 'rental payment not settled yet';
    return this.deps.store.transact(async (tx) => {
      const r = await tx.findRental(rentalId);
      if (!r) throw new DomainError('failed_precondition', 'UNKNOWN_RENTAL', `checkout ${e.sessionId} names rental ${rentalId}, which we do not have`);
      if (checkout && checkout.status !== 'complete') await tx.updateCheckout(checkout.id, { status: 'complete', completedAt: e.created });
      const paymentId = e.paymentIntentId || e.sessionId;
      const next = rental.activate(r, e.created, paymentId, this.windows, this.now());
      if (!next) return `rental already ${r.status}`;
      const saved = await tx.saveRental(next);
      const payment: PaymentRecord = {
        id: paymentId,
        userId: r.userId,
        kind: 'rental',
        status: 'succeeded',
        amount: { amountMinor: e.amountTotal, currency: (e.currency || r.price.currency).toUpperCase() },
        refundedMinor: 0,
        description: `Rental: ${r.movieTitle}`,
        subscriptionId: '',
        rentalId: r.id,
        planId: '',
        failedAttempts: 0,
        paymentIntentId: e.paymentIntentId,
        chargeId: '',
        receiptUrl: '',
        createdAt: e.created,
        updatedAt: this.now(),
      };
      if (!(await tx.findPayment(paymentId))) {
        await tx.savePayment(payment);
        await tx.emit([{ subject: 'billing.payment.succeeded', payment }]);
      }
      await tx.emit([{ subject: 'billing.rental.activated', rental: saved }]);
      await this.refreshEntitlement(tx, r.userId);
      return 'rental active';
    });
  }

  private async onInvoice(e: Extract<StripeEvent, { kind: 'invoice' }>): Promise<string> {
    let inv = e.invoice;
    // Webhook invoices carry no `payments` (Stripe includes it only when expanded): ask Stripe
    // which payment intent paid it, so a later refund (charge.refunded) finds this payment.
    if (e.paid && inv.amountPaid > 0 && !inv.paymentIntentId) {
      const known = await this.deps.store.transact((tx) => tx.findPayment(inv.id));
      if (!known?.paymentIntentId) {
        const paid = await this.deps.stripe.retrieveInvoicePayment(inv.id);
        inv = { ...inv, paymentIntentId: paid.paymentIntentId, chargeId: inv.chargeId || paid.chargeId };
      }
    }
    const userId = (await this.deps.store.customerByStripeId(inv.customerId))?.userId ?? '';
    if (!userId) throw new DomainError('failed_precondition', 'UNKNOWN_CUSTOMER', `invoice ${inv.id} belongs to a customer we do not know (${inv.customerId})`);
    const sub = inv.subscriptionId ? await this.deps.store.transact((tx) => tx.findSubscription(inv.subscriptionId)) : null;
    const now = this.now();
    const paymentEvents = await this.deps.store.transact(async (tx) => {
      const existing = await tx.findPayment(inv.id);
      // A paid invoice stays paid: a failure reported after it (out of order) changes nothing.
      if (existing && existing.status !== 'failed') {
        if (inv.paymentIntentId && !existing.paymentIntentId)
          await tx.savePayment({ ...existing, paymentIntentId: inv.paymentIntentId, chargeId: existing.chargeId || inv.chargeId, updatedAt: now });
        return [];
      }
      if (e.paid && inv.amountPaid === 0 && !existing) return []; // $0 invoices (trial starts) are not receipts
      const planId = sub?.planId ?? '';
      const payment: PaymentRecord = {
        id: inv.id,
        userId,
        kind: 'subscription',
        status: e.paid ? 'succeeded' : 'failed',
        amount: { amountMinor: e.paid ? inv.amountPaid : inv.amountDue, currency: inv.currency.toUpperCase() },
        refundedMinor: 0,
        description: planId ? `Subscription: ${planId}` : 'Subscription',
        subscriptionId: inv.subscriptionId,
        rentalId: '',
        planId,
        failedAttempts: e.paid ? Math.max(0, inv.attemptCount - 1) : Math.max(existing?.failedAttempts ?? 0, inv.attemptCount, 1),
        paymentIntentId: inv.paymentIntentId || existing?.paymentIntentId || '',
        chargeId: inv.chargeId || existing?.chargeId || '',
        receiptUrl: inv.receiptUrl,
        createdAt: existing?.createdAt ?? inv.created,
        updatedAt: now,
      };
      if (existing && existing.status === payment.status && existing.failedAttempts === payment.failedAttempts) return [];
      await tx.savePayment(payment);
      const ev: BillingEvent = { subject: e.paid ? 'billing.payment.succeeded' : 'billing.payment.failed', payment };
      return [ev];
    });
    if (inv.subscriptionId) {
      // Renewals, failures and recoveries move the subscription: take its state from Stripe.
      const snap = await this.deps.stripe.retrieveSubscription(inv.subscriptionId);
      await this.syncSubscription(snap, { eventAt: e.created, authoritative: true, userId, extraEvents: paymentEvents });
    } else if (paymentEvents.length) {
      await this.deps.store.transact((tx) => tx.emit(paymentEvents));
    }
    return `invoice ${e.paid ? 'paid' : 'failed'}`;
  }

  /** invoice_payment.paid: record which payment intent paid the invoice (when we hold the invoice's payment). */
  private async onInvoicePayment(e: Extract<StripeEvent, { kind: 'invoice_payment' }>): Promise<string> {
    if (!e.invoiceId || !e.paymentIntentId) return 'no payment intent';
    return this.deps.store.transact(async (tx) => {
      const p = await tx.findPayment(e.invoiceId);
      // Not stored yet (reordered): invoice.paid reads the payment from Stripe itself.
      if (!p) return 'invoice payment before its invoice';
      if (p.paymentIntentId === e.paymentIntentId && (p.chargeId || !e.chargeId)) return 'invoice payment already linked';
      await tx.savePayment({ ...p, paymentIntentId: e.paymentIntentId, chargeId: p.chargeId || e.chargeId, updatedAt: this.now() });
      return 'invoice payment linked';
    });
  }

  private async onRefund(e: Extract<StripeEvent, { kind: 'charge_refunded' }>): Promise<string> {
    let invoiceId = e.invoiceId;
    if (!invoiceId && e.paymentIntentId) {
      // `charge.invoice` is gone since API 2026-10-28: when the payment intent is not on any
      // payment we hold, ask Stripe which invoice it paid.
      const known = await this.deps.store.transact((tx) => tx.findPaymentByCharge({ paymentIntentId: e.paymentIntentId, chargeId: e.chargeId, invoiceId: '' }));
      if (!known) invoiceId = await this.deps.stripe.findInvoiceForPaymentIntent(e.paymentIntentId);
    }
    return this.deps.store.transact(async (tx) => {
      const p = await tx.findPaymentByCharge({ paymentIntentId: e.paymentIntentId, chargeId: e.chargeId, invoiceId });
      if (!p) {
        this.deps.warn?.({ chargeId: e.chargeId, paymentIntentId: e.paymentIntentId }, 'refund for a payment we do not know');
        return 'unknown payment';
      }
      if (e.amountRefunded <= p.refundedMinor) return 'refund already recorded';
      const full = e.amountRefunded >= p.amount.amountMinor;
      const next: PaymentRecord = {
        ...p,
        refundedMinor: e.amountRefunded,
        status: full ? 'refunded' : 'partially_refunded',
        paymentIntentId: p.paymentIntentId || e.paymentIntentId,
        chargeId: p.chargeId || e.chargeId,
        updatedAt: this.now(),
      };
      await tx.savePayment(next);
      const events: BillingEvent[] = [{ subject: 'billing.payment.refunded', payment: next }];
      if (full && p.rentalId) {
        // A refunded rental is over.
        const r = await tx.findRental(p.rentalId);
        const ended = r && rental.refund(r, this.now());
        if (ended) {
          const saved = await tx.saveRental(ended);
          events.push({ subject: 'billing.rental.returned', rental: saved });
        }
      }
      await tx.emit(events);
      if (p.rentalId) await this.refreshEntitlement(tx, p.userId);
      return full ? 'refunded' : 'partially refunded';
    });
  }
}

