/**
 * Billing end to end through the gateway, with the real Stripe SDK talking to the local Stripe
 * emulator (dev/stripe-emulator), which posts correctly signed webhooks to the gateway's
 * /webhooks/stripe. Skipped until the emulator package exists.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type PromiseClient } from '@flix/grpc';
import { BillingServiceService } from '@flix/proto/flix/billing/v1/billing_service';
import { EntitlementReason, PlanTier } from '@flix/proto/flix/billing/v1/resources';
import { ADMIN, call, startTestStack, type TestStack } from '../support/stack.js';
import { eventually as until } from '@flix/testkit';

const EMULATOR = join(import.meta.dirname, '../../dev/stripe-emulator/src/index.ts');
const hasEmulator = existsSync(EMULATOR);
const WEBHOOK_SECRET = 'whsec_e2e_billing';
const API_KEY = 'sk_test_e2e_billing';

const DAY = 86_400;

interface Delivery {
  id: string;
  eventId: string | null;
  type: string | null;
  body: string;
  status: string;
  attempts: { statusCode: number | null }[];
}
interface Emulator {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
  now(): number;
  advanceClock(seconds: number): Promise<unknown> | unknown;
  pay(sessionId: string): Promise<unknown> | unknown;
  setWebhookUrl(url: string): void;
  failNextPayments(customerOrSubscriptionId: string, count?: number): void;
  recoverPayments(customerOrSubscriptionId: string, opts?: { retryNow?: boolean }): Promise<unknown>;
  deliveries(): Delivery[];
  redeliver(id: string): Promise<Delivery>;
  deliver(event: string | object, opts?: { signature?: 'valid' | 'forged' | 'stale' | 'missing' }): Promise<Delivery>;
  holdDeliveries(): void;
  releaseDeliveries(opts?: { order?: 'asis' | 'reverse' | 'shuffle' }): Promise<Delivery[]>;
  whenDelivered(): Promise<void>;
}

let stack: TestStack;
let stripe: Emulator;
let viewer: string;
let sdk: Stripe;
let grpc: PromiseClient<typeof BillingServiceService>;
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);

describe.skipIf(!hasEmulator)('billing through the gateway and the Stripe emulator', () => {
  beforeAll(async () => {
    const mod = (await import(/* @vite-ignore */ EMULATOR)) as { startStripeEmulator(o: Record<string, unknown>): Promise<Emulator> };
    stripe = await mod.startStripeEmulator({ port: 0, webhookSecret: WEBHOOK_SECRET, apiKey: API_KEY, webhookRetry: { maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 200 } });
    sdk = new Stripe(API_KEY, { host: stripe.host, port: stripe.port, protocol: 'http' });
    // Billing's clock is the emulator's, so grace periods and rental windows move with advanceClock.
    // stripe.now() is unix seconds.
    const clock = { now: () => new Date(stripe.now() * 1000) };
    stack = await startTestStack({}, { billing: { STRIPE_API_BASE: stripe.url, STRIPE_SECRET_KEY: API_KEY, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET }, billingOverrides: { clock } });
    stripe.setWebhookUrl(`${stack.gatewayUrl}/webhooks/stripe`);
    const reg = await gw('POST', '/v1/auth/register', { body: { email: `payer-${Date.now()}@example.com`, password: 'a-long-and-uncommon-passphrase', displayName: 'Pay Er', preferredLanguage: 'en' } });
    viewer = reg.body.accessToken;
    grpc = createClient(BillingServiceService, stack.billing.grpcAddress);
  }, 90_000);

  afterAll(async () => {
    grpc?.close();
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

// ---------------------------------------------------------------- the subscription lifecycle
// Each case is a fresh viewer. The emulator's clock is billing's clock (billingOverrides.clock),
// so advancing it moves renewals, grace periods and period ends for both.

async function newViewer(): Promise<string> {
  const reg = await gw('POST', '/v1/auth/register', { body: { email: `life-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`, password: 'a-long-and-uncommon-passphrase', displayName: 'Life Cycle', preferredLanguage: 'en' } });
  expect(reg.status, JSON.stringify(reg.body)).toBe(200);
  return reg.body.accessToken as string;
}
const subscription = (token: string) => gw('GET', '/v1/subscription', { token });
const payments = async (token: string) => ((await gw('GET', '/v1/payments', { token })).body?.payments ?? []) as { id: string; status: string; amount: { amountMinor: string }; refunded?: { amountMinor: string } }[];
const entitled = (token: string, tier: PlanTier = PlanTier.PLAN_TIER_BASIC) =>
  grpc.checkEntitlement({ userId: '', movieId: '', requiredTier: tier, startingPlayback: false }, { metadata: { authorization: `Bearer ${token}` } });
const periodEnd = (sub: { currentPeriodEnd: string }) => Math.floor(Date.parse(sub.currentPeriodEnd) / 1000);
/** Moves both clocks to `seconds` after the subscription's period end and waits for the webhooks to land. */
async function pastPeriodEnd(sub: { currentPeriodEnd: string }, seconds = 3600) {
  await stripe.advanceClock(periodEnd(sub) - stripe.now() + seconds);
  await stripe.whenDelivered();
}
async function checkout(token: string, planId: string): Promise<string> {
  const s = await gw('POST', '/v1/checkout/sessions', { token, body: { planId, successUrl: 'https://app.test/ok', cancelUrl: 'https://app.test/no' } });
  expect(s.status, JSON.stringify(s.body)).toBe(200);
  return s.body.sessionId as string;
}
/** Subscribes through Checkout and waits until the viewer sees the subscription active with its first receipt. */
async function subscribed(token: string, planId = 'standard-monthly') {
  await stripe.pay(await checkout(token, planId));
  await stripe.whenDelivered();
  const sub = await until(() => subscription(token), (r) => r.body?.status === 'SUBSCRIPTION_STATUS_ACTIVE', 'active subscription');
  await until(() => payments(token), (p) => p.length === 1 && p[0]!.status === 'PAYMENT_STATUS_SUCCEEDED', 'first receipt');
  return sub.body as { id: string; planId: string; currentPeriodStart: string; currentPeriodEnd: string; status: string };
}
const invoiceDeliveries = (subId: string, type: string) => stripe.deliveries().filter((d) => d.type === type && d.body.includes(subId));

describe('the subscription lifecycle', () => {
  it('renews: still active, a new period, a second payment', async () => {
    const token = await newViewer();
    const first = await subscribed(token);
    await pastPeriodEnd(first);
    const sub = await until(() => subscription(token), (r) => Date.parse(r.body?.currentPeriodStart) >= Date.parse(first.currentPeriodEnd), 'renewed period');
    expect(sub.body).toMatchObject({ status: 'SUBSCRIPTION_STATUS_ACTIVE', planId: 'standard-monthly' });
    expect(Date.parse(sub.body.currentPeriodEnd)).toBeGreaterThan(Date.parse(first.currentPeriodEnd));
    const paid = await until(() => payments(token), (p) => p.length === 2, 'renewal receipt');
    expect(paid.every((p) => p.status === 'PAYMENT_STATUS_SUCCEEDED' && p.amount.amountMinor === '1549')).toBe(true);
    expect(await entitled(token, PlanTier.PLAN_TIER_STANDARD)).toMatchObject({ allowed: true, reason: EntitlementReason.ENTITLEMENT_REASON_SUBSCRIPTION });
  });

  it('a failed renewal is past due but still entitled within grace, then active once the retry pays', async () => {
    const token = await newViewer();
    const first = await subscribed(token);
    stripe.failNextPayments(first.id, 1);
    await pastPeriodEnd(first);
    const pastDue = await until(() => subscription(token), (r) => r.body?.status === 'SUBSCRIPTION_STATUS_PAST_DUE', 'past due');
    expect(pastDue.body.graceUntil).toBeTruthy();
    expect(await entitled(token)).toMatchObject({ allowed: true, reason: EntitlementReason.ENTITLEMENT_REASON_GRACE_PERIOD });
    await until(() => payments(token), (p) => p.some((x) => x.status === 'PAYMENT_STATUS_FAILED'), 'failed renewal shown');

    await stripe.recoverPayments(first.id, { retryNow: true });
    await stripe.whenDelivered();
    await until(() => subscription(token), (r) => r.body?.status === 'SUBSCRIPTION_STATUS_ACTIVE', 'active again');
    const paid = await until(() => payments(token), (p) => p.length === 2 && p.every((x) => x.status === 'PAYMENT_STATUS_SUCCEEDED'), 'renewal paid on retry');
    expect(paid).toHaveLength(2);
    expect(await entitled(token)).toMatchObject({ allowed: true, reason: EntitlementReason.ENTITLEMENT_REASON_SUBSCRIPTION });
  });

  it('lapses past grace: not entitled, and expired once dunning gives up', async () => {
    const token = await newViewer();
    const first = await subscribed(token);
    stripe.failNextPayments(first.id, 10);
    await pastPeriodEnd(first);
    await until(() => subscription(token), (r) => r.body?.status === 'SUBSCRIPTION_STATUS_PAST_DUE', 'past due');
    // Grace is 7 days; the retries fail at +3 and +8 days and dunning cancels at +15.
    await pastPeriodEnd(first, 7 * DAY + 12 * 3600);
    expect((await subscription(token)).body.status).toBe('SUBSCRIPTION_STATUS_PAST_DUE');
    expect(await entitled(token)).toMatchObject({ allowed: false, reason: EntitlementReason.ENTITLEMENT_REASON_PAST_GRACE });
    await pastPeriodEnd(first, 16 * DAY);
    await until(() => subscription(token), (r) => r.body?.status === 'SUBSCRIPTION_STATUS_EXPIRED' || r.body?.status === 'SUBSCRIPTION_STATUS_CANCELED', 'canceled by dunning');
    const e = await until(() => entitled(token), (d) => d.reason !== EntitlementReason.ENTITLEMENT_REASON_PAST_GRACE, 'expired entitlement');
    expect(e.allowed).toBe(false);
    expect([EntitlementReason.ENTITLEMENT_REASON_SUBSCRIPTION_EXPIRED, EntitlementReason.ENTITLEMENT_REASON_NO_SUBSCRIPTION]).toContain(e.reason);
    expect((await payments(token)).filter((p) => p.status === 'PAYMENT_STATUS_SUCCEEDED')).toHaveLength(1);
  });

  it('cancel at period end: entitled until the period ends, then not, and no renewal charge', async () => {
    const token = await newViewer();
    const first = await subscribed(token);
    const canceled = await gw('POST', '/v1/subscription:cancel', { token, body: {} });
    expect(canceled.body).toMatchObject({ status: 'SUBSCRIPTION_STATUS_CANCELED', cancelAtPeriodEnd: true });
    await stripe.whenDelivered();
    await stripe.advanceClock(periodEnd(first) - stripe.now() - 3600);
    await stripe.whenDelivered();
    expect(await entitled(token)).toMatchObject({ allowed: true, reason: EntitlementReason.ENTITLEMENT_REASON_CANCELED_UNTIL_PERIOD_END });
    await pastPeriodEnd(first);
    await until(() => subscription(token), (r) => r.body?.status === 'SUBSCRIPTION_STATUS_EXPIRED', 'ended at period end');
    expect(await entitled(token)).toMatchObject({ allowed: false, reason: EntitlementReason.ENTITLEMENT_REASON_SUBSCRIPTION_EXPIRED });
    expect(await payments(token)).toHaveLength(1);
  });

  it('change plan: the tier and the stream limit follow, and renewals bill the new plan', async () => {
    const token = await newViewer();
    const first = await subscribed(token, 'basic-monthly');
    expect(await entitled(token, PlanTier.PLAN_TIER_PREMIUM)).toMatchObject({ allowed: false, reason: EntitlementReason.ENTITLEMENT_REASON_TIER_TOO_LOW });
    const changed = await gw('POST', '/v1/subscription:changePlan', { token, body: { planId: 'premium-monthly' } });
    expect(changed.body).toMatchObject({ planId: 'premium-monthly', tier: 'PLAN_TIER_PREMIUM', maxConcurrentStreams: 4 });
    await stripe.whenDelivered();
    expect(await entitled(token, PlanTier.PLAN_TIER_PREMIUM)).toMatchObject({ allowed: true, reason: EntitlementReason.ENTITLEMENT_REASON_SUBSCRIPTION, maxConcurrentStreams: 4 });
    await pastPeriodEnd(first);
    const renewed = await until(() => subscription(token), (r) => Date.parse(r.body?.currentPeriodStart) >= Date.parse(first.currentPeriodEnd), 'renewed on the new plan');
    expect(renewed.body).toMatchObject({ status: 'SUBSCRIPTION_STATUS_ACTIVE', planId: 'premium-monthly', tier: 'PLAN_TIER_PREMIUM', maxConcurrentStreams: 4 });
    expect(await entitled(token, PlanTier.PLAN_TIER_PREMIUM)).toMatchObject({ allowed: true, maxConcurrentStreams: 4 });
  });

  it('refund: the payment shows refunded (matched by its payment intent, not charge.invoice)', async () => {
    const token = await newViewer();
    const sub = await subscribed(token);
    const [invoice] = (await sdk.invoices.list({ subscription: sub.id, limit: 1 })).data;
    const expanded = await sdk.invoices.retrieve(invoice!.id!, { expand: ['payments'] });
    const pi = expanded.payments?.data[0]?.payment.payment_intent;
    expect(pi).toBeTruthy();
    await sdk.refunds.create({ payment_intent: typeof pi === 'string' ? pi : pi!.id });
    await stripe.whenDelivered();
    const [p] = await until(() => payments(token), (x) => x[0]?.status === 'PAYMENT_STATUS_REFUNDED', 'refunded payment');
    expect(p).toMatchObject({ id: invoice!.id, refunded: { amountMinor: '1549' } });
  });

  it('a redelivered event changes nothing: no double payment', async () => {
    const token = await newViewer();
    const sub = await subscribed(token);
    const dups = ['invoice.paid', 'invoice.payment_succeeded', 'invoice_payment.paid', 'customer.subscription.created'].flatMap((t) => invoiceDeliveries(sub.id, t));
    expect(dups.length).toBeGreaterThanOrEqual(3);
    for (const d of dups) expect((await stripe.redeliver(d.id)).attempts.at(-1)?.statusCode).toBe(200);
    await stripe.whenDelivered();
    const paid = await payments(token);
    expect(paid).toHaveLength(1);
    expect(paid[0]).toMatchObject({ status: 'PAYMENT_STATUS_SUCCEEDED', amount: { amountMinor: '1549' } });
    expect((await subscription(token)).body).toMatchObject({ status: 'SUBSCRIPTION_STATUS_ACTIVE', currentPeriodEnd: sub.currentPeriodEnd });
  });

  it('events delivered in reverse order still end in the right state', async () => {
    const token = await newViewer();
    const session = await checkout(token, 'standard-monthly');
    stripe.holdDeliveries();
    await stripe.pay(session);
    const held = await stripe.releaseDeliveries({ order: 'reverse' });
    expect(held.length).toBeGreaterThan(3);
    await stripe.whenDelivered();
    const first = (await until(() => subscription(token), (r) => r.body?.status === 'SUBSCRIPTION_STATUS_ACTIVE', 'active after reversed delivery')).body;
    await until(() => payments(token), (p) => p.length === 1 && p[0]!.status === 'PAYMENT_STATUS_SUCCEEDED', 'one receipt');
    expect(await entitled(token)).toMatchObject({ allowed: true, reason: EntitlementReason.ENTITLEMENT_REASON_SUBSCRIPTION });

    // A renewal delivered backwards: the period still moves forward and the receipt is counted once.
    stripe.holdDeliveries();
    await stripe.advanceClock(periodEnd(first) - stripe.now() + 3600);
    await stripe.releaseDeliveries({ order: 'reverse' });
    await stripe.whenDelivered();
    await until(() => subscription(token), (r) => r.body?.status === 'SUBSCRIPTION_STATUS_ACTIVE' && Date.parse(r.body.currentPeriodStart) >= Date.parse(first.currentPeriodEnd), 'renewed after reversed delivery');
    const paid = await until(() => payments(token), (p) => p.length === 2, 'renewal receipt');
    expect(paid.every((p) => p.status === 'PAYMENT_STATUS_SUCCEEDED')).toBe(true);
  });

  it('a forged, stale or unsigned webhook is refused with 400 and stores nothing', async () => {
    const token = await newViewer();
    const sub = await subscribed(token);
    const real = JSON.parse(invoiceDeliveries(sub.id, 'invoice.paid')[0]!.body) as { id: string; data: { object: Record<string, unknown> } };
    // A paid invoice we never issued: if any of these were stored, the viewer would see a second payment.
    const fake = { ...real, id: `${real.id}_forged`, data: { object: { ...real.data.object, id: 'in_forged_e2e', amount_paid: 99_999 } } };
    for (const signature of ['forged', 'stale', 'missing'] as const) {
      const d = await stripe.deliver(fake, { signature });
      expect(d.attempts.map((a) => a.statusCode), signature).toContain(400);
      expect(d.attempts.every((a) => a.statusCode === 400), signature).toBe(true);
    }
    await stripe.whenDelivered();
    expect(await payments(token)).toHaveLength(1);
    const { MongoClient } = await import('mongodb');
    const mongo = await MongoClient.connect(stack.mongo.url);
    try {
      expect(await mongo.db(stack.billing.db).collection('stripe_events').countDocuments({ _id: fake.id as never })).toBe(0);
    } finally {
      await mongo.close();
    }
  });
});
});
