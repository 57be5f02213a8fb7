import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityEvents, playbackEvents } from '@flix/contracts';
import { connectNats, publishEvent, type NatsClients } from '@flix/events';
import { createClient, type PromiseClient } from '@flix/grpc';
import { BillingServiceService } from '@flix/proto/flix/billing/v1/billing_service';
import { EntitlementReason, EntitlementSource, PlanTier, RentalStatus, SubscriptionStatus } from '@flix/proto/flix/billing/v1/resources';
import { freePort, startMongo, startNats, type MongoHandle, type NatsHandle } from '@flix/testkit';
import { startBilling, type BillingHandle } from '../src/main.js';
import type { MovieDirectory } from '../src/domain/ports.js';
import { eventually, startTestKeys } from './helpers.js';
import { FakeStripe } from './fake-stripe.js';

const DAY = 86400;
let mongo: MongoHandle;
let natsServer: NatsHandle;
let nats: NatsClients;
let keys: Awaited<ReturnType<typeof startTestKeys>>;
let svc: BillingHandle;
let client: PromiseClient<typeof BillingServiceService>;
let dbClient: MongoClient;
let db: Db;
const stripe = new FakeStripe();
const movies: MovieDirectory = {
  async get(id) {
    if (id === 'm-rent') return { id, title: 'Rentable', requiredTier: null, rentalPrice: { amountMinor: 399, currency: 'USD' } };
    if (id === 'm-premium') return { id, title: 'Premium Only', requiredTier: 'PREMIUM', rentalPrice: { amountMinor: 499, currency: 'USD' } };
    if (id === 'm-basic') return { id, title: 'Basic Title', requiredTier: 'BASIC', rentalPrice: null };
    return null;
  },
};

const as = async (sub: string, roles: string[] = []) => ({ metadata: { authorization: `Bearer ${await keys.token(sub, roles)}` } });
const newUser = () => `u-${randomBytes(4).toString('hex')}`;
let webhookUrl = '';
async function deliver(events: { raw: string; header: string }[]): Promise<number[]> {
  const out: number[] = [];
  for (const e of events) {
    const r = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': e.header }, body: e.raw });
    out.push(r.status);
  }
  return out;
}
const applied = (ids: string[]) =>
  eventually(async () => db.collection('stripe_events').countDocuments({ _id: { $in: ids } as never, appliedAt: { $ne: null } }), (n) => n === ids.length, `stripe events ${ids.join(',')} applied`);
async function deliverAndApply(events: { id: string; raw: string; header: string }[]) {
  expect(await deliver(events)).toEqual(events.map(() => 200));
  await applied(events.map((e) => e.id));
}
async function entitlement(userId: string, movieId: string, extra: { startingPlayback?: boolean } = {}) {
  return client.checkEntitlement({ userId, movieId, requiredTier: PlanTier.PLAN_TIER_UNSPECIFIED, startingPlayback: extra.startingPlayback ?? false }, await as('playback', ['service']));
}
/** Registers a user (customer via identity's event) and subscribes to planId by paying the checkout. */
async function subscribe(userId: string, planId: string) {
  const session = await client.createCheckoutSession({ planId, successUrl: 'https://app.test/ok', cancelUrl: 'https://app.test/cancel' }, await as(userId));
  const events = stripe.pay(session.sessionId);
  await deliverAndApply(events);
  const sub = await client.getSubscription({}, await as(userId));
  return { session, sub };
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
    { clock: { now: () => new Date(stripe.nowMs) }, stripe: { provider: stripe.provider, isSignatureError: stripe.isSignatureError }, movies },
  );
  webhookUrl = `http://127.0.0.1:${svc.httpPort}/webhooks/stripe`;
  client = createClient(BillingServiceService, `127.0.0.1:${svc.grpcPort}`);
  nats = await connectNats(natsServer.url, 'billing-test');
  dbClient = new MongoClient(mongo.url);
  db = dbClient.db(svc.store.plansColl.dbName);
}, 60_000);

