import { createHash } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestStack, type TestStack } from '../support/stack.js';

// The browser's session: the refresh token lives in an httpOnly cookie set through the gateway
// (Envoy-style transcoding passes gRPC initial metadata back as HTTP headers and forwards the
// Cookie header as metadata), never in a body a page script could read.

let stack: TestStack;
let mongo: MongoClient;
let db: Db;
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);
const uniqueEmail = (tag: string) => `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
const PASSWORD = 'a-long-and-uncommon-passphrase';
const COOKIE = 'REFRESH_TOKEN_DELIVERY_COOKIE';
const MAX_AGE = 30 * 86_400;
const COOKIE_FORMAT = new RegExp(`^flix_refresh=([\\w-]{20,}); Path=/v1/auth; HttpOnly; SameSite=Strict; Max-Age=${MAX_AGE}$`);
const CLEARED = 'flix_refresh=; Path=/v1/auth; HttpOnly; SameSite=Strict; Max-Age=0';

/** The one Set-Cookie of a response, checked against the exact format; returns the token. */
function refreshCookieOf(res: { headers: Headers }): string {
  const cookies = res.headers.getSetCookie();
  expect(cookies).toHaveLength(1);
  const m = COOKIE_FORMAT.exec(cookies[0]!);
  expect(m, cookies[0]).not.toBeNull();
  return m![1]!;
}
const withCookie = (token: string) => ({ cookie: `theme=dark; flix_refresh=${token}` });
const family = async (token: string) => {
  const hash = createHash('sha256').update(token).digest('base64url');
  const doc = await db.collection<{ _id: string; familyId: string }>('refresh_tokens').findOne({ _id: hash });
  return db.collection<{ _id: string; revokedAt: Date | null }>('refresh_tokens').find({ familyId: doc!.familyId }).toArray();
};

beforeAll(async () => {
  stack = await startTestStack();
  mongo = new MongoClient(stack.mongo.url);
  db = mongo.db(stack.identity.db);
});

afterAll(async () => {
  await mongo?.close();
  await stack?.stop();
});

describe('refresh token in an httpOnly cookie, through the gateway', () => {
  it('register and login with cookie delivery → refresh from the cookie rotates it → a replayed cookie revokes the family', async () => {
    const email = uniqueEmail('cookie');
    const reg = await gw('POST', '/v1/auth/register', {
      body: { email, password: PASSWORD, displayName: 'Cookie Monster', preferredLanguage: 'en', refreshTokenDelivery: COOKIE },
    });
    expect(reg.status, JSON.stringify(reg.body)).toBe(200);
    expect(reg.body.refreshToken).toBe('');
    expect(reg.body.accessToken.split('.')).toHaveLength(3);
    expect(reg.headers.get('cache-control')).toBe('no-store');
    refreshCookieOf(reg);

    const login = await gw('POST', '/v1/auth/login', { body: { email, password: PASSWORD, refreshTokenDelivery: COOKIE } });
    expect(login.status).toBe(200);
    expect(login.body.refreshToken).toBe('');
    expect(login.body.user.email).toBe(email);
    expect(login.headers.get('cache-control')).toBe('no-store');
    const first = refreshCookieOf(login);

    // The web app's silent refresh: no body token, only the cookie the browser sends.
    const r1 = await gw('POST', '/v1/auth/refresh', { body: {}, headers: withCookie(first) });
    expect(r1.status, JSON.stringify(r1.body)).toBe(200);
    expect(r1.body.refreshToken).toBe('');
    expect(r1.body.expiresIn).toBe(900);
    expect(r1.body.accessToken).not.toBe(login.body.accessToken);
    expect(r1.headers.get('cache-control')).toBe('no-store');
    const second = refreshCookieOf(r1);
    expect(second).not.toBe(first);
    expect((await gw('GET', '/v1/users/me', { token: r1.body.accessToken })).body.email).toBe(email);

    // The browser goes on: the second cookie is used in its turn.
    const r2 = await gw('POST', '/v1/auth/refresh', { body: {}, headers: withCookie(second) });
    expect(r2.status).toBe(200);
    const third = refreshCookieOf(r2);

    // The spent first cookie comes back (a stolen copy): refused, the family revoked, the cookie cleared…
    const replay = await gw('POST', '/v1/auth/refresh', { body: {}, headers: withCookie(first) });
    expect(replay.status).toBe(401);
    expect(replay.body.message).toContain('already used');
    expect(replay.headers.getSetCookie()).toEqual([CLEARED]);
    expect((await family(third)).every((t) => t.revokedAt !== null)).toBe(true);
    // …so the newest cookie of that sign-in is dead too.
    const newest = await gw('POST', '/v1/auth/refresh', { body: {}, headers: withCookie(third) });
    expect(newest.status).toBe(401);
    expect(newest.headers.getSetCookie()).toEqual([CLEARED]);
  });

  it('a reload that lost a refresh answer keeps the sign-in: the spent cookie is rotated again within the grace period', async () => {
    const email = uniqueEmail('reload');
    expect((await gw('POST', '/v1/auth/register', { body: { email, password: PASSWORD, displayName: 'Rel' } })).status).toBe(200);
    const login = await gw('POST', '/v1/auth/login', { body: { email, password: PASSWORD, refreshTokenDelivery: COOKIE } });
    const first = refreshCookieOf(login);
    // The refresh reaches identity, but the page reloads before its answer (and its cookie) arrive.
    const lost = refreshCookieOf(await gw('POST', '/v1/auth/refresh', { body: {}, headers: withCookie(first) }));
    // The reloaded page still holds the first cookie.
    const again = await gw('POST', '/v1/auth/refresh', { body: {}, headers: withCookie(first) });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    const kept = refreshCookieOf(again);
    expect(kept).not.toBe(lost);
    // Only one branch lives: the lost answer's cookie is revoked, the new one works.
    expect((await gw('POST', '/v1/auth/refresh', { body: {}, headers: withCookie(lost) })).status).toBe(401);
    expect((await gw('POST', '/v1/auth/refresh', { body: {}, headers: withCookie(kept) })).status).toBe(200);
  });

  it('logout takes the token from the cookie, revokes its family and clears the cookie', async () => {
    const email = uniqueEmail('logout');
    expect((await gw('POST', '/v1/auth/register', { body: { email, password: PASSWORD, displayName: 'Lou' } })).status).toBe(200);
    const login = await gw('POST', '/v1/auth/login', { body: { email, password: PASSWORD, refreshTokenDelivery: COOKIE } });
    const token = refreshCookieOf(login);

    const out = await gw('POST', '/v1/auth/logout', { token: login.body.accessToken, body: {}, headers: withCookie(token) });
    expect(out.status, JSON.stringify(out.body)).toBe(200);
    expect(out.body.revokedSessions).toBe(1);
    expect(out.headers.getSetCookie()).toEqual([CLEARED]);
    expect(out.headers.get('cache-control')).toBe('no-store');
    expect((await gw('POST', '/v1/auth/refresh', { body: {}, headers: withCookie(token) })).status).toBe(401);

    // A logout that fails (an unknown token) still tells the browser to forget its cookie.
    const unknown = await gw('POST', '/v1/auth/logout', { token: login.body.accessToken, body: {}, headers: withCookie('not-a-token-of-ours') });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.getSetCookie()).toEqual([CLEARED]);
  });

  it('a refresh with neither a body token nor the cookie is 401 with a clear message', async () => {
    const res = await gw('POST', '/v1/auth/refresh', { body: {}, headers: { cookie: 'theme=dark' } });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe(16);
    expect(res.body.message).toMatch(/no refresh token.*flix_refresh cookie/);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('body delivery is unchanged: tokens in the body, no cookie; a cookie session can switch to the body', async () => {
    const email = uniqueEmail('body');
    const reg = await gw('POST', '/v1/auth/register', { body: { email, password: PASSWORD, displayName: 'Bo' } });
    expect(reg.status).toBe(200);
    expect(reg.body.refreshToken).toMatch(/^[\w-]{20,}$/);
    expect(reg.headers.getSetCookie()).toEqual([]);

    const login = await gw('POST', '/v1/auth/login', { body: { email, password: PASSWORD, refreshTokenDelivery: 'REFRESH_TOKEN_DELIVERY_BODY' } });
    expect(login.body.refreshToken).toMatch(/^[\w-]{20,}$/);
    expect(login.headers.getSetCookie()).toEqual([]);

    const r1 = await gw('POST', '/v1/auth/refresh', { body: { refreshToken: login.body.refreshToken } });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).toMatch(/^[\w-]{20,}$/);
    expect(r1.body.refreshToken).not.toBe(login.body.refreshToken);
    expect(r1.headers.getSetCookie()).toEqual([]);

    // A body token wins over a cookie that happens to be there.
    const viaCookie = await gw('POST', '/v1/auth/login', { body: { email, password: PASSWORD, refreshTokenDelivery: COOKIE } });
    const cookieToken = refreshCookieOf(viaCookie);
    const r2 = await gw('POST', '/v1/auth/refresh', { body: { refreshToken: r1.body.refreshToken }, headers: withCookie(cookieToken) });
    expect(r2.status).toBe(200);
    expect(r2.body.refreshToken).toMatch(/^[\w-]{20,}$/);
    expect(r2.headers.getSetCookie()).toEqual([]);

    // Asking for the body explicitly on a cookie refresh moves the session out of the cookie.
    const r3 = await gw('POST', '/v1/auth/refresh', { body: { refreshTokenDelivery: 'REFRESH_TOKEN_DELIVERY_BODY' }, headers: withCookie(cookieToken) });
    expect(r3.status).toBe(200);
    expect(r3.body.refreshToken).toMatch(/^[\w-]{20,}$/);
    expect(r3.headers.getSetCookie()).toEqual([]);
  });
});
