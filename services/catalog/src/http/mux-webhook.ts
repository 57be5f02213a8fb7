import type { HttpRoute } from '@flix/http';
import type { Logger } from '@flix/logging';
import { isDomainError } from '@flix/errors';
import type { Catalog } from '../domain/catalog.js';
import type { MuxEvent } from '../domain/mux-events.js';

export interface WebhookVerifier {
  /** Throws (a MuxSignatureError) when the signature is missing, wrong or stale. */
  verifyWebhook(rawBody: string, headers: Record<string, string | string[] | undefined>): MuxEvent;
}

const status = (code: number, message: string) => ({ code, message, details: [] });

/**
 * POST /webhooks/mux: verify the signature on the raw body (a bad one stores nothing), then
 * store the event once and apply it. 2xx tells Mux to stop retrying, so only a failure that a
 * retry can fix (a race, a store outage) answers 5xx/409.
 */
export function muxWebhookRoute(deps: { catalog: Catalog; verifier: WebhookVerifier; isSignatureError: (e: unknown) => boolean; logger: Logger }): HttpRoute {
  return {
    method: 'POST',
    path: '/webhooks/mux',
    async handle(req) {
      const raw = req.body.toString('utf8');
      let event: MuxEvent;
      try {
        event = deps.verifier.verifyWebhook(raw, req.headers);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (deps.isSignatureError(e)) {
          deps.logger.warn({ reason: message }, 'mux webhook rejected: bad signature');
          return { status: 400, body: status(3, `mux-signature: ${message}`) };
        }
        // Signed by Mux but not usable (MuxPayloadError): Mux keeps retrying, so a fixed build still gets it.
        deps.logger.error({ reason: message }, 'mux webhook rejected: unusable payload');
        return { status: 400, body: status(3, `body: not a Mux webhook event (${message})`) };
      }
      const log = deps.logger.child({ muxEventId: event.id, muxEventType: event.type });
      try {
        const outcome = await deps.catalog.handleMuxEvent(event, raw);
        log.info({ outcome, movieId: 'movieId' in event ? event.movieId : undefined }, 'mux webhook handled');
        return { status: 200, body: { received: true, outcome } };
      } catch (e) {
        if (isDomainError(e) && (e.kind === 'aborted' || e.kind === 'unavailable')) {
          log.warn({ reason: e.message }, 'mux webhook deferred; Mux will retry');
          return { status: e.kind === 'aborted' ? 409 : 503, body: status(e.kind === 'aborted' ? 10 : 14, e.message) };
        }
        throw e;
      }
    },
  };
}