afterAll(async () => {
  client?.close();
  await nats?.drain();
  await svc?.stop();
  await dbClient?.close();
  await Promise.all([mongo?.stop(), natsServer?.stop(), keys?.close()]);
});

describe('plans', () => {
  it('seeds six plans once, lists them publicly without Stripe ids, and lets admins manage them', async () => {
    const pub = await client.listPlans({ pageSize: 0, pageToken: '', includeInactive: false });
    expect(pub.plans.map((p) => p.id)).toEqual(['basic-monthly', 'basic-yearly', 'standard-monthly', 'standard-yearly', 'premium-monthly', 'premium-yearly']);
    expect(pub.plans[0]).toMatchObject({ tier: PlanTier.PLAN_TIER_BASIC, price: { amountMinor: 899, currency: 'USD' }, maxConcurrentStreams: 1, stripePriceId: '' });
    expect(await svc.billing.seedPlans()).toBe(0);

    const admin = await as('admin-1', ['admin']);
    const bad = await client.createPlan({ plan: { id: 'X', displayName: '', tier: 0, interval: 0, price: { amountMinor: 1, currency: 'usd!' }, maxConcurrentStreams: 0, maxQuality: 0, features: [], trialDays: 0, active: true, stripePriceId: '', stripeProductId: '', version: 0, createTime: undefined, updateTime: undefined } }, admin).catch((e: Error) => e);
    expect((bad as Error).message).toMatch(/plan\.id.*plan\.displayName.*plan\.tier/s);
    const created = await client.createPlan({ plan: { id: 'family-monthly', displayName: 'Family', tier: PlanTier.PLAN_TIER_PREMIUM, interval: 1, price: { amountMinor: 2999, currency: 'USD' }, maxConcurrentStreams: 6, maxQuality: 3, features: ['6 screens'], trialDays: 7, active: true, stripePriceId: '', stripeProductId: '', version: 0, createTime: undefined, updateTime: undefined } }, admin);
    expect(created.stripePriceId).toMatch(/^price_/);
    const updated = await client.updatePlan({ plan: { ...created, price: { amountMinor: 3199, currency: 'USD' } }, updateMask: ['price'] }, admin);
    expect(updated.price?.amountMinor).toBe(3199);
    expect(updated.stripePriceId).not.toBe(created.stripePriceId);
    const off = await client.deactivatePlan({ planId: 'family-monthly' }, admin);
    expect(off.active).toBe(false);
    expect((await client.listPlans({ pageSize: 0, pageToken: '', includeInactive: false })).plans.map((p) => p.id)).not.toContain('family-monthly');
    await expect(client.listPlans({ pageSize: 0, pageToken: '', includeInactive: true }, await as('viewer'))).rejects.toThrow(/admin/);
    await expect(client.updatePlan({ plan: { ...created }, updateMask: ['nope'] }, admin)).rejects.toThrow(/updateMask/);
  });
});

describe('customers', () => {
  it('one Stripe customer per account, even when registration is delivered twice', async () => {
    const userId = newUser();
    for (let i = 0; i < 2; i++) await publishEvent(nats.js, identityEvents.userRegistered, { userId, email: `${userId}@example.com` });
    await eventually(() => db.collection('customers').countDocuments({ _id: userId as never }), (n) => n === 1, 'customer');
    await new Promise((r) => setTimeout(r, 200));
    expect(await db.collection('customers').countDocuments({ _id: userId as never })).toBe(1);
    const creates = stripe.calls.filter((c) => c.method === 'customers.create' && c.key?.includes(userId));
    expect(new Set(creates.map((c) => c.key)).size).toBe(1);
  });
});

