/**
 * The API surface through the real SDK: secret-key auth, idempotency keys, Stripe's error shapes,
 * the catalog (products, prices, lookup keys), pagination, search, events, and persistence.
 */
import Stripe from 'stripe';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_API_VERSION, startStripeEmulator, type StripeEmulator, type StripeEmulatorOptions } from '../src/index.js';
import { apiKey, DAY, monthlyPrice, subscribe, harness, webhookSecret, type Harness } from './harness.js';

const open: Array<StripeEmulator | Harness> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

async function start(extra: Partial<StripeEmulatorOptions> = {}): Promise<{ emulator: StripeEmulator; stripe: Stripe }> {
  const emulator = await startStripeEmulator({ webhookSecret, apiKey, ...extra });
  open.push(emulator);
  return { emulator, stripe: new Stripe(apiKey, { host: '127.0.0.1', port: emulator.port, protocol: 'http', maxNetworkRetries: 0 }) };
}

describe('authentication', () => {
  it('demands the configured secret key, as Bearer or Basic, and answers 401 like Stripe otherwise', async () => {
    const { emulator, stripe } = await start();
    const wrong = new Stripe('sk_test_someone_else_9999', { host: '127.0.0.1', port: emulator.port, protocol: 'http', maxNetworkRetries: 0 });
    const err = await wrong.customers.create({ email: 'x@flix.test' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect((err as Stripe.errors.StripeError).statusCode).toBe(401);
    expect((err as Stripe.errors.StripeError).message).toMatch(/^Invalid API Key provided: sk_test_\*+9999$/);

    const bare = await fetch(`${emulator.url}/v1/customers`);
    expect(bare.status).toBe(401);
    expect(((await bare.json()) as { error: { message: string } }).error.message).toMatch(/You did not provide an API key/);
    const basic = await fetch(`${emulator.url}/v1/customers`, { headers: { authorization: `Basic ${Buffer.from(`${apiKey}:`).toString('base64')}` } });
    expect(basic.status).toBe(200);
    // Controls sit behind the same key; health does not.
    expect((await fetch(`${emulator.url}/_emulator/deliveries`)).status).toBe(401);
    expect((await fetch(`${emulator.url}/_emulator/health`)).status).toBe(200);
    expect(await stripe.customers.list()).toMatchObject({ object: 'list', data: [] });
  });

  it('takes any test key when none is configured, and never a live one', async () => {
    const emulator = await startStripeEmulator({ webhookSecret });
    open.push(emulator);
    const anyKey = new Stripe('sk_test_whatever', { host: '127.0.0.1', port: emulator.port, protocol: 'http', maxNetworkRetries: 0 });
    expect((await anyKey.customers.create({ email: 'a@flix.test' })).object).toBe('customer');
    const live = new Stripe('sk_live_nope', { host: '127.0.0.1', port: emulator.port, protocol: 'http', maxNetworkRetries: 0 });
    await expect(live.customers.list()).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });
});

describe('idempotency', () => {
  it('returns the same customer for the same key and body, and refuses the key with another body or endpoint', async () => {
    const { stripe } = await start();
    const params = { email: 'ana@flix.test', name: 'Ana', metadata: { userId: 'user-42' } };
    const first = await stripe.customers.create(params, { idempotencyKey: 'identity.user.registered:user-42' });
    const again = await stripe.customers.create(params, { idempotencyKey: 'identity.user.registered:user-42' });
    expect(again.id).toBe(first.id);
    expect(again).toEqual(first);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await stripe.customers.list()).data).toHaveLength(1);

    const other = await stripe.customers.create({ ...params, email: 'other@flix.test' }, { idempotencyKey: 'identity.user.registered:user-42' }).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect((other as Stripe.errors.StripeError).statusCode).toBe(400);
    expect((other as Stripe.errors.StripeError).message).toMatch(/same parameters they were first used with/);
    const otherEndpoint = await stripe.products.create({ name: 'X' }, { idempotencyKey: 'identity.user.registered:user-42' }).catch((e: unknown) => e);
    expect(otherEndpoint).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    // Keys are per request: a new key makes a new customer.
    expect((await stripe.customers.create(params, { idempotencyKey: 'another' })).id).not.toBe(first.id);
  });

  it('does not repeat side effects (events) on a replay', async () => {
    const h = await harness();
    open.push(h);
    const price = await monthlyPrice(h.stripe, 'Basic', 899);
    const { subscription } = await subscribe(h, price);
    await h.stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true }, { idempotencyKey: 'cancel-1' });
    await h.stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true }, { idempotencyKey: 'cancel-1' });
    const updates = (await h.eventsFor(subscription.id)).filter((e) => e.type === 'customer.subscription.updated');
    expect(updates).toHaveLength(1);
    expect(updates[0].request).toMatchObject({ idempotency_key: 'cancel-1' });
  });
});

