/**
 * Webhook delivery: signatures the SDK's constructEvent accepts on every attempt, retries with
 * backoff on non-2xx, a bounded number of attempts, and the test controls billing's webhook
 * tests need: redelivery (duplicates), hold/release (reordering), raw events (old or crafted),
 * and deliberately bad signatures that constructEvent must reject.
 */
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { signStripePayload } from '../src/index.js';
import { type ReceivedWebhook } from '@flix/testkit';
import { fastRetry, harness, monthlyPrice, webhookSecret, type Harness } from './harness.js';

const sdk = new Stripe('sk_test_unused');
const verify = (w: ReceivedWebhook): Stripe.Event => sdk.webhooks.constructEvent(w.body, String(w.headers['stripe-signature'] ?? ''), webhookSecret);

const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});
async function setup(opts?: Parameters<typeof harness>[0]): Promise<Harness> {
  const h = await harness(opts);
  open.push(h);
  return h;
}

const event = (type: string, id: string, created = Math.floor(Date.now() / 1000)) => ({
  id,
  object: 'event',
  api_version: Stripe.API_VERSION,
  created,
  data: { object: { id: 'sub_crafted', object: 'subscription', status: 'active' } },
  livemode: false,
  pending_webhooks: 1,
  request: { id: null, idempotency_key: null },
  type,
});

describe('delivery', () => {
  it('retries a receiver that answers non-2xx, signing each attempt afresh, until it accepts', async () => {
    const h = await setup({ receiver: { respond: (w, attempt) => (w.type === 'customer.created' && attempt < 2 ? 500 : 200) } });
    await h.stripe.customers.create({ email: 'r@flix.test' });
    await h.emulator.whenDelivered();
    const d = h.emulator.deliveries().find((x) => x.type === 'customer.created')!;
    expect(d.status).toBe('delivered');
    expect(d.attempts.map((a) => a.statusCode)).toEqual([500, 500, 200]);
    const got = h.receiver.received.filter((w) => w.type === 'customer.created');
    expect(got).toHaveLength(3);
    for (const w of got) {
      expect(w.body).toBe(d.body);
      expect(verify(w).type).toBe('customer.created');
    }
    expect(got[0].headers['user-agent']).toMatch(/^Stripe\/1\.0/);
  });

  it('gives up after maxAttempts when the receiver never accepts', async () => {
    const h = await setup({ receiver: { respond: () => 503 } });
    const d = await h.emulator.deliver(event('invoice.paid', 'evt_doomed'));
    expect(d.status).toBe('failed');
    expect(d.attempts).toHaveLength(fastRetry.maxAttempts);
  });

  it('sends raw JSON pretty-printed as Stripe does, so receivers must verify the raw bytes', async () => {
    const h = await setup();
    await h.stripe.customers.create({ email: 'p@flix.test' });
    const [w] = await h.receiver.waitForCount((x) => x.type === 'customer.created', 1);
    expect(w.body).toContain('\n  "id": "evt_');
    const reserialised = JSON.stringify(JSON.parse(w.body));
    expect(() => sdk.webhooks.constructEvent(reserialised, String(w.headers['stripe-signature']), webhookSecret)).toThrow(Stripe.errors.StripeSignatureVerificationError);
  });
});

