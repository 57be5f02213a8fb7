import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestStack, type TestStack } from '../support/stack.js';

// The account flows as a client sees them: JSON over HTTP through the gateway (public routes
// without a token, the rest with one). Reset and verification tokens are read from identity's
// outbox, where the notifications service gets them (the mail itself is tested with maildev in
// the notifications tests).
let stack: TestStack;
let mongo: MongoClient;
let db: Db;
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const PASSWORD = 'a-long-and-uncommon-passphrase';
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);
const uniqueEmail = (tag: string) => `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;

async function register(email: string) {
  const res = await gw('POST', '/v1/auth/register', { body: { email, password: PASSWORD, displayName: 'Ann Lee', preferredLanguage: 'en' }, headers: { 'user-agent': FIREFOX } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { user: { id: string; email: string; emailVerified?: boolean }; accessToken: string; refreshToken: string };
}

async function login(email: string, password = PASSWORD) {
  const res = await gw('POST', '/v1/auth/login', { body: { email, password } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { accessToken: string; refreshToken: string };
}

async function lastToken(subject: string, userId: string): Promise<string> {
  const entries = await db.collection('outbox').find({ subject }).sort({ _id: -1 }).toArray();
  const data = entries.map((e) => JSON.parse(String(e.data)) as { userId: string; token: string }).find((d) => d.userId === userId);
  if (!data) throw new Error(`no ${subject} for ${userId}`);
  return data.token;
}

beforeAll(async () => {
  stack = await startTestStack();
  mongo = new MongoClient(stack.mongo.url);
  db = mongo.db(stack.identity.db);
});

afterAll(async () => {
  await mongo?.close();
  await stack?.stop();
});

describe('account flows through the gateway', () => {
  it('forgot (same 200 for known and unknown) → reset → old refresh tokens refused → reused link refused', async () => {
    const email = uniqueEmail('forgot');
    const reg = await register(email);
    const known = await gw('POST', '/v1/auth/password:forgot', { body: { email } });
    const unknown = await gw('POST', '/v1/auth/password:forgot', { body: { email: uniqueEmail('nobody') } });
    expect(known.status).toBe(200);
    expect(unknown.status).toBe(200);
    expect(known.body).toEqual(unknown.body);

    const token = await lastToken('identity.user.password_reset_requested', reg.user.id);
    const weak = await gw('POST', '/v1/auth/password:reset', { body: { token, newPassword: 'short' } });
    expect(weak.status).toBe(400);
    expect(JSON.stringify(weak.body)).toContain('newPassword');

    const NEW = 'a-brand-new-uncommon-passphrase';
    const reset = await gw('POST', '/v1/auth/password:reset', { body: { token, newPassword: NEW } });
    expect(reset.status, JSON.stringify(reset.body)).toBe(200);
    expect(reset.body).toEqual({ revokedSessions: 1 });
    const refresh = await gw('POST', '/v1/auth/refresh', { body: { refreshToken: reg.refreshToken } });
    expect(refresh.status).toBe(401);
    const again = await gw('POST', '/v1/auth/password:reset', { body: { token, newPassword: 'yet-another-uncommon-passphrase' } });
    expect(again.status).toBe(400);
    expect(JSON.stringify(again.body)).toContain('RESET_TOKEN_INVALID');
    await login(email, NEW);
  });

  it('verify e-mail (public link), change password keeps this browser signed in, devices list and sign-out', async () => {
    const email = uniqueEmail('account');
    const web = await register(email);
    expect(web.user.emailVerified ?? false).toBe(false);
    const token = await lastToken('identity.user.email_verification_requested', web.user.id);
    const verified = await gw('POST', '/v1/auth/email:verify', { body: { token } });
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);
    expect(verified.body).toMatchObject({ email, emailVerified: true });

    const tv = await login(email);
    const devices = await gw('GET', '/v1/users/me/devices', { token: web.accessToken });
    expect(devices.status, JSON.stringify(devices.body)).toBe(200);
    const list = devices.body.devices as { id: string; name: string; current?: boolean; approximateLocation: string }[];
    expect(list).toHaveLength(2);
    const mine = list.find((d) => d.current)!;
    expect(mine.name).toBe('Firefox on Linux');
    expect(mine.approximateLocation).toMatch(/\/(24|48)$/);

    const other = list.find((d) => !d.current)!;
    const out = await gw('DELETE', `/v1/users/me/devices/${other.id}`, { token: web.accessToken });
    expect(out.status, JSON.stringify(out.body)).toBe(200);
    expect((await gw('POST', '/v1/auth/refresh', { body: { refreshToken: tv.refreshToken } })).status).toBe(401);
    expect((await gw('DELETE', `/v1/users/me/devices/${other.id}`, { token: web.accessToken })).status).toBe(404);

    const phone = await login(email);
    const wrong = await gw('POST', '/v1/users/me/password:change', { token: web.accessToken, body: { currentPassword: 'not-the-password-at-all', newPassword: 'a-brand-new-uncommon-passphrase' } });
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(wrong.body)).toContain('currentPassword');
    const changed = await gw('POST', '/v1/users/me/password:change', { token: web.accessToken, body: { currentPassword: PASSWORD, newPassword: 'a-brand-new-uncommon-passphrase' } });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toEqual({ revokedSessions: 1 });
    // This browser (known by its access token's sid) stays signed in; the phone is signed out.
    expect((await gw('POST', '/v1/auth/refresh', { body: { refreshToken: web.refreshToken } })).status).toBe(200);
    expect((await gw('POST', '/v1/auth/refresh', { body: { refreshToken: phone.refreshToken } })).status).toBe(401);
  });
});
