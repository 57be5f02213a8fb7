/**
 * Idempotency-Key through the real gateway and services (issue 13: a register that timed out at
 * the gateway had been committed, and the client's retry must not create a second anything).
 * Each group of sign-ups comes from its own loopback address, since the gateway allows five
 * registers a minute per address.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { startStripeEmulator, type StripeEmulator } from '@flix/stripe-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startTestStack, type TestStack } from '../support/stack.js';
import { eventually as until } from '@flix/testkit';

const STRIPE = { apiKey: 'sk_test_idempotency', webhookSecret: 'whsec_idempotency' };
const PASSWORD = 'a-long-and-uncommon-passphrase';

let stack: TestStack;
let stripe: StripeEmulator;
let mongo: MongoClient;

interface Answer {
  status: number;
  text: string;
  body: any;
  headers: http.IncomingHttpHeaders;
}

/** One HTTP call to the gateway from a chosen loopback address; the raw text is kept for byte comparisons. */
function send(method: string, path: string, opts: { body?: unknown; token?: string; key?: string; from?: string } = {}): Promise<Answer> {
  const url = new URL(stack.gatewayUrl + path);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = {};
  if (payload !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.key !== undefined) headers['idempotency-key'] = opts.key;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, localAddress: opts.from ?? '127.0.0.1' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, text, body, headers: res.headers });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const newUser = (name: string) => ({ email: `${name}-${randomUUID().slice(0, 8)}@example.com`, password: PASSWORD, displayName: name, preferredLanguage: 'en' });
const usersWithEmail = (email: string) => mongo.db(stack.identity.db).collection('users').countDocuments({ email });
const reasonOf = (a: Answer) => (a.body?.details ?? []).find((d: { reason?: string }) => d.reason)?.reason as string | undefined;
const violationsOf = (a: Answer) => (a.body?.details ?? []).flatMap((d: { fieldViolations?: { field: string }[] }) => d.fieldViolations ?? []);

async function signUp(name: string, from: string) {
  const reg = await send('POST', '/v1/auth/register', { body: newUser(name), from });
  expect(reg.status, reg.text).toBe(200);
  const token: string = reg.body.accessToken;
  const profile = await send('POST', '/v1/users/me/profiles', { token, body: { name: `${name} main` }, from });
  expect(profile.status, profile.text).toBe(200);
  return { token, profileId: profile.body.id as string };
}

let viewer: { token: string; profileId: string };
let other: { token: string; profileId: string };

beforeAll(async () => {
  stripe = await startStripeEmulator({ port: 0, ...STRIPE, webhookRetry: { maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 200 } });
  stack = await startTestStack({}, { billing: { STRIPE_API_BASE: stripe.url, STRIPE_SECRET_KEY: STRIPE.apiKey, STRIPE_WEBHOOK_SECRET: STRIPE.webhookSecret } });
  stripe.setWebhookUrl(`${stack.gatewayUrl}/webhooks/stripe`);
  mongo = new MongoClient(stack.mongo.url);
  viewer = await signUp('viewer', '127.0.0.20');
  other = await signUp('other', '127.0.0.20');
}, 120_000);

afterAll(async () => {
  await mongo?.close();
  await stack?.stop();
  await stripe?.close();
});

describe('register retried with an Idempotency-Key', () => {
  it('creates one user; the retry gets the same body and Set-Cookie, marked idempotent-replayed', async () => {
    const from = '127.0.0.11';
    // The web app's form: the refresh token comes back as an httpOnly cookie.
    const user = { ...newUser('retry'), refreshTokenDelivery: 'REFRESH_TOKEN_DELIVERY_COOKIE' };
    const key = randomUUID();
    const first = await send('POST', '/v1/auth/register', { body: user, key, from });
    expect(first.status, first.text).toBe(200);
    expect(first.headers['set-cookie']).toEqual([expect.stringContaining('flix_refresh=')]);
    const retry = await send('POST', '/v1/auth/register', { body: user, key, from });
    expect(retry.status, retry.text).toBe(200);
    expect(retry.text).toBe(first.text);
    expect(retry.headers['set-cookie']).toEqual(first.headers['set-cookie']);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(await usersWithEmail(user.email)).toBe(1);
    // The tokens handed out twice are one session: the replayed access token works.
    expect((await send('GET', '/v1/users/me', { token: retry.body.accessToken, from })).body.email).toBe(user.email);
    // Without the key the same retry is what issue 13 saw: the account exists, so 409.
    expect((await send('POST', '/v1/auth/register', { body: user, from })).status).toBe(409);
  });

  it('the same key with a different body is 400 naming the Idempotency-Key header, and creates nothing', async () => {
    const from = '127.0.0.12';
    const key = randomUUID();
    const a = newUser('first');
    const b = newUser('second');
    expect((await send('POST', '/v1/auth/register', { body: a, key, from })).status).toBe(200);
    const reused = await send('POST', '/v1/auth/register', { body: b, key, from });
    expect(reused.status, reused.text).toBe(400);
    expect(reused.body.message).toContain('Idempotency-Key');
    expect(reasonOf(reused)).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(violationsOf(reused)).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
    expect(await usersWithEmail(b.email)).toBe(0);
  });

  it('a malformed key is 400 naming the header, and creates nothing', async () => {
    const user = newUser('badkey');
    const bad = await send('POST', '/v1/auth/register', { body: user, key: 'k'.repeat(256), from: '127.0.0.13' });
    expect(bad.status, bad.text).toBe(400);
    expect(bad.body.message).toContain('Idempotency-Key');
    expect(reasonOf(bad)).toBe('INVALID_IDEMPOTENCY_KEY');
    expect(await usersWithEmail(user.email)).toBe(0);
  });

  it('two at once with the same key: one user; the other waits (409 IN_USE with a retry delay) or gets the same answer', async () => {
    const from = '127.0.0.14';
    const user = newUser('race');
    const key = randomUUID();
    const both = await Promise.all([send('POST', '/v1/auth/register', { body: user, key, from }), send('POST', '/v1/auth/register', { body: user, key, from })]);
    const ok = both.filter((r) => r.status === 200);
    const busy = both.filter((r) => r.status !== 200);
    expect(ok.length, both.map((r) => r.text).join('\n')).toBeGreaterThanOrEqual(1);
    for (const r of busy) {
      expect(r.status, r.text).toBe(409);
      expect(reasonOf(r)).toBe('IDEMPOTENCY_KEY_IN_USE');
      expect(r.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ '@type': 'type.googleapis.com/google.rpc.RetryInfo' })]));
    }
    if (ok.length === 2) expect(ok[1]!.text).toBe(ok[0]!.text);
    expect(await usersWithEmail(user.email)).toBe(1);
    // The loser's retry is answered from the winner.
    const retry = await send('POST', '/v1/auth/register', { body: user, key, from });
    expect(retry.text).toBe(ok[0]!.text);
    expect(retry.headers['idempotent-replayed']).toBe('true');
  });
});

