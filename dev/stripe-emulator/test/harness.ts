/**
 * Shared setup for the tests: a recording webhook receiver, an emulator pointed at it, the real
 * SDK pointed at the emulator, and helpers that return webhooks already verified by the SDK's own
 * `constructEvent`. Nothing here sleeps: tests wait on `whenDelivered()` or the receiver.
 */
import Stripe from 'stripe';
import { startStripeEmulator, type StripeEmulator, type StripeEmulatorOptions } from '../src/index.js';
import { startWebhookReceiver, type WebhookReceiver, type WebhookReceiverOptions } from '@flix/testkit';

export const webhookSecret = 'whsec_test_harness_secret';
export const apiKey = 'sk_test_harness_0123456789';
/** Fast backoff so retries take milliseconds; the policy under test is the same. */
export const fastRetry = { initialDelayMs: 5, maxDelayMs: 20, maxAttempts: 4 };
export const DAY = 86_400;

export interface Harness {
  emulator: StripeEmulator;
  receiver: WebhookReceiver;
  stripe: Stripe;
  /** Every webhook accepted so far, verified and parsed by the SDK, once nothing is in flight. */
  events(): Promise<Stripe.Event[]>;
  /** The verified events about one object (by data.object.id), in arrival order. */
  eventsFor(objectId: string): Promise<Stripe.Event[]>;
  close(): Promise<void>;
}

export async function harness(opts: { emulator?: Partial<StripeEmulatorOptions>; receiver?: WebhookReceiverOptions } = {}): Promise<Harness> {
  const receiver = await startWebhookReceiver(opts.receiver);
  const emulator = await startStripeEmulator({ webhookSecret, webhookUrl: receiver.url, apiKey, webhookRetry: fastRetry, ...opts.emulator });
  const stripe = new Stripe(apiKey, { host: '127.0.0.1', port: emulator.port, protocol: 'http', maxNetworkRetries: 0 });
  const events = async (): Promise<Stripe.Event[]> => {
    await emulator.whenDelivered();
    return receiver.received.filter((w) => w.status < 300).map((w) => stripe.webhooks.constructEvent(w.body, String(w.headers['stripe-signature']), webhookSecret));
  };
  return {
    emulator,
    receiver,
    stripe,
    events,
    eventsFor: async (id) => (await events()).filter((e) => (e.data.object as { id?: string }).id === id),
    close: async () => {
      await emulator.close();
      await receiver.close();
    },
  };
}

export async function monthlyPrice(stripe: Stripe, name: string, unitAmount: number, lookupKey?: string, interval: 'month' | 'year' = 'month'): Promise<Stripe.Price> {
  return stripe.prices.create({ currency: 'usd', unit_amount: unitAmount, recurring: { interval }, product_data: { name }, ...(lookupKey ? { lookup_key: lookupKey } : {}), metadata: { plan: name.toLowerCase() } });
}

/** Submits the hosted checkout page's Pay form, as a browser would (no redirect following). */
export async function payOnPage(url: string): Promise<Response> {
  return fetch(`${url}/pay`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '', redirect: 'manual' });
}

export async function declineOnPage(url: string): Promise<Response> {
  return fetch(`${url}/decline`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '', redirect: 'manual' });
}

/** A customer subscribed through Checkout and the hosted page; returns the ids involved. */
export async function subscribe(
  h: Harness,
  price: Stripe.Price,
  extra: Partial<Stripe.Checkout.SessionCreateParams> = {},
): Promise<{ customer: Stripe.Customer; session: Stripe.Checkout.Session; subscription: Stripe.Subscription }> {
  const customer = await h.stripe.customers.create({ email: `viewer-${Math.random().toString(36).slice(2)}@flix.test`, metadata: { userId: 'u-1' } });
  const session = await h.stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    client_reference_id: 'u-1',
    line_items: [{ price: price.id, quantity: 1 }],
    success_url: 'https://flix.test/billing/success?session={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://flix.test/billing/cancel',
    ...extra,
  });
  const res = await payOnPage(session.url!);
  if (res.status !== 303) throw new Error(`pay answered ${res.status}`);
  const done = await h.stripe.checkout.sessions.retrieve(session.id);
  const subscription = await h.stripe.subscriptions.retrieve(done.subscription as string);
  return { customer, session: done, subscription };
}