describe('subscription lifecycle through signed webhooks', () => {
  it('checkout: a second click or tab reuses the open session; another plan closes the first; subscribed → refused', async () => {
    const u = newUser();
    const req = { planId: 'standard-monthly', successUrl: 'https://app.test/ok', cancelUrl: 'https://app.test/cancel' };
    const [a, b] = await Promise.all([client.createCheckoutSession(req, await as(u)), client.createCheckoutSession(req, await as(u))]);
    expect(b.sessionId).toBe(a.sessionId);
    const c = await client.createCheckoutSession(req, await as(u));
    expect(c.sessionId).toBe(a.sessionId);
    expect(a.firstPeriodPrice).toEqual({ amountMinor: 1549, currency: 'USD' });
    const other = await client.createCheckoutSession({ ...req, planId: 'basic-monthly' }, await as(u));
    expect(other.sessionId).not.toBe(a.sessionId);
    expect(stripe.sessions.get(a.sessionId)?.status).toBe('expired');
    await expect(client.createCheckoutSession({ ...req, successUrl: 'ftp://x' }, await as(u))).rejects.toThrow(/successUrl/);
    await expect(client.createCheckoutSession({ ...req, planId: 'nope' }, await as(u))).rejects.toThrow(/planId/);

    await deliverAndApply(stripe.pay(other.sessionId));
    const sub = await client.getSubscription({}, await as(u));
    expect(sub).toMatchObject({ status: SubscriptionStatus.SUBSCRIPTION_STATUS_ACTIVE, planId: 'basic-monthly', tier: PlanTier.PLAN_TIER_BASIC });
    await expect(client.createCheckoutSession(req, await as(u))).rejects.toThrow(/changePlan/);
    const pays = await client.listPayments({ pageSize: 0, pageToken: '' }, await as(u));
    expect(pays.payments).toHaveLength(1);
    expect(pays.payments[0]).toMatchObject({ amount: { amountMinor: 899, currency: 'USD' } });
    expect(await entitlement(u, 'm-basic')).toMatchObject({ allowed: true, reason: EntitlementReason.ENTITLEMENT_REASON_SUBSCRIPTION, maxConcurrentStreams: 1 });
    expect(await entitlement(u, 'm-premium')).toMatchObject({ allowed: false, reason: EntitlementReason.ENTITLEMENT_REASON_TIER_TOO_LOW });
  });

  it('duplicates are no-ops; forged, missing and stale signatures are 400 and store nothing', async () => {
    const u = newUser();
    const session = await client.createCheckoutSession({ planId: 'basic-monthly', successUrl: '', cancelUrl: '' }, await as(u));
    const events = stripe.pay(session.sessionId);
    await deliverAndApply(events);
    const before = await db.collection('stripe_events').countDocuments();
    const again = await fetch(webhookUrl, { method: 'POST', headers: { 'stripe-signature': events[2]!.header }, body: events[2]!.raw });
    expect(await again.json()).toEqual({ received: true, duplicate: true });
    expect((await client.listPayments({ pageSize: 0, pageToken: '' }, await as(u))).payments).toHaveLength(1);

    const forged = stripe.event('invoice.paid', { id: 'in_forged', customer: 'cus_x' });
    const tampered = forged.raw.replace('in_forged', 'in_forge2');
    expect((await fetch(webhookUrl, { method: 'POST', headers: { 'stripe-signature': forged.header }, body: tampered })).status).toBe(400);
    expect((await fetch(webhookUrl, { method: 'POST', body: forged.raw })).status).toBe(400);
    const staleHeader = `t=${Math.floor(Date.now() / 1000) - 400},${forged.header.split(',').slice(1).join(',')}`;
    const stale = await fetch(webhookUrl, { method: 'POST', headers: { 'stripe-signature': staleHeader }, body: forged.raw });
    expect(stale.status).toBe(400);
    expect(((await stale.json()) as { message: string }).message).toMatch(/stripe-signature/);
    expect(await db.collection('stripe_events').countDocuments()).toBe(before);
  });

  it('renews, fails and recovers within grace, lapses past grace, then gets a win-back price', async () => {
    const u = newUser();
    const { sub } = await subscribe(u, 'standard-monthly');
    stripe.nowMs = sub.currentPeriodEnd!.getTime();
    await deliverAndApply(stripe.renew(sub.id, true).events);
    const renewed = await client.getSubscription({}, await as(u));
    expect(renewed.currentPeriodEnd!.getTime()).toBe(sub.currentPeriodEnd!.getTime() + 30 * DAY * 1000);

    stripe.nowMs = renewed.currentPeriodEnd!.getTime();
    const failed = stripe.renew(sub.id, false);
    await deliverAndApply(failed.events);
    expect(await client.getSubscription({}, await as(u))).toMatchObject({ status: SubscriptionStatus.SUBSCRIPTION_STATUS_PAST_DUE });
    stripe.advance(3 * DAY);
    expect(await entitlement(u, 'm-basic')).toMatchObject({ allowed: true, reason: EntitlementReason.ENTITLEMENT_REASON_GRACE_PERIOD });
    const recovered = stripe.recover(sub.id, failed.invoiceId);
    await deliverAndApply(recovered);
    expect(await client.getSubscription({}, await as(u))).toMatchObject({ status: SubscriptionStatus.SUBSCRIPTION_STATUS_ACTIVE });
    const receipts = (await client.listPayments({ pageSize: 0, pageToken: '' }, await as(u))).payments;
    expect(receipts).toHaveLength(3);
    expect(receipts.find((p) => p.id === failed.invoiceId)).toMatchObject({ failedAttempts: 1, status: 1 });

    // Reordered: the stale "past_due" update arrives after the recovery; it must not regress.
    const late = stripe.event('customer.subscription.updated', { ...stripe.sub(sub.id), status: 'past_due' }, stripe.nowMs - 3 * DAY * 1000);
    await deliverAndApply([late]);
    expect(await client.getSubscription({}, await as(u))).toMatchObject({ status: SubscriptionStatus.SUBSCRIPTION_STATUS_ACTIVE });

    const current = await client.getSubscription({}, await as(u));
    stripe.nowMs = current.currentPeriodEnd!.getTime();
    await deliverAndApply(stripe.renew(sub.id, false).events);
    stripe.advance(8 * DAY);
    expect(await entitlement(u, 'm-basic')).toMatchObject({ allowed: false, reason: EntitlementReason.ENTITLEMENT_REASON_PAST_GRACE });
    await deliverAndApply(stripe.lapse(sub.id));
    expect(await client.getSubscription({}, await as(u))).toMatchObject({ status: SubscriptionStatus.SUBSCRIPTION_STATUS_EXPIRED });
    expect(await entitlement(u, 'm-basic')).toMatchObject({ allowed: false, reason: EntitlementReason.ENTITLEMENT_REASON_SUBSCRIPTION_EXPIRED });

    // An old "created" arriving after the end cannot bring it back.
    const zombie = stripe.event('customer.subscription.created', { ...stripe.sub(sub.id), status: 'active' }, sub.createTime!.getTime());
    await deliverAndApply([zombie]);
    expect(await client.getSubscription({}, await as(u))).toMatchObject({ status: SubscriptionStatus.SUBSCRIPTION_STATUS_EXPIRED });

    const offers = await eventually(async () => (await client.listOffers({}, await as(u))).offers, (o) => o.some((x) => x.percentOff === 30), 'win-back offer');
    const winBack = offers.find((o) => o.percentOff === 30)!;
    const back = await client.createCheckoutSession({ planId: 'premium-monthly', successUrl: '', cancelUrl: '' }, await as(u));
    expect(back.appliedOffer?.id).toBe(winBack.id);
    expect(back.firstPeriodPrice).toEqual({ amountMinor: Math.round(2299 * 0.7), currency: 'USD' });
    const audit = await db.collection('checkouts').findOne({ _id: back.sessionId as never });
    expect(audit).toMatchObject({ offerId: winBack.id, percentOff: 30, listPrice: { amountMinor: 2299 }, finalPrice: { amountMinor: 1609 } });
    expect(stripe.sessions.get(back.sessionId)?.coupon).toMatch(/^coupon_/);
    await deliverAndApply(stripe.pay(back.sessionId));
    expect((await client.listOffers({}, await as(u))).offers.map((o) => o.id)).not.toContain(winBack.id);
  });

  it('cancel at period end keeps access until the end; resume; change plan with proration', async () => {
    const u = newUser();
    const { sub } = await subscribe(u, 'basic-monthly');
    const canceled = await client.cancelSubscription({}, await as(u));
    expect(canceled).toMatchObject({ status: SubscriptionStatus.SUBSCRIPTION_STATUS_CANCELED, cancelAtPeriodEnd: true });
    stripe.advance(10 * DAY);
    expect(await entitlement(u, 'm-basic')).toMatchObject({ allowed: true, reason: EntitlementReason.ENTITLEMENT_REASON_CANCELED_UNTIL_PERIOD_END });
    expect((await client.resumeSubscription({}, await as(u))).status).toBe(SubscriptionStatus.SUBSCRIPTION_STATUS_ACTIVE);

    const changed = await client.changePlan({ planId: 'premium-monthly' }, await as(u));
    expect(changed).toMatchObject({ planId: 'premium-monthly', tier: PlanTier.PLAN_TIER_PREMIUM, maxConcurrentStreams: 4 });
    expect(await entitlement(u, 'm-premium')).toMatchObject({ allowed: true, source: EntitlementSource.ENTITLEMENT_SOURCE_SUBSCRIPTION, maxConcurrentStreams: 4 });
    await expect(client.changePlan({ planId: 'premium-monthly' }, await as(u))).rejects.toThrow(/already on/);
    // The webhook for the earlier cancel arrives late: the plan change stays.
    await deliverAndApply([stripe.event('customer.subscription.updated', { ...stripe.sub(sub.id), cancel_at_period_end: true, items: { data: [{ ...(stripe.sub(sub.id).items as { data: object[] }).data[0], price: { id: 'price_old' } }] } }, stripe.nowMs - 10 * DAY * 1000)]);
    expect(await client.getSubscription({}, await as(u))).toMatchObject({ planId: 'premium-monthly', cancelAtPeriodEnd: false });

    await client.cancelSubscription({}, await as(u));
    stripe.nowMs = sub.currentPeriodEnd!.getTime() + 1000;
    expect(await entitlement(u, 'm-basic')).toMatchObject({ allowed: false, reason: EntitlementReason.ENTITLEMENT_REASON_SUBSCRIPTION_EXPIRED });
    await deliverAndApply(stripe.renew(sub.id, true).events);
    expect(await client.getSubscription({}, await as(u))).toMatchObject({ status: SubscriptionStatus.SUBSCRIPTION_STATUS_EXPIRED });
    expect((await client.createPortalSession({ returnUrl: 'https://app.test/account' }, await as(u))).url).toMatch(/portal/);
  });
});