describe('errors', () => {
  it('answers missing objects, unknown params and bad values in Stripe error shape', async () => {
    const { emulator, stripe } = await start();
    const missing = await stripe.customers.retrieve('cus_nope').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id', message: "No such customer: 'cus_nope'" });

    const typo = await stripe.customers.create({ emial: 'x' } as unknown as Stripe.CustomerCreateParams).catch((e: unknown) => e);
    expect(typo).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'emial', message: 'Received unknown parameter: emial' });

    const bad = await stripe.prices.create({ currency: 'usd', unit_amount: 100, product_data: { name: 'X' }, recurring: { interval: 'fortnight' as 'month' } }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ statusCode: 400, param: 'recurring[interval]' });
    expect((bad as Error).message).toMatch(/must be one of day, week, month, or year/);

    const noMode = await stripe.checkout.sessions.create({ line_items: [] } as unknown as Stripe.Checkout.SessionCreateParams).catch((e: unknown) => e);
    expect(noMode).toMatchObject({ code: 'parameter_missing', param: 'mode' });

    const badPrice = await stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: 'price_nope', quantity: 1 }], success_url: 'https://flix.test/ok' }).catch((e: unknown) => e);
    expect(badPrice).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'line_items[0][price]' });

    const oneTime = await stripe.prices.create({ currency: 'usd', unit_amount: 300, product_data: { name: 'Rental' } });
    const wrongMode = await stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: oneTime.id, quantity: 1 }], success_url: 'https://flix.test/ok' }).catch((e: unknown) => e);
    expect((wrongMode as Error).message).toMatch(/at least one recurring price/);

    const unknownUrl = await fetch(`${emulator.url}/v1/nothing_here`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(unknownUrl.status).toBe(404);
    expect(((await unknownUrl.json()) as { error: { message: string } }).error.message).toMatch(/^Unrecognized request URL \(GET: \/v1\/nothing_here\)/);
  });
});

