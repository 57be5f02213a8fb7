/**
 * Account deletion and data export (issue 14), through the gateway with the whole stack and
 * nothing faked (the Stripe and Mux emulators behind the real SDKs):
 *
 * a viewer signs up, subscribes (checkout + pay), plays, rates and reviews, lists, rents; their
 * export holds all of it and nothing of another viewer; the internal PersonalDataService is not
 * reachable from outside; then they delete the account (wrong password and wrong phrase are
 * refused naming the field), every service's consumer erases, and EVERY collection of EVERY
 * database in MongoDB is searched for their id, e-mail, Stripe customer id and profile ids:
 * nothing remains. Deleting again answers the same; the old access and refresh tokens are
 * refused by every service; the e-mail can sign up again as a new account. Last, an export
 * while a service is down is a 503 naming it, never a partial archive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { StripeEmulator } from '@flix/stripe-emulator';
import { eventually as until } from '@flix/testkit';
import { findMentions } from '../support/db-snapshot.js';
import { call, type TestStack } from '../support/stack.js';
import { startJourneyStack, type JourneyStack } from '../support/journey-stack.js';

let journey: JourneyStack;
let stack: TestStack;
let stripe: StripeEmulator;
let mongo: MongoClient;
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);

const PASSWORD = 'a long uncommon passphrase for deletion';
const PHRASE = 'DELETE MY ACCOUNT';

interface Viewer {
  email: string;
  userId: string;
  token: string;
  refreshToken: string;
  profileIds: string[];
}

async function signUp(tag: string): Promise<Viewer> {
  const email = `${tag}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const reg = await gw('POST', '/v1/auth/register', { body: { email, password: PASSWORD, displayName: `Viewer ${tag}`, preferredLanguage: 'en' } });
  expect(reg.status, JSON.stringify(reg.body)).toBe(200);
  const token = reg.body.accessToken as string;
  const profiles = (await gw('GET', '/v1/users/me/profiles', { token })).body.profiles as { id: string }[];
  return { email, userId: reg.body.user.id, token, refreshToken: reg.body.refreshToken, profileIds: profiles.map((p) => p.id) };
}

/** True once every durable consumer of these streams has nothing pending or unacknowledged. */
async function consumersIdle(streams: string[]): Promise<boolean> {
  const nc = await connect({ servers: stack.nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    for (const stream of streams) {
      for await (const c of jsm.consumers.list(stream)) if (c.num_pending > 0 || c.num_ack_pending > 0) return false;
    }
    return true;
  } finally {
    await nc.close();
  }
}

beforeAll(async () => {
  journey = await startJourneyStack('e2e_privacy');
  ({ stack, stripe } = journey);
  mongo = new MongoClient(stack.mongo.url);
  await mongo.connect();
}, 180_000);

afterAll(async () => {
  await mongo?.close();
  await journey?.stop();
});

describe('account deletion and data export', () => {
  let a: Viewer;
  let b: Viewer;
  let customerId: string;
  let movie: { id: string };
  let rented: { id: string };
  let deleteTime: string;
  let subscriptionId: string;

  it('a viewer subscribes, plays, rates, reviews, lists and rents; another viewer rates too', async () => {
    a = await signUp('leaving');
    b = await signUp('staying');
    const kids = await gw('POST', '/v1/users/me/profiles', { token: a.token, body: { name: 'Kids', kids: true } });
    expect(kids.status).toBe(200);
    a.profileIds.push(kids.body.id);

    const s = await gw('POST', '/v1/checkout/sessions', { token: a.token, body: { planId: 'standard-monthly', successUrl: 'https://app.test/ok', cancelUrl: 'https://app.test/no' } });
    expect(s.status, JSON.stringify(s.body)).toBe(200);
    await stripe.pay(s.body.sessionId);
    await stripe.whenDelivered();
    await until(() => gw('GET', '/v1/subscription', { token: a.token }), (r) => r.body?.status === 'SUBSCRIPTION_STATUS_ACTIVE', 'active subscription');

    const movies = (await gw('GET', '/v1/movies?pageSize=100', { token: a.token })).body.movies as { id: string; requiredPlan: string; rentalPrice?: { amountMinor: string } }[];
    movie = movies.find((m) => m.requiredPlan === 'PLAN_TIER_BASIC' || m.requiredPlan === 'PLAN_TIER_STANDARD')!;
    const start = await gw('POST', '/v1/playback/sessions', { token: a.token, body: { movieId: movie.id, profileId: a.profileIds[0], deviceId: 'living-room-tv' } });
    expect(start.status, JSON.stringify(start.body)).toBe(200);
    const session = start.body.sessionId as string;
    expect((await gw('POST', `/v1/playback/sessions/${session}:heartbeat`, { token: a.token, body: { positionSeconds: 30, state: 'PLAYER_STATE_PLAYING', bitrateKbps: 3500 } })).status).toBe(200);
    expect((await gw('POST', `/v1/playback/sessions/${session}:stop`, { token: a.token, body: { positionSeconds: 42 } })).status).toBe(200);
    // A session left open: deletion has to end it.
    expect((await gw('POST', '/v1/playback/sessions', { token: a.token, body: { movieId: movie.id, profileId: a.profileIds[0], deviceId: 'phone' } })).status).toBe(200);

    const rate = await gw('PUT', `/v1/movies/${movie.id}/rating`, { token: a.token, body: { profileId: a.profileIds[0], stars: 5, review: 'Leaving-viewer wrote this review.' } });
    expect(rate.status, JSON.stringify(rate.body)).toBe(200);
    expect((await gw('PUT', `/v1/movies/${movie.id}/rating`, { token: b.token, body: { profileId: b.profileIds[0], stars: 3, review: 'Staying-viewer review.' } })).status).toBe(200);
    expect((await gw('POST', '/v1/watchlist', { token: a.token, body: { profileId: a.profileIds[0], movieId: movie.id } })).status).toBe(200);
    expect((await gw('POST', '/v1/favourites', { token: a.token, body: { profileId: a.profileIds[0], movieId: movie.id } })).status).toBe(200);

    rented = movies.find((m) => m.id !== movie.id && m.rentalPrice && Number(m.rentalPrice.amountMinor) > 0)!;
    const rental = await gw('POST', '/v1/rentals', { token: a.token, body: { movieId: rented.id } });
    expect(rental.status, JSON.stringify(rental.body)).toBe(200);
    await stripe.pay(rental.body.sessionId);
    await stripe.whenDelivered();
    await until(() => gw('GET', '/v1/rentals', { token: a.token }), (r) => r.body?.rentals?.[0]?.status === 'RENTAL_STATUS_ACTIVE', 'active rental');

    const customer = await mongo.db(stack.billing.db).collection('customers').findOne({ _id: a.userId as never });
    customerId = customer!.stripeCustomerId as string;
    expect(customerId).toMatch(/^cus_/);
  });

  it('exports everything the viewer did, from every service, and nothing of the other viewer', async () => {
    type Part = { service: string; data: Record<string, any> };
    // Recommendations and analytics learn from events: the export is complete once they have.
    const exported = await until(
      () => gw('GET', '/v1/users/me:export', { token: a.token }),
      (r) => {
        const part = (s: string) => (r.body?.parts as Part[] | undefined)?.find((p) => p.service === s)?.data;
        const signals = part('recommendations')?.interactions?.[0]?.signals ?? {};
        return r.status === 200 && !!signals.rating && !!signals.watchlist && !!signals.favourite && (part('analytics')?.events?.length ?? 0) > 0;
      },
      'a complete export',
      20_000,
    );
    const parts = exported.body.parts as Part[];
    expect(exported.body.userId).toBe(a.userId);
    expect(parts.map((p) => p.service)).toEqual(['identity', 'billing', 'playback', 'engagement', 'recommendations', 'analytics', 'notifications']);
    const part = (s: string) => parts.find((p) => p.service === s)!.data;
    expect(part('identity').account.email).toBe(a.email);
    expect(JSON.stringify(part('identity'))).not.toMatch(/passwordHash|tokenHash/);
    expect(part('identity').appConsents).toEqual([]);
    expect(part('identity').profiles.map((p: { id: string }) => p.id).sort()).toEqual([...a.profileIds].sort());
    expect(part('identity').signIns.length).toBeGreaterThan(0);
    expect(part('billing').customer).toMatchObject({ stripeCustomerId: customerId, email: a.email });
    expect(part('billing').subscriptions[0]).toMatchObject({ planId: 'standard-monthly', status: 'active' });
    subscriptionId = part('billing').subscriptions[0].id;
    expect(part('billing').payments.length).toBeGreaterThanOrEqual(2);
    expect(part('billing').rentals[0]).toMatchObject({ movieId: rented.id });
    expect(part('playback').viewingHistory).toEqual(expect.arrayContaining([expect.objectContaining({ movieId: movie.id, positionSeconds: 42 })]));
    expect(part('playback').sessions.length).toBe(2);
    expect(part('engagement').ratings).toEqual([expect.objectContaining({ movieId: movie.id, stars: 5, review: 'Leaving-viewer wrote this review.' })]);
    expect(part('engagement').watchlist).toEqual([expect.objectContaining({ movieId: movie.id })]);
    expect(part('engagement').favourites).toEqual([expect.objectContaining({ movieId: movie.id, profileId: a.profileIds[0] })]);
    expect(part('recommendations').interactions).toEqual([expect.objectContaining({ movieId: movie.id, profileId: a.profileIds[0] })]);
    expect(part('recommendations').preferences).toMatchObject({ language: 'en' });
    expect(part('analytics').eventCounts['engagement.rating.set']).toBe(1);
    expect(part('analytics').events.map((e: { subject: string }) => e.subject)).toEqual(expect.arrayContaining(['identity.user.registered', 'engagement.rating.set']));
    const json = JSON.stringify(exported.body);
    for (const other of [b.userId, b.email, ...b.profileIds, 'Staying-viewer review.']) expect(json).not.toContain(other);
  });

  it('the internal PersonalDataService is not reachable through the gateway', async () => {
    for (const contentType of ['application/grpc', 'application/json']) {
      const r = await fetch(`${stack.gatewayUrl}/flix.privacy.v1.PersonalDataService/ExportPersonalData`, {
        method: 'POST',
        headers: { authorization: `Bearer ${a.token}`, 'content-type': contentType },
        body: contentType === 'application/json' ? JSON.stringify({ userId: a.userId }) : new Uint8Array(5),
      });
      expect(r.status).toBe(404);
      expect(await r.text()).not.toContain(a.email);
    }
  });

  it('refuses a wrong password or confirmation, naming the field', async () => {
    const wrongPassword = await gw('POST', '/v1/users/me:delete', { token: a.token, body: { currentPassword: 'not the passphrase at all', confirmation: PHRASE } });
    expect(wrongPassword.status).toBe(400);
    expect(wrongPassword.body.message).toContain('currentPassword');
    const wrongPhrase = await gw('POST', '/v1/users/me:delete', { token: a.token, body: { currentPassword: PASSWORD, confirmation: 'delete my account' } });
    expect(wrongPhrase.status).toBe(400);
    expect(wrongPhrase.body.message).toContain('confirmation');
    expect((await gw('GET', '/v1/users/me', { token: a.token })).status).toBe(200);
  });

  it('deletes the account, and afterwards no collection of any database holds the id, e-mail, customer or profile ids', async () => {
    // The search sees them before: in every service's database.
    const before = await findMentions(mongo, [a.userId, a.email, customerId, ...a.profileIds]);
    const dbs = new Set(before.map((hit) => hit.slice(0, hit.indexOf('_'))));
    expect([...dbs]).toEqual(expect.arrayContaining(['analytics', 'billing', 'engagement', 'identity', 'playback', 'recommendations']));

    const deleted = await gw('POST', '/v1/users/me:delete', { token: a.token, body: { currentPassword: PASSWORD, confirmation: PHRASE } });
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(Date.parse(deleted.body.deleteTime)).toBeGreaterThan(0);
    deleteTime = deleted.body.deleteTime;

    // Stripe cancels the subscription and deletes the customer, and sends its webhooks.
    await until(
      () => fetch(`${stripe.url}/v1/customers/${customerId}`, { headers: { authorization: 'Bearer sk_test_e2e_privacy' } }).then((r) => r.json() as Promise<{ deleted?: boolean; error?: { code?: string } }>),
      // Stripe answers a deleted customer's retrieval with a deleted stub; the emulator with 404.
      (c) => c.deleted === true || c.error?.code === 'resource_missing',
      'the Stripe customer deleted',
    );
    const subAtStripe = await fetch(`${stripe.url}/v1/subscriptions/${subscriptionId}`, { headers: { authorization: 'Bearer sk_test_e2e_privacy' } }).then((r) => r.json() as Promise<{ status?: string }>);
    expect(subAtStripe.status).toBe('canceled');

    const needles = [a.userId, a.email, customerId, ...a.profileIds];
    let leftovers: string[] = [];
    await until(
      async () => {
        await stripe.whenDelivered();
        if (!(await consumersIdle(['IDENTITY', 'BILLING', 'PLAYBACK', 'ENGAGEMENT']))) return false;
        leftovers = await findMentions(mongo, needles);
        return leftovers.length === 0;
      },
      (clean) => clean,
      'every service to erase the account',
      30_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nstill holding the deleted account:\n${leftovers.join('\n')}`);
    });
    expect(leftovers).toEqual([]);

    // The other viewer's rating stays; the deleted viewer's stars still count, anonymously.
    const reviews = await gw('GET', `/v1/movies/${movie.id}/reviews`);
    expect(JSON.stringify(reviews.body)).toContain('Staying-viewer review.');
    expect(JSON.stringify(reviews.body)).not.toContain('Leaving-viewer');
  });

  it('deleting again answers the same; the old tokens are refused everywhere; the e-mail can sign up anew', async () => {
    const again = await gw('POST', '/v1/users/me:delete', { token: a.token, body: { currentPassword: PASSWORD, confirmation: PHRASE } });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.deleteTime).toBe(deleteTime);

    const refused = [
      '/v1/users/me',
      '/v1/subscription',
      `/v1/continue-watching?profileId=${a.profileIds[0]}`,
      `/v1/watchlist?profileId=${a.profileIds[0]}`,
      `/v1/recommendations?profileId=${a.profileIds[0]}`,
    ];
    for (const path of refused) {
      const r = await gw('GET', path, { token: a.token });
      expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(401);
    }
    expect((await gw('POST', '/v1/playback/sessions', { token: a.token, body: { movieId: movie.id, profileId: a.profileIds[0], deviceId: 'tv' } })).status).toBe(401);
    expect((await gw('POST', '/v1/auth/refresh', { body: { refreshToken: a.refreshToken } })).status).toBe(401);
    expect((await gw('POST', '/v1/auth/login', { body: { email: a.email, password: PASSWORD } })).status).toBe(401);

    const anew = await gw('POST', '/v1/auth/register', { body: { email: a.email, password: PASSWORD, displayName: 'Back Again', preferredLanguage: 'en' } });
    expect(anew.status, JSON.stringify(anew.body)).toBe(200);
    expect(anew.body.user.id).not.toBe(a.userId);
    const fresh = await gw('GET', '/v1/subscription', { token: anew.body.accessToken });
    expect(fresh.status).not.toBe(401);
  });

  it('an export while a service is down is 503 naming it, never a partial archive', async () => {
    await stack.analytics.handle.stop();
    const r = await gw('GET', '/v1/users/me:export', { token: b.token });
    expect(r.status, JSON.stringify(r.body)).toBe(503);
    expect(r.body.message).toContain('analytics');
    expect(r.headers.get('retry-after')).toBe('30');
    expect(r.body.parts).toBeUndefined();
  });
});
