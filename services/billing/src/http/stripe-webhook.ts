import type { HttpRoute } from '@flix/http';
import type { Logger } from '@flix/logging';
import { isDomainError } from '@flix/errors';
import type { Billing } from '../domain/billing.js';
import type { StripeEvent } from '../domain/stripe-events.js';

export interface WebhookVerifier {
  /** Throws (a signature error) when the Stripe-Signature header is missing, wrong or stale. */
  verifyWebhook(rawBody: string, signatureHeader: string | undefined): StripeEvent;
}

const status = (code: number, message: string) => ({ code, message, details: [] });

/**
 * POST /webhooks/stripe: verify the signature on the raw body (a bad one stores nothing), store
 * the raw event once by its id together with an outbox entry, and answer 200 at once. The
 * webhook consumer applies it; a crash after the 200 loses nothing (the outbox holds it), and
 * a redelivery finds the id stored and is a no-op.
 */
export function stripeWebhookRoute(deps: { billing: Pick<Billing, 'webhooks'>; verifier: WebhookVerifier; isSignatureError: (e: unknown) => boolean; logger: Logger }): HttpRoute {
  return {
    method: 'POST',
    path: '/webhooks/stripe',
    async handle(req) {
      const raw = req.body.toString('utf8');
      const header = req.headers['stripe-signature'];
      let event: StripeEvent;
      try {
        event = deps.verifier.verifyWebhook(raw, Array.isArray(header) ? header[0] : header);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (deps.isSignatureError(e)) {
          deps.logger.warn({ reason: message }, 'stripe webhook rejected: bad signature');
          return { status: 400, body: status(3, `stripe-signature: ${message}`) };
        }
        deps.logger.error({ reason: message }, 'stripe webhook rejected: unusable payload');
        return { status: 400, body: status(3, `body: not a Stripe event (${message})`) };
      }
      const log = deps.logger.child({ stripeEventId: event.id, stripeEventType: event.type });
      try {
        const outcome = await deps.billing.webhooks.receive(event, raw);
        log.info({ outcome }, 'stripe webhook received');
        return { status: 200, body: { received: true, duplicate: outcome === 'duplicate' } };
      } catch (e) {
        if (isDomainError(e) && (e.kind === 'aborted' || e.kind === 'unavailable')) {
          log.warn({ reason: e.message }, 'stripe webhook deferred; Stripe will retry');
          return { status: 503, body: status(14, e.message) };
        }
        throw e;
      }
    },
  };
}
