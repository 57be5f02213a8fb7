import { billingEvents, BILLING_STREAM, handlersOf, subjectFilter } from '@flix/contracts';
import { on, startConsumer, type ConsumerHandle, type IdempotencyStore, type NatsClients } from '@flix/events';
import type { Logger } from '@flix/logging';
import type { Playback } from '../domain/playback.js';

interface Deps {
  nats: NatsClients;
  playback: Playback;
  idempotency: IdempotencyStore;
  logger: Logger;
}

/**
 * Billing changed what an account may watch (durable 'playback' on BILLING): its live sessions
 * ask billing again at their next heartbeat, and end there if the answer is no.
 */
export function startEntitlementConsumer(d: Deps): Promise<ConsumerHandle> {
  const recheck = (userId: string | undefined) => (userId ? d.playback.entitlementChanged(userId) : Promise.resolve());
  const bySubscription = async (e: { subscription?: { userId: string } }) => recheck(e.subscription?.userId);
  const byRental = async (e: { rental?: { userId: string } }) => recheck(e.rental?.userId);
  return startConsumer({
    js: d.nats.js,
    jsm: d.nats.jsm,
    stream: BILLING_STREAM,
    durable: 'playback',
    // nats-server 2.9 takes one filter subject: everything from billing, the rest is skipped.
    filterSubject: subjectFilter(billingEvents, 'billing.>'),
    idempotency: d.idempotency,
    logger: d.logger,
    handlers: handlersOf(
      on(billingEvents.subscriptionUpdated, bySubscription),
      on(billingEvents.subscriptionPastDue, bySubscription),
      on(billingEvents.subscriptionCanceled, bySubscription),
      on(billingEvents.subscriptionExpired, bySubscription),
      on(billingEvents.rentalReturned, byRental),
      on(billingEvents.rentalExpired, byRental),
      on(billingEvents.paymentRefunded, async (e) => recheck(e.payment?.userId)),
    ),
  });
}
