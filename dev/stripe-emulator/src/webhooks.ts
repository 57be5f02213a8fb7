/**
 * Webhook signing and delivery as Stripe does it: each attempt POSTs the raw event JSON with
 * `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, signed afresh
 * per attempt with the wall clock (the emulator clock may be months ahead, and receivers check
 * the timestamp against their own clock). Queueing, retries with exponential backoff for up to 3
 * days (as Stripe) and ordering come from @flix/webhook-delivery.
 *
 * Test controls: hold() parks new deliveries and release() sends the parked batch in a chosen
 * order; a delivery can carry a deliberately bad signature (forged, stale, missing).
 */
import {
  DEFAULT_RETRY,
  signTimestamped,
  STRIPE_GIVE_UP_AFTER_MS,
  WebhookDeliveryQueue,
  type WebhookDelivery as BaseDelivery,
  type WebhookQueueOptions,
  type WebhookRetryPolicy,
} from '@flix/webhook-delivery';

export { retryPolicy, type WebhookAttempt, type WebhookRetryPolicy } from '@flix/webhook-delivery';

/** Stripe's schedule: retried with exponential backoff for up to 3 days (the backoff capped at 60 s here, see DEFAULT_RETRY). */
export const STRIPE_RETRY: WebhookRetryPolicy = { ...DEFAULT_RETRY, giveUpAfterMs: STRIPE_GIVE_UP_AFTER_MS };

/** Finished deliveries kept in history (see the constructor). */
export const MAX_KEPT_DELIVERIES = 500;

/** How a delivery is signed: correctly, or wrongly on purpose for negative tests. */
export type SignatureMode = 'valid' | 'forged' | 'stale' | 'missing' | { header: string };

/** `held` waits for releaseDeliveries(). */
export interface WebhookDelivery extends BaseDelivery<'held'> {
  signature: SignatureMode;
}

export type ReleaseOrder = 'asis' | 'reverse' | 'shuffle';

/** The `Stripe-Signature` header value for `payload` signed at `t` (unix seconds), as Stripe builds it. */
export function signStripePayload(secret: string, payload: string, t = Math.floor(Date.now() / 1000)): string {
  return signTimestamped(secret, payload, t);
}

/** Older than the SDK's default 300 s tolerance. */
const STALE_SECONDS = 3_600;

function signatureHeader(secret: string, body: string, mode: SignatureMode): string | null {
  if (mode === 'missing') return null;
  if (mode === 'forged') return signStripePayload(`${secret}-forged`, body);
  if (mode === 'stale') return signStripePayload(secret, body, Math.floor(Date.now() / 1000) - STALE_SECONDS);
  if (mode === 'valid') return signStripePayload(secret, body);
  return mode.header;
}

export class WebhookDispatcher extends WebhookDeliveryQueue<WebhookDelivery> {
  private holding = false;

  constructor(opts: Omit<WebhookQueueOptions<WebhookDelivery>, 'logPrefix' | 'maxKept' | 'headers'> & { secret: string }) {
    super({
      ...opts,
      logPrefix: 'stripe-emulator',
      // Each delivery holds its pretty-printed body (~3.3 KB for a checkout's events): 500
      // finished ones (the last ~50 checkouts) cost ~2 MB of heap and state file, where 2,000
      // cost ~8 MB (finding FS5). Pending ones are never dropped, however many.
      maxKept: MAX_KEPT_DELIVERIES,
      headers: (d) => {
        const headers: Record<string, string> = {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'cache-control': 'no-cache',
          accept: '*/*; q=0.5, application/xml',
        };
        const sig = signatureHeader(opts.secret, d.body, d.signature);
        if (sig !== null) headers['stripe-signature'] = sig;
        return headers;
      },
    });
  }

  /** Deliveries restored from a previous run; pending ones are attempted again, held ones stay held. */
  override restore(saved: WebhookDelivery[], holding = false): void {
    this.holding = holding;
    super.restore(saved);
  }

  isHolding(): boolean {
    return this.holding;
  }

  /** Queues `body` for delivery; the promise settles when it is delivered or given up on (held: once released and settled). */
  send(body: string, signature: SignatureMode = 'valid'): Promise<WebhookDelivery> {
    return this.track(body, { signature, status: this.holding ? 'held' : 'pending' });
  }

  hold(): void {
    this.holding = true;
    this.opts.changed();
  }

  /** Stops holding and sends the held batch in `order`; settles when every released delivery has. */
  release(order: ReleaseOrder = 'asis'): Promise<WebhookDelivery[]> {
    this.holding = false;
    const held = this.list.filter((d) => d.status === 'held');
    if (order === 'reverse') held.reverse();
    if (order === 'shuffle') {
      for (let i = held.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [held[i], held[j]] = [held[j], held[i]];
      }
    }
    const settled = held.map((d) => this.start(d));
    this.opts.changed();
    return Promise.all(settled);
  }
}
