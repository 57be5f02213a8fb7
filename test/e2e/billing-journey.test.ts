/**
 * Billing end to end through the gateway, with the real Stripe SDK talking to the local Stripe
 * emulator (dev/stripe-emulator), which posts correctly signed webhooks to the gateway's
 * /webhooks/stripe. Skipped until the emulator package exists.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, call, startTestStack, type TestStack } from '../support/stack.js';

const EMULATOR = join(import.meta.dirname, '../../dev/stripe-emulator/src/index.ts');
const hasEmulator = existsSync(EMULATOR);
const WEBHOOK_SECRET = 'whsec_e2e_billing';
const API_KEY = 'sk_test_e2e_billing';

interface Emulator {
  url: string;
  close(): Promise<void>;
  now(): number;
  advanceClock(seconds: number): Promise<unknown> | unknown;
  pay(sessionId: string): Promise<unknown> | unknown;
  setWebhookUrl(url: string): void;
}

let stack: TestStack;
let stripe: Emulator;
let viewer: string;
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);
async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!hasEmulator)('billing through the gateway and the Stripe emulator', () => {
  beforeAll(async () => {
    const mod = (await import(/* @vite-ignore */ EMULATOR)) as { startStripeEmulator(o: Record<string, unknown>): Promise<Emulator> };
    stripe = await mod.startStripeEmulator({ port: 0, webhookSecret: WEBHOOK_SECRET, apiKey: API_KEY });
    // Billing's clock is the emulator's, so grace periods and rental windows move with advanceClock.
    const clock = { now: () => new Date(stripe.now()) };
    stack = await startTestStack({}, { billing: { STRIPE_API_BASE: stripe.url, STRIPE_SECRET_KEY: API_KEY, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET }, billingOverrides: { clock } });
    stripe.setWebhookUrl(`${stack.gatewayUrl}/webhooks/stripe`);
    const reg = await gw('POST', '/v1/auth/register', { body: { email: `payer-${Date.now()}@example.com`, password: 'a-long-and-uncommon-passphrase', displayName: 'Pay Er', preferredLanguage: 'en' } });
    viewer = reg.body.accessToken;
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    await stripe?.close();
  });

  it('lists plans without a token, subscribes through Checkout, and the entitlement follows', async () => {
    const plans = await gw('GET', '/v1/plans');
    expect(plans.status, JSON.stringify(plans.body)).toBe(200);
    expect(plans.body.plans.map((p: { id: string }) => p.id)).toContain('standard-monthly');
    const bad = await gw('POST', '/v1/checkout/sessions', { token: viewer, body: { planId: '', successUrl: 'https://app.test/ok', cancelUrl: 'https://app.test/no' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('planId');
    const s1 = await gw('POST', '/v1/checkout/sessions', { token: viewer, body: { planId: 'standard-monthly', successUrl: 'https://app.test/ok', cancelUrl: 'https://app.test/no' } });
    expect(s1.status, JSON.stringify(s1.body)).toBe(200);
    const s2 = await gw('POST', '/v1/checkout/sessions', { token: viewer, body: { planId: 'standard-monthly', successUrl: 'https://app.test/ok', cancelUrl: 'https://app.test/no' } });
    expect(s2.body.sessionId).toBe(s1.body.sessionId);
    await stripe.pay(s1.body.sessionId);
    const sub = await until(() => gw('GET', '/v1/subscription', { token: viewer }), (r) => r.body?.status === 'SUBSCRIPTION_STATUS_ACTIVE', 'active subscription');
    expect(sub.body).toMatchObject({ planId: 'standard-monthly', tier: 'PLAN_TIER_STANDARD', maxConcurrentStreams: 2 });
    const again = await gw('POST', '/v1/checkout/sessions', { token: viewer, body: { planId: 'basic-monthly', successUrl: 'https://app.test/ok', cancelUrl: 'https://app.test/no' } });
    expect(again.status).toBe(400);
    expect(again.body.message).toContain('changePlan');
    const payments = await until(() => gw('GET', '/v1/payments', { token: viewer }), (r) => r.body?.payments?.length === 1, 'receipt');
    expect(payments.body.payments[0]).toMatchObject({ status: 'PAYMENT_STATUS_SUCCEEDED', amount: { amountMinor: '1549', currency: 'USD' } });

    const canceled = await gw('POST', '/v1/subscription:cancel', { token: viewer, body: {} });
    expect(canceled.body).toMatchObject({ status: 'SUBSCRIPTION_STATUS_CANCELED', cancelAtPeriodEnd: true });
    const resumed = await gw('POST', '/v1/subscription:resume', { token: viewer, body: {} });
    expect(resumed.body.status).toBe('SUBSCRIPTION_STATUS_ACTIVE');
    const changed = await gw('POST', '/v1/subscription:changePlan', { token: viewer, body: { planId: 'premium-monthly' } });
    expect(changed.body).toMatchObject({ planId: 'premium-monthly', tier: 'PLAN_TIER_PREMIUM' });
  });

  it('refuses forged webhooks at the gateway', async () => {
    const forged = await fetch(`${stack.gatewayUrl}/webhooks/stripe`, { method: 'POST', headers: { 'stripe-signature': 't=1,v1=deadbeef' }, body: JSON.stringify({ id: 'evt_forged', type: 'invoice.paid', created: 1, data: { object: {} } }) });
    expect(forged.status).toBe(400);
  });

  it('rents a title for its catalog price', async () => {
    const admin = (await gw('POST', '/v1/auth/login', { body: ADMIN })).body.accessToken as string;
    const page = await gw('GET', '/v1/movies?pageSize=100', { token: admin });
    const rentable = page.body.movies.find((m: { rentalPrice?: { amountMinor: string } }) => m.rentalPrice && Number(m.rentalPrice.amountMinor) > 0);
    expect(rentable).toBeTruthy();
    const r = await gw('POST', '/v1/rentals', { token: viewer, body: { movieId: rentable.id } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.rental).toMatchObject({ status: 'RENTAL_STATUS_PENDING', price: { amountMinor: rentable.rentalPrice.amountMinor } });
    await stripe.pay(r.body.sessionId);
    await until(() => gw('GET', '/v1/rentals', { token: viewer }), (x) => x.body?.rentals?.[0]?.status === 'RENTAL_STATUS_ACTIVE', 'active rental');
    const back = await gw('POST', `/v1/rentals/${r.body.rental.id}:return`, { token: viewer, body: {} });
    expect(back.body.status).toBe('RENTAL_STATUS_RETURNED');
  });
});
