/**
 * Billing's part of account deletion (issue 14) over the real MongoDB wire protocol and
 * nats-server, with the Stripe double: identity.user.deleted erases, anonymises what accounting
 * keeps, refuses the account's tokens, keeps owing the Stripe deletion while Stripe is down, and
 * drops Stripe's later events about the customer.
 */
import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityEvents } from '@flix/contracts';
import { DomainError } from '@flix/errors';
import { connectNats, publishEvent, type NatsClients } from '@flix/events';
import { createClient, type PromiseClient } from '@flix/grpc';
import { BillingServiceService } from '@flix/proto/flix/billing/v1/billing_service';
import { PersonalDataServiceService } from '@flix/proto/flix/privacy/v1/personal_data';
import { freePort, startMongo, startNats, type MongoHandle, type NatsHandle } from '@flix/testkit';
import { startBilling, type BillingHandle } from '../src/main.js';
import { eventually, startTestKeys } from './helpers.js';
import { FakeStripe } from './fake-stripe.js';

let mongo: MongoHandle;
let natsServer: NatsHandle;
let nats: NatsClients;
let keys: Awaited<ReturnType<typeof startTestKeys>>;
let svc: BillingHandle;
let client: PromiseClient<typeof BillingServiceService>;
let personal: PromiseClient<typeof PersonalDataServiceService>;
let dbClient: MongoClient;
let db: Db;
let webhookUrl = '';
const stripe = new FakeStripe();
const as = async (sub: string) => ({ metadata: { authorization: `Bearer ${await keys.token(sub, ['viewer'])}` } });

async function deliver(e: { id: string; raw: string; header: string }): Promise<void> {
  const r = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': e.header }, body: e.raw });
  expect(r.status).toBe(200);
}

beforeAll(async () => {
  [mongo, natsServer, keys] = await Promise.all([startMongo(), startNats(), startTestKeys()]);
  const [grpcPort, httpPort] = await Promise.all([freePort(), freePort()]);
  svc = await startBilling(
    {
      MONGO_URL: mongo.url,
      MONGO_DB: `billing_${randomBytes(4).toString('hex')}`,
      NATS_URL: natsServer.url,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
      HTTP_PORT: String(httpPort),
      LOG_LEVEL: 'silent',
      FLIX_JWKS_URL: keys.jwksUrl,
      STRIPE_API_BASE: 'http://127.0.0.1:1',
    },
    { clock: { now: () => new Date(stripe.nowMs) }, stripe: { provider: stripe.provider, isSignatureError: stripe.isSignatureError }, movies: { get: async () => null } },
  );
  webhookUrl = `http://127.0.0.1:${svc.httpPort}/webhooks/stripe`;
  client = createClient(BillingServiceService, `127.0.0.1:${svc.grpcPort}`);
  personal = createClient(PersonalDataServiceService, `127.0.0.1:${svc.grpcPort}`);
  nats = await connectNats(natsServer.url, 'billing-privacy-test');
  dbClient = new MongoClient(mongo.url);
  db = dbClient.db(svc.store.plansColl.dbName);
}, 60_000);

afterAll(async () => {
  client?.close();
  personal?.close();
  await nats?.drain();
  await svc?.stop();
  await dbClient?.close();
  await Promise.all([mongo?.stop(), natsServer?.stop(), keys?.close()]);
});

describe('a deleted account in billing', () => {
  it('is exported, then erased with payments kept anonymous, even while Stripe is down', async () => {
    const userId = `u-${randomBytes(4).toString('hex')}`;
    const email = `${userId}@example.com`;
    await publishEvent(nats.js, identityEvents.userRegistered, { userId, email });
    const customer = await eventually(() => db.collection('customers').findOne({ _id: userId as never }), (c) => c !== null, 'customer');
    const customerId = customer!.stripeCustomerId as string;
    const session = await client.createCheckoutSession({ planId: 'standard-monthly', successUrl: 'https://app.test/ok', cancelUrl: 'https://app.test/no' }, await as(userId));
    for (const e of stripe.pay(session.sessionId)) await deliver(e);
    const viewer = await as(userId);
    await eventually(() => client.listPayments({ pageSize: 10, pageToken: '' }, viewer).then((r) => r.payments.length), (n) => n === 1, 'receipt');
    const subscription = await client.getSubscription({}, await as(userId));

    const exported = await personal.exportPersonalData({ userId: '', profileIds: [] }, await as(userId));
    expect(exported.service).toBe('billing');
    expect(exported.data).toMatchObject({ customer: { stripeCustomerId: customerId, email }, subscriptions: [{ id: subscription.id, planId: 'standard-monthly' }] });
    await expect(personal.exportPersonalData({ userId: 'someone-else', profileIds: [] }, await as(userId))).rejects.toMatchObject({ kind: 'permission_denied' });

    // Stripe is unreachable when the deletion arrives.
    const deleteCustomer = stripe.provider.deleteCustomer;
    stripe.provider.deleteCustomer = async () => {
      throw new DomainError('unavailable', 'STRIPE_UNAVAILABLE', 'delete customer: Stripe is not reachable right now');
    };
    try {
      await publishEvent(nats.js, identityEvents.userDeleted, { userId, email, displayName: 'Gone' });
      await eventually(() => db.collection('customers').countDocuments({ _id: userId as never }), (n) => n === 0, 'customer record erased');
      for (const name of ['subscriptions', 'checkouts', 'offers', 'payments', 'rentals']) expect(await db.collection(name).countDocuments({ userId }), name).toBe(0);
      expect(await db.collection('entitlements').countDocuments({ _id: userId as never })).toBe(0);
      const kept = await db.collection('payments').find({ userId: /^erased:/ }).toArray();
      expect(kept).toHaveLength(1);
      expect(JSON.stringify(kept)).not.toContain(userId);
      expect(await db.collection('stripe_events').countDocuments({ raw: { $regex: customerId } })).toBe(0);
      // The deletion at Stripe is owed, and the account's tokens are refused.
      expect(await db.collection('stripe_customer_deletions').countDocuments({ _id: customerId as never })).toBe(1);
      expect(stripe.customers.has(customerId)).toBe(true);
      await expect(client.getSubscription({}, await as(userId))).rejects.toMatchObject({ kind: 'unauthenticated', reason: 'ACCOUNT_DELETED' });
    } finally {
      stripe.provider.deleteCustomer = deleteCustomer;
    }

    // Stripe is back: the retry deletes the customer and forgets its id.
    expect(await svc.retryStripeDeletions()).toBe(0);
    expect(stripe.customers.has(customerId)).toBe(false);
    expect(await db.collection('stripe_customer_deletions').countDocuments({})).toBe(0);

    // Stripe's own notice of the cancellation arrives afterwards: dropped, never applied or kept.
    const late = stripe.event('customer.subscription.deleted', { ...stripe.sub(subscription.id), status: 'canceled' });
    await deliver(late);
    await eventually(() => db.collection('stripe_events').countDocuments({ _id: late.id as never }), (n) => n === 0, 'late Stripe event dropped');
    expect(await db.collection('subscriptions').countDocuments({})).toBe(0);
  });
});