describe('catalog', () => {
  it('creates plans as recurring prices and finds them by lookup key, with products expanded', async () => {
    const { stripe } = await start();
    const product = await stripe.products.create({ name: 'Premium', metadata: { planId: 'premium' }, marketing_features: [{ name: '4K' }] });
    const monthly = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 1599, recurring: { interval: 'month' }, lookup_key: 'premium_monthly', metadata: { planId: 'premium' } });
    const yearly = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 15990, recurring: { interval: 'year' }, lookup_key: 'premium_yearly' });
    expect(monthly).toMatchObject({ object: 'price', type: 'recurring', active: true, currency: 'usd', unit_amount: 1599, product: product.id, recurring: { interval: 'month', interval_count: 1 } });
    expect(String(monthly.unit_amount_decimal)).toBe('1599');

    const found = await stripe.prices.list({ lookup_keys: ['premium_monthly', 'premium_yearly'], expand: ['data.product'] });
    expect(found.data.map((p) => p.id).sort()).toEqual([monthly.id, yearly.id].sort());
    expect((found.data[0].product as Stripe.Product).metadata).toEqual({ planId: 'premium' });
    expect((await stripe.prices.list({ recurring: { interval: 'year' } })).data.map((p) => p.id)).toEqual([yearly.id]);

    const clash = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 1799, recurring: { interval: 'month' }, lookup_key: 'premium_monthly' }).catch((e: unknown) => e);
    expect(clash).toMatchObject({ statusCode: 400, param: 'lookup_key' });
    // A new price takes the key over with transfer_lookup_key, as a price change does.
    const repriced = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 1799, recurring: { interval: 'month' }, lookup_key: 'premium_monthly', transfer_lookup_key: true });
    expect((await stripe.prices.list({ lookup_keys: ['premium_monthly'] })).data.map((p) => p.id)).toEqual([repriced.id]);
    expect((await stripe.prices.retrieve(monthly.id)).lookup_key).toBeNull();
    expect(await stripe.prices.update(monthly.id, { active: false })).toMatchObject({ active: false });
    expect((await stripe.prices.list({ product: product.id, active: true })).data).toHaveLength(2);
  });

  it('pages lists newest first with starting_after and auto-pagination', async () => {
    const { stripe } = await start();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await stripe.customers.create({ email: `c${i}@flix.test` })).id);
    const page1 = await stripe.customers.list({ limit: 3 });
    expect(page1).toMatchObject({ object: 'list', has_more: true, url: '/v1/customers' });
    expect(page1.data.map((c) => c.id)).toEqual(ids.slice(-3).reverse());
    const page2 = await stripe.customers.list({ limit: 3, starting_after: page1.data[2].id });
    expect(page2.data.map((c) => c.id)).toEqual(ids.slice(1, 4).reverse());
    const all: string[] = [];
    for await (const c of stripe.customers.list({ limit: 2 })) all.push(c.id);
    expect(all).toEqual([...ids].reverse());
    expect((await stripe.customers.list({ email: 'c3@flix.test' })).data.map((c) => c.id)).toEqual([ids[3]]);
    const found = await stripe.customers.search({ query: "email:'c5@flix.test'" });
    expect(found).toMatchObject({ object: 'search_result', data: [{ id: ids[5] }] });
  });

  it('finds customers by metadata with search, and updates them', async () => {
    const { stripe } = await start();
    const c = await stripe.customers.create({ email: 'm@flix.test', metadata: { userId: 'user-9', tier: 'x' } });
    expect((await stripe.customers.search({ query: "metadata['userId']:'user-9'" })).data.map((x) => x.id)).toEqual([c.id]);
    const updated = await stripe.customers.update(c.id, { name: 'Mia', metadata: { tier: '' } });
    expect(updated).toMatchObject({ name: 'Mia', metadata: { userId: 'user-9' } });
    expect(await stripe.customers.del(c.id)).toEqual({ id: c.id, object: 'customer', deleted: true });
  });
});

describe('events', () => {
  it('lists and retrieves events with the pinned api_version', async () => {
    const h = await harness();
    open.push(h);
    const c = await h.stripe.customers.create({ email: 'e@flix.test' });
    const list = await h.stripe.events.list({ type: 'customer.*' });
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toMatchObject({ type: 'customer.created', api_version: DEFAULT_API_VERSION, data: { object: { id: c.id } }, pending_webhooks: 1 });
    expect((await h.stripe.events.retrieve(list.data[0].id)).id).toBe(list.data[0].id);
  });
});

describe('persistence', () => {
  it('keeps objects, the clock, pending idempotency keys and subscriptions across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stripe-emu-'));
    try {
      const first = await start({ dataDir });
      const price = await monthlyPrice(first.stripe, 'Basic', 899);
      const customer = await first.stripe.customers.create({ email: 'p@flix.test' }, { idempotencyKey: 'persist-1' });
      const session = await first.stripe.checkout.sessions.create({ mode: 'subscription', customer: customer.id, line_items: [{ price: price.id, quantity: 1 }], success_url: 'https://flix.test/ok' });
      const { subscription } = await first.emulator.pay(session.id);
      await first.emulator.advanceClock(5 * DAY);
      const clock = first.emulator.now();
      await first.emulator.close();
      open.splice(0);

      const second = await start({ dataDir });
      expect(second.emulator.now()).toBeGreaterThanOrEqual(clock);
      expect((await second.stripe.subscriptions.retrieve(subscription!)).status).toBe('active');
      expect((await second.stripe.customers.create({ email: 'p@flix.test' }, { idempotencyKey: 'persist-1' })).id).toBe(customer.id);
      // The clock goes on from where it was: the renewal still happens at the period end.
      await second.emulator.advanceClock(30 * DAY);
      expect((await second.stripe.invoices.list({ subscription: subscription! })).data).toHaveLength(2);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