describe('reads', () => {
  it('ignore the key, even a malformed one', async () => {
    for (let i = 0; i < 2; i++) {
      const plans = await send('GET', '/v1/plans', { key: 'k'.repeat(300) });
      expect(plans.status, plans.text).toBe(200);
      expect(plans.headers['idempotent-replayed']).toBeUndefined();
      const me = await send('GET', '/v1/users/me', { token: viewer.token, key: 'same-key' });
      expect(me.status, me.text).toBe(200);
      expect(me.headers['idempotent-replayed']).toBeUndefined();
    }
  });
});

describe('a rating retried with its key', () => {
  const MOVIE = 'demo-000002';

  it('is stored once and answered the same; another account reusing the key gets its own answer', async () => {
    const key = randomUUID();
    const path = `/v1/movies/${MOVIE}/rating`;
    const first = await send('PUT', path, { token: viewer.token, key, body: { profileId: viewer.profileId, stars: 4, review: 'Retried review.' } });
    expect(first.status, first.text).toBe(200);
    const retry = await send('PUT', path, { token: viewer.token, key, body: { profileId: viewer.profileId, stars: 4, review: 'Retried review.' } });
    expect(retry.status).toBe(200);
    // Byte for byte, update time included: the handler did not run again.
    expect(retry.text).toBe(first.text);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const list = await send('GET', `/v1/ratings?profileId=${viewer.profileId}&pageSize=10`, { token: viewer.token });
    expect(list.body.ratings.filter((r: { movieId: string }) => r.movieId === MOVIE)).toHaveLength(1);

    // The same key from another account is another key: its own rating, not the first answer.
    const theirs = await send('PUT', path, { token: other.token, key, body: { profileId: other.profileId, stars: 2 } });
    expect(theirs.status, theirs.text).toBe(200);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(theirs.body).toMatchObject({ profileId: other.profileId, stars: 2 });
    expect(theirs.text).not.toContain(viewer.profileId);
    // And anonymously the same key does not reach either answer (the call needs a token: 401).
    expect((await send('PUT', path, { key, body: { profileId: viewer.profileId, stars: 4, review: 'Retried review.' } })).status).toBe(401);
  });
});

describe('billing retried with its key', () => {
  it('a rental is created once; the retry gets the same checkout', async () => {
    const admin = (await send('POST', '/v1/auth/login', { body: ADMIN })).body.accessToken as string;
    const page = await send('GET', '/v1/movies?pageSize=100', { token: admin });
    const rentable = page.body.movies.find((m: { rentalPrice?: { amountMinor: string } }) => m.rentalPrice && Number(m.rentalPrice.amountMinor) > 0);
    expect(rentable).toBeTruthy();
    const key = randomUUID();
    const first = await send('POST', '/v1/rentals', { token: viewer.token, key, body: { movieId: rentable.id } });
    expect(first.status, first.text).toBe(200);
    const retry = await send('POST', '/v1/rentals', { token: viewer.token, key, body: { movieId: rentable.id } });
    expect(retry.text).toBe(first.text);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const rentals = await until(() => send('GET', '/v1/rentals', { token: viewer.token }), (r) => r.status === 200, 'rentals');
    expect(rentals.body.rentals).toHaveLength(1);
  });

  it('a checkout session is created once; the retry gets the same session', async () => {
    const key = randomUUID();
    const body = { planId: 'standard-monthly', successUrl: 'https://app.test/ok', cancelUrl: 'https://app.test/no' };
    const first = await send('POST', '/v1/checkout/sessions', { token: other.token, key, body });
    expect(first.status, first.text).toBe(200);
    const retry = await send('POST', '/v1/checkout/sessions', { token: other.token, key, body });
    expect(retry.text).toBe(first.text);
    expect(retry.headers['idempotent-replayed']).toBe('true');
  });
});
