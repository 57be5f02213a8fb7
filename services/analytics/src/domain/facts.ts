import type { FlixSubject } from '@flix/contracts';
import type { FlixEventMessage } from '@flix/events';
import type { SubscriptionCreated, PaymentSucceeded } from '@flix/proto/flix/billing/v1/events';
import { PaymentKind, SubscriptionStatus, type Subscription } from '@flix/proto/flix/billing/v1/resources';
import type { LoginSucceeded, UserRegistered } from '@flix/proto/flix/identity/v1/events';
import type { SessionEnded, SessionStarted } from '@flix/proto/flix/playback/v1/events';
import type { Facts, SubscriptionState } from './model.js';

const STATE: Record<number, SubscriptionState> = {
  [SubscriptionStatus.SUBSCRIPTION_STATUS_INCOMPLETE]: 'incomplete',
  [SubscriptionStatus.SUBSCRIPTION_STATUS_TRIALING]: 'trialing',
  [SubscriptionStatus.SUBSCRIPTION_STATUS_ACTIVE]: 'active',
  [SubscriptionStatus.SUBSCRIPTION_STATUS_PAST_DUE]: 'past_due',
  [SubscriptionStatus.SUBSCRIPTION_STATUS_CANCELED]: 'canceled',
  [SubscriptionStatus.SUBSCRIPTION_STATUS_EXPIRED]: 'expired',
};
/** States in which a subscription gives access (canceled ones run to the period end). */
export const ACCESS_STATES: readonly SubscriptionState[] = ['trialing', 'active', 'past_due', 'canceled'];

function subscriptionFacts(sub: Subscription | undefined, time: Date): Facts['subscription'] {
  if (!sub?.id) return undefined;
  const state = STATE[sub.status] ?? 'unknown';
  return {
    subscriptionId: sub.id,
    userId: sub.userId,
    planId: sub.planId,
    state,
    observedAt: sub.updateTime ?? time,
    ...(ACCESS_STATES.includes(state) ? { accessSince: time } : {}),
    ...(state === 'expired' ? { endedAt: sub.endedTime ?? time } : {}),
  };
}

/**
 * What an event contributes to the rollups. Pure: the same event always gives the same facts,
 * and every fact is an increment or a "keep the earliest/newest", so neither order nor (with
 * the event id check in front) repetition changes the outcome.
 */
export function factsOf(subject: string, payload: FlixEventMessage | undefined, receivedAt: Date, reportingCurrency = 'USD'): Facts {
  const time = payload?.occurTime ?? receivedAt;
  const facts: Facts = { time, daily: { events: 1 } };
  if (!payload) return facts;
  const p = payload as FlixEventMessage & { userId?: unknown; movieId?: unknown };
  if (typeof p.userId === 'string' && p.userId) facts.userId = p.userId;
  if (typeof p.movieId === 'string' && p.movieId) facts.movieId = p.movieId;

  // Typed as a declared subject, so a case the contracts do not declare does not compile.
  switch (subject as FlixSubject) {
    case 'identity.user.registered':
      facts.daily.registrations = 1;
      facts.activeUserId = (payload as UserRegistered).userId || undefined;
      break;
    case 'identity.auth.login_succeeded':
      facts.daily.loginsSucceeded = 1;
      facts.signals = { loginsSucceeded: 1 };
      facts.activeUserId = (payload as LoginSucceeded).userId || undefined;
      break;
    case 'identity.auth.login_failed':
      facts.daily.loginsFailed = 1;
      facts.signals = { loginsFailed: 1 };
      break;
    case 'playback.session.started': {
      const e = payload as SessionStarted;
      facts.daily.plays = 1;
      facts.activeUserId = e.userId || undefined;
      if (e.movieId) facts.title = { movieId: e.movieId, inc: { plays: 1 } };
      break;
    }
    case 'playback.session.ended': {
      const e = payload as SessionEnded;
      const watch = Math.max(0, e.watchedSeconds || 0);
      const rebuffer = Math.max(0, Number(e.rebufferMs) || 0);
      const inc = { sessionsEnded: 1, watchSeconds: watch, rebufferMs: rebuffer, completions: e.completed ? 1 : 0 };
      Object.assign(facts.daily, inc);
      if (e.movieId) facts.title = { movieId: e.movieId, inc };
      break;
    }
    case 'billing.payment.succeeded':
    case 'billing.payment.failed':
    case 'billing.payment.refunded': {
      const pay = (payload as PaymentSucceeded).payment;
      if (pay?.userId) facts.userId = pay.userId;
      // Amounts in another currency are counted as payments but not summed.
      const amount = pay?.amount && pay.amount.currency.toUpperCase() === reportingCurrency ? pay.amount : undefined;
      if (subject === 'billing.payment.succeeded') {
        facts.daily.paymentsSucceeded = 1;
        facts.signals = { paymentsSucceeded: 1 };
        if (amount) {
          facts.daily.revenueMinor = amount.amountMinor;
          if (pay && pay.kind === PaymentKind.PAYMENT_KIND_SUBSCRIPTION && pay.planId && amount.amountMinor > 0) {
            facts.observedPrice = { planId: pay.planId, amountMinor: amount.amountMinor, currency: amount.currency.toUpperCase(), months: /yearly|annual/i.test(pay.planId) ? 12 : 1 };
          }
        }
      } else if (subject === 'billing.payment.failed') {
        facts.daily.paymentsFailed = 1;
        facts.signals = { paymentsFailed: 1 };
      } else {
        facts.daily.paymentsRefunded = 1;
        if (pay?.refunded && pay.refunded.currency.toUpperCase() === reportingCurrency) facts.daily.refundedMinor = pay.refunded.amountMinor;
      }
      break;
    }
    default:
      if (subject.startsWith('billing.subscription.')) {
        const sub = (payload as SubscriptionCreated).subscription;
        facts.subscription = subscriptionFacts(sub, time);
        if (sub?.userId) facts.userId = sub.userId;
      } else if (subject.startsWith('engagement.') && facts.userId) {
        facts.activeUserId = facts.userId;
      }
  }
  return facts;
}
