import type { PlanRecord, SubscriptionRecord, SubStatus } from './model.js';
import type { SubscriptionSnapshot } from './stripe-events.js';

/**
 * The subscription lifecycle. Stripe is the source of truth for the payment side; we map its
 * status onto ours and refuse moves our machine does not allow (an ended subscription never
 * comes back: Stripe's "canceled" is terminal too).
 */
export function statusFromStripe(stripeStatus: string, cancelAtPeriodEnd: boolean): SubStatus {
  switch (stripeStatus) {
    case 'trialing':
      return cancelAtPeriodEnd ? 'canceled' : 'trialing';
    case 'active':
      return cancelAtPeriodEnd ? 'canceled' : 'active';
    case 'past_due':
    case 'unpaid':
      return 'past_due';
    case 'canceled':
    case 'incomplete_expired':
      return 'expired';
    case 'incomplete':
    case 'paused':
    default:
      return 'incomplete';
  }
}

const ALLOWED: Record<SubStatus, readonly SubStatus[]> = {
  incomplete: ['incomplete', 'trialing', 'active', 'past_due', 'canceled', 'expired'],
  trialing: ['trialing', 'active', 'past_due', 'canceled', 'expired'],
  active: ['active', 'past_due', 'canceled', 'expired'],
  past_due: ['past_due', 'active', 'trialing', 'canceled', 'expired'],
  canceled: ['canceled', 'active', 'trialing', 'past_due', 'expired'],
  expired: ['expired'],
};

export const canTransition = (from: SubStatus, to: SubStatus): boolean => ALLOWED[from].includes(to);

/** Statuses in which the account holds a subscription (a second checkout is refused). */
export const isLive = (s: SubStatus): boolean => s !== 'expired';

export type SubscriptionChange =
  | 'billing.subscription.created'
  | 'billing.subscription.activated'
  | 'billing.subscription.updated'
  | 'billing.subscription.past_due'
  | 'billing.subscription.canceled'
  | 'billing.subscription.expired';

export interface SnapshotOutcome {
  next: SubscriptionRecord;
  changes: SubscriptionChange[];
}

/**
 * Folds a Stripe snapshot into our record. Returns null when nothing we keep changed or when the
 * move is not allowed (logged by the caller). `now` is the moment the change is observed (Stripe
 * time of the event, or our clock for fresh reads); `observedAt` is stored to order later events.
 */
export function applySnapshot(
  current: SubscriptionRecord | null,
  snap: SubscriptionSnapshot,
  ctx: { userId: string; plan: PlanRecord | null; now: Date; observedAt: number },
): SnapshotOutcome | null {
  const status = statusFromStripe(snap.status, snap.cancelAtPeriodEnd);
  if (current && !canTransition(current.status, status)) return null;
  const plan = ctx.plan;
  const pastDueSince = status === 'past_due' ? (current?.status === 'past_due' && current.pastDueSince ? current.pastDueSince : ctx.now) : null;
  const next: SubscriptionRecord = {
    id: snap.id,
    userId: current?.userId || ctx.userId,
    customerId: snap.customerId,
    planId: plan?.id ?? current?.planId ?? '',
    tier: plan?.tier ?? current?.tier ?? 'BASIC',
    maxStreams: plan?.maxStreams ?? current?.maxStreams ?? 1,
    maxQuality: plan?.maxQuality ?? current?.maxQuality ?? 'SD',
    status,
    stripeStatus: snap.status,
    itemId: snap.itemId || current?.itemId || '',
    priceId: snap.priceId || current?.priceId || '',
    currentPeriodStart: snap.currentPeriodStart,
    currentPeriodEnd: snap.currentPeriodEnd,
    cancelAtPeriodEnd: snap.cancelAtPeriodEnd,
    trialEnd: snap.trialEnd,
    pastDueSince,
    canceledAt: snap.canceledAt,
    endedAt: status === 'expired' ? (snap.endedAt ?? current?.endedAt ?? ctx.now) : null,
    observedAt: Math.max(current?.observedAt ?? 0, ctx.observedAt),
    createdAt: current?.createdAt ?? snap.created,
    updatedAt: ctx.now,
    version: current?.version ?? 0,
  };
  const changes: SubscriptionChange[] = [];
  const prev = current?.status;
  if (!current) changes.push('billing.subscription.created');
  if (prev !== status) {
    if (status === 'active' || status === 'trialing') changes.push(prev === 'canceled' ? 'billing.subscription.updated' : 'billing.subscription.activated');
    else if (status === 'past_due') changes.push('billing.subscription.past_due');
    else if (status === 'canceled') changes.push('billing.subscription.canceled');
    else if (status === 'expired') changes.push('billing.subscription.expired');
  } else if (
    current &&
    (current.planId !== next.planId ||
      current.currentPeriodEnd.getTime() !== next.currentPeriodEnd.getTime() ||
      current.cancelAtPeriodEnd !== next.cancelAtPeriodEnd)
  ) {
    changes.push('billing.subscription.updated');
  }
  if (current && changes.length === 0 && sameState(current, next)) return null;
  return { next, changes };
}

function sameState(a: SubscriptionRecord, b: SubscriptionRecord): boolean {
  return (
    a.status === b.status &&
    a.stripeStatus === b.stripeStatus &&
    a.planId === b.planId &&
    a.priceId === b.priceId &&
    a.currentPeriodEnd.getTime() === b.currentPeriodEnd.getTime() &&
    a.cancelAtPeriodEnd === b.cancelAtPeriodEnd &&
    a.observedAt === b.observedAt
  );
}
