import { billingEvents, BILLING_STREAM, identityEvents, IDENTITY_STREAM, playbackEvents, PLAYBACK_STREAM, subjectFilter } from '@flix/contracts';
import { on, PoisonMessageError, startConsumer, type ConsumerHandle, type IdempotencyStore, type NatsClients } from '@flix/events';
import type { Logger } from '@flix/logging';
import { userDeletedHandler } from '@flix/service';
import type { BillingPersonalData } from '../privacy/personal-data.js';
import type { Billing } from '../domain/billing.js';
import type { BillingStore, PaymentProvider } from '../domain/ports.js';

interface Deps {
  nats: NatsClients;
  billing: Billing;
  store: BillingStore;
  stripe: Pick<PaymentProvider, 'parseEvent'>;
  idempotency: IdempotencyStore;
  logger: Logger;
  clock: { now(): Date };
  /** Account deletion: erases on identity.user.deleted, and drops Stripe events about erased accounts. */
  privacy: BillingPersonalData;
}

/** Stripe customers for new accounts (durable 'billing' on IDENTITY). */
export function startCustomerConsumer(d: Deps): Promise<ConsumerHandle> {
  return startConsumer({
    js: d.nats.js,
    jsm: d.nats.jsm,
    stream: IDENTITY_STREAM,
    durable: 'billing',
    filterSubject: subjectFilter(identityEvents, 'identity.user.>'),
    idempotency: d.idempotency,
    logger: d.logger,
    handlers: {
      [identityEvents.userRegistered.subject]: on(identityEvents.userRegistered, async (e, ctx) => {
        if (!e.userId) throw new PoisonMessageError('identity.user.registered without a user id');
        const customerId = await d.billing.customers.ensure(e.userId, e.email);
        ctx.logger.info({ userId: e.userId, customerId }, 'stripe customer ready');
      }),
      [identityEvents.userDeleted.subject]: userDeletedHandler((e) => d.privacy.erase(e)),
    },
  });
}

/**
 * Applies stored Stripe webhook events one at a time, in the order they were received
 * (durable 'billing-webhooks' on BILLING). Every apply step is idempotent, so a redelivery
 * after a crash between apply and ack repeats nothing.
 */
export function startWebhookConsumer(d: Deps): Promise<ConsumerHandle> {
  return startConsumer({
    js: d.nats.js,
    jsm: d.nats.jsm,
    stream: BILLING_STREAM,
    durable: 'billing-webhooks',
    filterSubject: subjectFilter(billingEvents, 'billing.webhook.>'),
    idempotency: d.idempotency,
    logger: d.logger,
    maxDeliver: 8,
    backoffMs: [200, 1000, 5000, 30_000, 60_000],
    handlers: {
      [billingEvents.webhookReceived.subject]: on(billingEvents.webhookReceived, async (e, ctx) => {
        const stored = await d.store.stripeEvent(e.stripeEventId);
        if (!stored) throw new PoisonMessageError(`stripe event ${e.stripeEventId} is not stored`);
        if (await d.privacy.concernsErased(stored.raw)) {
          // About a deleted account (its subscription's cancellation, the customer's deletion):
          // applying it would re-create what was erased, and the raw event names them.
          await d.privacy.dropStripeEvent(e.stripeEventId);
          ctx.logger.info({ stripeEventId: e.stripeEventId }, 'stripe event about a deleted account dropped');
          return;
        }
        const event = d.stripe.parseEvent(stored.raw);
        const outcome = await d.billing.webhooks.apply(event);
        await d.store.transact((tx) => tx.markStripeEvent(event.id, outcome, d.clock.now()));
        ctx.logger.info({ stripeEventId: event.id, type: event.type, outcome }, 'stripe event applied');
      }),
    },
  });
}

/** Personal offers from subscription signals (durable 'billing-offers' on BILLING). */
export function startOffersConsumer(d: Deps): Promise<ConsumerHandle> {
  const signal = (kind: 'canceled' | 'expired' | 'activated') => async (e: { subscription?: { id: string } }) => {
    if (e.subscription?.id) await d.billing.offers.fromSignal(kind, e.subscription.id);
  };
  return startConsumer({
    js: d.nats.js,
    jsm: d.nats.jsm,
    stream: BILLING_STREAM,
    durable: 'billing-offers',
    filterSubject: subjectFilter(billingEvents, 'billing.subscription.>'),
    idempotency: d.idempotency,
    logger: d.logger,
    handlers: {
      [billingEvents.subscriptionActivated.subject]: on(billingEvents.subscriptionActivated, signal('activated')),
      [billingEvents.subscriptionCanceled.subject]: on(billingEvents.subscriptionCanceled, signal('canceled')),
      [billingEvents.subscriptionExpired.subject]: on(billingEvents.subscriptionExpired, signal('expired')),
    },
  });
}

/** A rental's 48-hour clock starts with its first playback (durable 'billing' on PLAYBACK). */
export function startPlaybackConsumer(d: Deps): Promise<ConsumerHandle> {
  return startConsumer({
    js: d.nats.js,
    jsm: d.nats.jsm,
    stream: PLAYBACK_STREAM,
    durable: 'billing',
    filterSubject: subjectFilter(playbackEvents, 'playback.session.>'),
    idempotency: d.idempotency,
    logger: d.logger,
    handlers: {
      [playbackEvents.sessionStarted.subject]: on(playbackEvents.sessionStarted, async (e, ctx) => {
        if (!e.userId || !e.movieId) throw new PoisonMessageError('playback.session.started without user or movie id');
        const r = await d.billing.rentals.startClock(e.userId, e.movieId, e.occurTime ?? d.clock.now());
        if (r) ctx.logger.info({ rentalId: r.id, playExpiresAt: r.playExpiresAt }, 'rental clock running');
      }),
    },
  });
}