describe('rentals', () => {
  it('pending → active for 30 days; the first playback starts 48 hours; expiry on both clocks; return; refund', async () => {
    const u = newUser();
    await expect(client.createRental({ movieId: 'm-basic', successUrl: '', cancelUrl: '' }, await as(u))).rejects.toThrow(/no rental price/);
    await expect(client.createRental({ movieId: 'nope', successUrl: '', cancelUrl: '' }, await as(u))).rejects.toThrow(/movieId/);
    const r1 = await client.createRental({ movieId: 'm-rent', successUrl: '', cancelUrl: '' }, await as(u));
    expect(r1.rental).toMatchObject({ status: RentalStatus.RENTAL_STATUS_PENDING, price: { amountMinor: 399 } });
    expect((await client.createRental({ movieId: 'm-rent', successUrl: '', cancelUrl: '' }, await as(u))).sessionId).toBe(r1.sessionId);
    expect(await entitlement(u, 'm-rent')).toMatchObject({ allowed: false, reason: EntitlementReason.ENTITLEMENT_REASON_RENTAL_REQUIRED });
    await deliverAndApply(stripe.pay(r1.sessionId));
    await expect(client.createRental({ movieId: 'm-rent', successUrl: '', cancelUrl: '' }, await as(u))).rejects.toThrow(/already rented/);
    const ok = await entitlement(u, 'm-rent', { startingPlayback: true });
    expect(ok).toMatchObject({ allowed: true, source: EntitlementSource.ENTITLEMENT_SOURCE_RENTAL, rentalId: r1.rental!.id, maxConcurrentStreams: 1 });
    expect(ok.validUntil!.getTime()).toBe(stripe.nowMs + 48 * 3600 * 1000);
    stripe.advance(47 * 3600);
    expect((await entitlement(u, 'm-rent')).allowed).toBe(true);
    stripe.advance(2 * 3600);
    expect(await entitlement(u, 'm-rent')).toMatchObject({ allowed: false, reason: EntitlementReason.ENTITLEMENT_REASON_RENTAL_EXPIRED });
    expect(await svc.sweepRentals()).toBe(1);
    expect((await client.listRentals({ pageSize: 0, pageToken: '' }, await as(u))).rentals[0]).toMatchObject({ status: RentalStatus.RENTAL_STATUS_EXPIRED });

    // Never played: the 30-day window ends it; playback events start the clock too.
    const r2 = await client.createRental({ movieId: 'm-premium', successUrl: '', cancelUrl: '' }, await as(u));
    await deliverAndApply(stripe.pay(r2.sessionId));
    stripe.advance(29 * DAY);
    expect((await entitlement(u, 'm-premium')).allowed).toBe(true);
    stripe.advance(DAY);
    expect((await entitlement(u, 'm-premium')).reason).toBe(EntitlementReason.ENTITLEMENT_REASON_RENTAL_EXPIRED);

    const r3 = await client.createRental({ movieId: 'm-premium', successUrl: '', cancelUrl: '' }, await as(u));
    const paid = stripe.pay(r3.sessionId);
    await deliverAndApply(paid);
    await publishEvent(nats.js, playbackEvents.sessionStarted, { userId: u, movieId: 'm-premium', sessionId: 's1', occurTime: new Date(stripe.nowMs) });
    await eventually(async () => (await client.listRentals({ pageSize: 0, pageToken: '' }, await as(u))).rentals.find((x) => x.id === r3.rental!.id)?.playStartTime, (v) => !!v, 'rental clock from playback event');
    const returned = await client.returnRental({ rentalId: r3.rental!.id }, await as(u));
    expect(returned.status).toBe(RentalStatus.RENTAL_STATUS_RETURNED);
    await expect(client.returnRental({ rentalId: r3.rental!.id }, await as(newUser()))).rejects.toThrow(/not found/);

    const r4 = await client.createRental({ movieId: 'm-rent', successUrl: '', cancelUrl: '' }, await as(u));
    const p4 = stripe.pay(r4.sessionId);
    await deliverAndApply(p4);
    const pi = stripe.sessions.get(r4.sessionId)!.payment_intent as string;
    await deliverAndApply(stripe.refund(pi, 399, 399));
    expect(await entitlement(u, 'm-rent')).toMatchObject({ allowed: false });
    const receipts = (await client.listPayments({ pageSize: 2, pageToken: '' }, await as(u)));
    expect(receipts.payments).toHaveLength(2);
    expect(receipts.nextPageToken).not.toBe('');
    const refunded = (await client.listPayments({ pageSize: 10, pageToken: '' }, await as(u))).payments.find((p) => p.rentalId === r4.rental!.id);
    expect(refunded).toMatchObject({ status: 3, refunded: { amountMinor: 399 } });
  });

  it("GetEntitlement: CheckEntitlement's answer for the caller, with the title's tier and price, never starting a rental's play clock", async () => {
    const u = newUser();
    const mine = async (movieId: string) => client.getEntitlement({ movieId }, await as(u));
    expect(await mine('m-basic')).toMatchObject({
      movieId: 'm-basic', allowed: false, reason: EntitlementReason.ENTITLEMENT_REASON_NO_SUBSCRIPTION, tier: PlanTier.PLAN_TIER_UNSPECIFIED,
      requiredTier: PlanTier.PLAN_TIER_BASIC, rentalPrice: undefined,
    });
    expect(await mine('m-rent')).toMatchObject({
      allowed: false, reason: EntitlementReason.ENTITLEMENT_REASON_RENTAL_REQUIRED, requiredTier: PlanTier.PLAN_TIER_UNSPECIFIED, rentalPrice: { amountMinor: 399, currency: 'USD' },
    });
    const r = await client.createRental({ movieId: 'm-rent', successUrl: '', cancelUrl: '' }, await as(u));
    await deliverAndApply(stripe.pay(r.sessionId));
    for (let i = 0; i < 2; i++) {
      const got = await mine('m-rent');
      expect(got).toMatchObject({ allowed: true, reason: EntitlementReason.ENTITLEMENT_REASON_RENTAL, source: EntitlementSource.ENTITLEMENT_SOURCE_RENTAL, rentalId: r.rental!.id, maxConcurrentStreams: 1 });
      // The rental's 30-day window, not the 48 hours a first playback would start.
      expect(got.validUntil!.getTime()).toBeGreaterThan(stripe.nowMs + 29 * DAY * 1000);
    }
    const rentals = await client.listRentals({ pageSize: 0, pageToken: '' }, await as(u));
    expect(rentals.rentals.find((x) => x.id === r.rental!.id)?.playStartTime).toBeUndefined();
    // Playback starting is what starts the clock; GetEntitlement then reports the 48 hours.
    await entitlement(u, 'm-rent', { startingPlayback: true });
    expect((await mine('m-rent')).validUntil!.getTime()).toBe(stripe.nowMs + 48 * 3600 * 1000);

    await expect(mine('nope')).rejects.toThrow(/movieId: no title nope/);
    await expect(mine(' ')).rejects.toThrow(/movieId: is required/);
    await expect(mine('a b')).rejects.toThrow(/movieId: is not a title id/);
    await expect(client.getEntitlement({ movieId: 'm-basic' }, await as('svc', ['service']))).rejects.toThrow(/user token/);
    await expect(client.getEntitlement({ movieId: 'm-basic' })).rejects.toThrow(/access token|sign in/);
  });

  it('entitlement checks: users only for themselves; services for anyone', async () => {
    const u = newUser();
    await expect(client.checkEntitlement({ userId: 'someone-else', movieId: 'm-basic', requiredTier: 0, startingPlayback: false }, await as(u))).rejects.toThrow(/own account/);
    expect(await client.checkEntitlement({ userId: '', movieId: '', requiredTier: PlanTier.PLAN_TIER_BASIC, startingPlayback: false }, await as(u))).toMatchObject({ allowed: false, reason: EntitlementReason.ENTITLEMENT_REASON_NO_SUBSCRIPTION });
    expect(await entitlement(u, 'unknown-title')).toMatchObject({ allowed: false, reason: EntitlementReason.ENTITLEMENT_REASON_TITLE_NOT_FOUND });
    await expect(client.checkEntitlement({ userId: u, movieId: '', requiredTier: 0, startingPlayback: false }, await as('svc', ['service']))).rejects.toThrow(/movieId/);
  });
});