describe('controls', () => {
  it('redelivers a recorded event as an exact duplicate', async () => {
    const h = await setup();
    const first = await h.emulator.deliver(event('customer.subscription.updated', 'evt_dup'));
    const again = await h.emulator.redeliver(first.id);
    expect(again.id).not.toBe(first.id);
    expect(again.body).toBe(first.body);
    const dupes = await h.receiver.waitForCount((w) => w.eventId === 'evt_dup', 2);
    expect(dupes.map((w) => verify(w).id)).toEqual(['evt_dup', 'evt_dup']);
  });

  it('holds a batch and releases it reversed: subscription.created arrives after invoice.paid', async () => {
    const h = await setup();
    const price = await monthlyPrice(h.stripe, 'Basic', 899);
    const session = await h.stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: price.id, quantity: 1 }], success_url: 'https://flix.test/ok' });
    await h.emulator.whenDelivered();
    const before = h.receiver.received.length;
    h.emulator.holdDeliveries();
    await h.emulator.pay(session.id);
    await h.emulator.whenDelivered();
    expect(h.receiver.received.length).toBe(before);
    expect(h.emulator.deliveries().filter((d) => d.status === 'held').length).toBeGreaterThan(5);
    const released = await h.emulator.releaseDeliveries({ order: 'reverse' });
    expect(released.every((d) => d.status === 'delivered')).toBe(true);
    const order = h.receiver.received.slice(before).map((w) => verify(w).type);
    expect(order[0]).toBe('invoice_payment.paid');
    expect(order.at(-1)).toBe('customer.created');
    expect(order.indexOf('invoice.paid')).toBeLessThan(order.indexOf('customer.subscription.created'));
  });

  it('shuffles a held batch without losing or duplicating events', async () => {
    const h = await setup();
    h.emulator.holdDeliveries();
    for (let i = 0; i < 6; i++) void h.emulator.deliver(event('invoice.paid', `evt_s${i}`));
    const released = await h.emulator.releaseDeliveries({ order: 'shuffle' });
    expect(released.map((d) => d.eventId).sort()).toEqual(['evt_s0', 'evt_s1', 'evt_s2', 'evt_s3', 'evt_s4', 'evt_s5']);
  });

  it('delivers an old event verbatim (created long ago) with a current, valid signature', async () => {
    const h = await setup();
    const old = event('customer.subscription.updated', 'evt_old', Math.floor(Date.now() / 1000) - 90 * 86_400);
    await h.emulator.deliver(old);
    const w = await h.receiver.waitFor((x) => x.eventId === 'evt_old');
    expect(verify(w)).toMatchObject({ id: 'evt_old', created: old.created });
  });

  it('sends forged, stale and missing signatures that constructEvent rejects', async () => {
    const h = await setup();
    await h.emulator.deliver(event('invoice.paid', 'evt_forged'), { signature: 'forged' });
    await h.emulator.deliver(event('invoice.paid', 'evt_stale'), { signature: 'stale' });
    await h.emulator.deliver(event('invoice.paid', 'evt_nosig'), { signature: 'missing' });
    const body = JSON.stringify(event('invoice.paid', 'evt_custom'));
    await h.emulator.deliver(body, { signature: { header: signStripePayload('whsec_wrong', body) } });
    const byId = (id: string): ReceivedWebhook => h.receiver.received.find((w) => w.eventId === id)!;
    expect(() => verify(byId('evt_forged'))).toThrow(/No signatures found matching the expected signature/);
    expect(() => verify(byId('evt_stale'))).toThrow(/Timestamp outside the tolerance zone/);
    expect(byId('evt_nosig').headers['stripe-signature']).toBeUndefined();
    expect(() => verify(byId('evt_nosig'))).toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect(() => verify(byId('evt_custom'))).toThrow(Stripe.errors.StripeSignatureVerificationError);
  });

  it('signs exactly as the SDK does (signStripePayload = generateTestHeaderString)', () => {
    const payload = JSON.stringify(event('invoice.paid', 'evt_x'));
    const t = 1_700_000_000;
    expect(signStripePayload(webhookSecret, payload, t)).toBe(sdk.webhooks.generateTestHeaderString({ payload, secret: webhookSecret, timestamp: t }));
  });

  it('records events as no_endpoint without a URL and follows setWebhookUrl', async () => {
    const h = await setup();
    h.emulator.setWebhookUrl(undefined);
    expect((await h.emulator.deliver(event('invoice.paid', 'evt_nowhere'))).status).toBe('no_endpoint');
    h.emulator.setWebhookUrl(h.receiver.url);
    expect((await h.emulator.deliver(event('invoice.paid', 'evt_somewhere'))).status).toBe('delivered');
  });
});
