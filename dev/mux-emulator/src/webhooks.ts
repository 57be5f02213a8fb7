/**
 * Webhook signing and delivery as Mux does it: each attempt is a POST of the raw JSON event with
 * `mux-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, signed afresh per
 * attempt. Queueing, retries with exponential backoff for up to 24 hours (as Mux) and ordering come
 * from @flix/webhook-delivery.
 */
import {
  DEFAULT_RETRY,
  MUX_GIVE_UP_AFTER_MS,
  signTimestamped,
  WebhookDeliveryQueue,
  type WebhookDelivery,
  type WebhookQueueOptions,
  type WebhookRetryPolicy,
} from '@flix/webhook-delivery';

export { retryPolicy, type WebhookAttempt, type WebhookDelivery, type WebhookRetryPolicy } from '@flix/webhook-delivery';

/** Mux's schedule: retried with exponential backoff for up to 24 hours (the backoff capped at 60 s here, see DEFAULT_RETRY). */
export const MUX_RETRY: WebhookRetryPolicy = { ...DEFAULT_RETRY, giveUpAfterMs: MUX_GIVE_UP_AFTER_MS };

/** The `mux-signature` header value for `body` signed at `timestampSec`. */
export function signMuxWebhook(secret: string, body: string, timestampSec = Math.floor(Date.now() / 1000)): string {
  return signTimestamped(secret, body, timestampSec);
}

export class WebhookDispatcher extends WebhookDeliveryQueue<WebhookDelivery> {
  constructor(opts: Omit<WebhookQueueOptions<WebhookDelivery>, 'logPrefix' | 'maxKept' | 'headers'> & { secret: string }) {
    super({
      ...opts,
      logPrefix: 'mux-emulator',
      maxKept: 1_000,
      headers: (d) => ({
        'content-type': 'application/json',
        'user-agent': 'Mux Webhooks (flix mux-emulator)',
        'mux-signature': signMuxWebhook(opts.secret, d.body),
      }),
    });
  }

  send(body: string): Promise<WebhookDelivery> {
    return this.track(body, { status: 'pending' });
  }
}
