import { requireAdmin, type Principal } from '@flix/auth';
import { DomainError, notFound } from '@flix/errors';
import { invalidField, type BillingDeps } from './common.js';
import type { PlanRecord } from './model.js';
import { defaultPlans, PLAN_ID, validatePlan, type PlanField, type PlanInput } from './plan.js';

const TIER_ORDER = { BASIC: 0, STANDARD: 1, PREMIUM: 2 } as const;

const planExists = (id: string | undefined) =>
  new DomainError('already_exists', 'PLAN_EXISTS', `plan.id: a plan ${id} already exists`, [{ field: 'plan.id', description: 'already exists' }]);

/** The plans on offer: the public list, the admin's changes, and the defaults seeded on first start. */
export class Plans {
  constructor(private readonly deps: Pick<BillingDeps, 'store' | 'stripe' | 'clock'>) {}

  /** Cheapest tier first, monthly before yearly. */
  async list(principal: Principal | undefined, includeInactive: boolean): Promise<PlanRecord[]> {
    if (includeInactive) requireAdmin(principal);
    const plans = await this.deps.store.plans(includeInactive);
    return plans.sort((a, b) => TIER_ORDER[a.tier] - TIER_ORDER[b.tier] || (a.interval === b.interval ? 0 : a.interval === 'monthly' ? -1 : 1) || a.id.localeCompare(b.id));
  }

  /** Seeds the default plans that do not exist yet; Stripe calls carry idempotency keys so a crash mid-way repeats nothing. */
  async seed(): Promise<number> {
    let created = 0;
    for (const plan of defaultPlans(this.deps.clock.now())) {
      if (await this.deps.store.plan(plan.id)) continue;
      const ids = await this.deps.stripe.createPlanPrice(plan, `flix-plan-${plan.id}-${plan.price.amountMinor}-${plan.price.currency}`);
      if (await this.deps.store.insertPlan({ ...plan, stripeProductId: ids.productId, stripePriceId: ids.priceId, version: 1 })) created++;
    }
    return created;
  }

  async create(principal: Principal | undefined, input: PlanInput): Promise<PlanRecord> {
    requireAdmin(principal);
    validatePlan(input, 'all');
    if (await this.deps.store.plan(input.id!)) throw planExists(input.id);
    const now = this.deps.clock.now();
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
    if (!(await this.deps.store.insertPlan(stored))) throw planExists(input.id);
    return stored;
  }

  async update(principal: Principal | undefined, id: string, input: PlanInput, mask: PlanField[]): Promise<PlanRecord> {
    requireAdmin(principal);
    if (!id) throw invalidField('plan.id', 'is required');
    if (mask.length === 0) throw invalidField('updateMask', 'name at least one field to update');
    // A path id no plan can have is not looked up (nor echoed back whole).
    const current = PLAN_ID.test(id) ? await this.deps.store.plan(id) : null;
    if (!current) throw notFound('plan', id.length > 40 ? `${id.slice(0, 40)}…` : id);
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
      updatedAt: this.deps.clock.now(),
    };
    // Stripe prices are immutable: a new amount or interval is a new price; subscribers keep the old one.
    if (next.price.amountMinor !== current.price.amountMinor || next.price.currency !== current.price.currency || next.interval !== current.interval) {
      const ids = await this.deps.stripe.createPlanPrice(next, `flix-plan-${next.id}-${next.price.amountMinor}-${next.price.currency}-${next.interval}-v${current.version + 1}`, current.stripeProductId);
      next = { ...next, stripeProductId: ids.productId, stripePriceId: ids.priceId };
    }
    return this.deps.store.replacePlan(next, current.version);
  }

  async deactivate(principal: Principal | undefined, id: string): Promise<PlanRecord> {
    requireAdmin(principal);
    if (!id) throw invalidField('planId', 'is required');
    // A path id no plan can have is not looked up (nor echoed back whole).
    const current = PLAN_ID.test(id) ? await this.deps.store.plan(id) : null;
    if (!current) throw notFound('plan', id.length > 40 ? `${id.slice(0, 40)}…` : id);
    if (!current.active) return current;
    return this.deps.store.replacePlan({ ...current, active: false, updatedAt: this.deps.clock.now() }, current.version);
  }
}
