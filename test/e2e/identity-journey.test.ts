import { request } from 'node:http';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, call, startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
let mongo: MongoClient;
let db: Db;
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);
/** A JSON POST through the gateway from a given local address (127.0.0.0/8 all reaches 127.0.0.1). */
function gwFrom(localAddress: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const url = new URL(path, stack.gatewayUrl);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
const uniqueEmail = (tag: string) => `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
const PASSWORD = 'a-long-and-uncommon-passphrase';

async function register(email = uniqueEmail('user'), extra: Record<string, unknown> = {}) {
  const res = await gw('POST', '/v1/auth/register', {
    body: { email, password: PASSWORD, displayName: 'Ann Lee', preferredLanguage: 'en', ...extra },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { user: { id: string; email: string }; accessToken: string; refreshToken: string; expiresIn: number };
}

/** Signs a token with identity's real current key, to forge claims the service must still reject. */
async function signWithServiceKey(claims: Record<string, unknown>, opts: { exp: number; aud?: string; iss?: string }) {
  const key = await db.collection<{ _id: string; privateJwk: JWK }>('signing_keys').find().sort({ createdAt: -1 }).limit(1).next();
  const priv = await importJWK(key!.privateJwk, 'EdDSA');
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: key!._id })
    .setIssuer(opts.iss ?? 'flix-identity')
    .setAudience(opts.aud ?? 'flix-api')
    .setSubject(String(claims.sub ?? 'nobody'))
    .setIssuedAt(opts.exp - 900)
    .setExpirationTime(opts.exp)
    .sign(priv);
}

const counts = async () => ({
  users: await db.collection('users').countDocuments(),
  outbox: await db.collection('outbox').countDocuments(),
  tokens: await db.collection('refresh_tokens').countDocuments(),
});

beforeAll(async () => {
  // A short key propagation delay; the gateway has cached the JWKS well before it ends.
  // A long first login delay: the gateway test runs on the real clock, however slow the machine.
  stack = await startTestStack({ FLIX_SIGNING_KEY_PROPAGATION_SECONDS: '6', FLIX_LOGIN_BASE_DELAY_SECONDS: '120', FLIX_OAUTH_CLIENTS: 'svc-billing:billing-secret-0123456789:catalog.read entitlements.check' });
  mongo = new MongoClient(stack.mongo.url);
  db = mongo.db(stack.identity.db);
});

afterAll(async () => {
  await mongo?.close();
  await stack?.stop();
});

describe('the identity journey through the gateway', () => {
  it('register → login → me → refresh → replayed refresh token revokes the family → logout', async () => {
    const email = uniqueEmail('journey');
    const reg = await register(email.toUpperCase());
    expect(reg.user.email).toBe(email);
    expect(reg.expiresIn).toBe(900);
    expect(reg.accessToken.split('.')).toHaveLength(3);

    const login = await gw('POST', '/v1/auth/login', { body: { email, password: PASSWORD } });
    expect(login.status).toBe(200);
    expect(login.body.user.roles).toEqual(['ROLE_VIEWER']);

    const me = await gw('GET', '/v1/users/me', { token: login.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: reg.user.id, email, displayName: 'Ann Lee', preferredLanguage: 'en' });
    expect(me.body.createTime).toMatch(/^\d{4}-\d\d-\d\dT/);

    const r1 = await gw('POST', '/v1/auth/refresh', { body: { refreshToken: login.body.refreshToken } });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(login.body.refreshToken);

    const r2 = await gw('POST', '/v1/auth/refresh', { body: { refreshToken: r1.body.refreshToken } });
    expect(r2.status).toBe(200);

    // The spent first token comes back after its successor was used: a thief or a bug. Refuse
    // it and revoke the whole family…
    const replay = await gw('POST', '/v1/auth/refresh', { body: { refreshToken: login.body.refreshToken } });
    expect(replay.status).toBe(401);
    expect(replay.body.message).toContain('already used');
    // …so the legitimate newest token of that family is dead too.
    const afterReplay = await gw('POST', '/v1/auth/refresh', { body: { refreshToken: r2.body.refreshToken } });
    expect(afterReplay.status).toBe(401);

    // The other sign-in (from registration) is a different family and still works; logging it out revokes it.
    const out = await gw('POST', '/v1/auth/logout', { token: reg.accessToken, body: { refreshToken: reg.refreshToken } });
    expect(out.status).toBe(200);
    expect(out.body.revokedSessions).toBe(1);
    expect((await gw('POST', '/v1/auth/refresh', { body: { refreshToken: reg.refreshToken } })).status).toBe(401);
  });

  it('gives one generic answer for an unknown e-mail and a wrong password', async () => {
    const { user } = await register();
    const wrong = await gw('POST', '/v1/auth/login', { body: { email: user.email, password: 'not-the-password-at-all' } });
    const unknown = await gw('POST', '/v1/auth/login', { body: { email: uniqueEmail('ghost'), password: 'not-the-password-at-all' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.message).toBe(unknown.body.message);
  });

  it("delays a stranger's guesses with 429 + RetryInfo while the owner signs in from another address", async () => {
    const { user } = await register();
    // The stranger connects from 127.0.0.2: the gateway appends that peer to x-forwarded-for,
    // and a forged x-forwarded-for from the client cannot move it off that address.
    const stranger = (password: string) =>
      gwFrom('127.0.0.2', '/v1/auth/login', { email: user.email, password }, { 'x-forwarded-for': '127.0.0.1' });
    const seen: number[] = [];
    for (let i = 0; i < 12; i++) seen.push((await stranger(`wrong-password-${i}`)).status);
    // Three free failures, a fourth that earns a wait (120 s here), refusals while it runs.
    expect(seen).toEqual([401, 401, 401, 401, 429, 429, 429, 429, 429, 429, 429, 429]);
    const throttled = await stranger(PASSWORD);
    expect(throttled.status).toBe(429);
    expect(throttled.body.code).toBe(8);
    const [, left] = /^too many failed sign-in attempts; try again in (\d+) seconds$/.exec(throttled.body.message) ?? [];
    expect(Number(left)).toBeGreaterThan(90);
    expect(Number(left)).toBeLessThanOrEqual(120);
    const retry = throttled.body.details.find((d: { '@type': string }) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo');
    expect(retry.retryDelay).toBe(`${left}s`);
    expect(JSON.stringify(throttled.body)).not.toContain(user.email);

    // The owner, from 127.0.0.1, is not held back by any of it.
    const owner = await gw('POST', '/v1/auth/login', { body: { email: user.email, password: PASSWORD } });
    expect(owner.status).toBe(200);
  });

  it('refuses a duplicate e-mail with 409 and stores nothing new', async () => {
    const email = uniqueEmail('dup');
    await register(email);
    const before = await counts();
    const again = await gw('POST', '/v1/auth/register', { body: { email: ` ${email.toUpperCase()} `, password: PASSWORD, displayName: 'Bob' } });
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('email');
    expect(await counts()).toEqual(before);
  });
});

describe('bad input gets a clear error and leaves no trace', () => {
  it.each([
    ['malformed JSON', { rawBody: '{"email": "a@b.c", ' }, 400, /json|parse|unexpected/i],
    ['a wrongly typed field', { body: { email: 'x@example.com', password: 12345, displayName: 'X' } }, 400, /password/i],
    ['an unknown field', { body: { email: 'x@example.com', password: PASSWORD, displayName: 'X', isAdmin: true } }, 400, /isAdmin/],
    ['a missing e-mail', { body: { password: PASSWORD, displayName: 'X' } }, 400, /email: is required/],
    ['a bad e-mail', { body: { email: 'not-an-email', password: PASSWORD, displayName: 'X' } }, 400, /email: is not a valid/],
    ['a short password', { body: { email: 'x@example.com', password: 'short', displayName: 'X' } }, 400, /password: must be at least 10/],
    ['a common password', { body: { email: 'x@example.com', password: 'password1234', displayName: 'X' } }, 400, /password: is too common/],
    ['a missing display name', { body: { email: 'x@example.com', password: PASSWORD } }, 400, /displayName: is required/],
    ['a bad language tag', { body: { email: 'x@example.com', password: PASSWORD, displayName: 'X', preferredLanguage: 'english!' } }, 400, /preferredLanguage/],
  ])('register with %s → %i', async (_name, opts, status, message) => {
    const before = await counts();
    const res = await gw('POST', '/v1/auth/register', opts as Parameters<typeof call>[3]);
    expect(res.status).toBe(status);
    expect(res.body.message).toMatch(message);
    expect(await counts()).toEqual(before);
  });

  it('reports every bad field at once, with BadRequest details', async () => {
    const res = await gw('POST', '/v1/auth/register', { body: { email: 'nope', password: 'short', displayName: '' } });
    expect(res.status).toBe(400);
    const badRequest = res.body.details.find((d: { '@type': string }) => d['@type'].endsWith('google.rpc.BadRequest'));
    expect(badRequest.fieldViolations.map((v: { field: string }) => v.field).sort()).toEqual(['displayName', 'email', 'password']);
    const info = res.body.details.find((d: { '@type': string }) => d['@type'].endsWith('google.rpc.ErrorInfo'));
    expect(info).toMatchObject({ reason: 'INVALID_ARGUMENT', domain: 'flix.identity' });
  });

  it('refuses an oversized body with 413', async () => {
    const before = await counts();
    const res = await gw('POST', '/v1/auth/register', { body: { email: 'big@example.com', password: PASSWORD, displayName: 'x'.repeat(2 * 1024 * 1024) } });
    expect(res.status).toBe(413);
    expect(await counts()).toEqual(before);
  });

  describe('tokens', () => {
    let userId: string;
    beforeAll(async () => {
      userId = (await register()).user.id;
    });
    const now = () => Math.floor(Date.now() / 1000);

    it('no token on a protected route → 401', async () => {
      const res = await gw('GET', '/v1/users/me');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe(16);
      expect(res.body.message).toMatch(/missing/i);
    });

    it('an expired token → 401', async () => {
      const token = await signWithServiceKey({ sub: userId, roles: ['viewer'] }, { exp: now() - 3600 });
      const res = await gw('GET', '/v1/users/me', { token });
      expect(res.status).toBe(401);
      expect(res.body.message).toMatch(/expired/i);
    });

    it('a token for another audience → 403, as Envoy jwt_authn answers', async () => {
      const token = await signWithServiceKey({ sub: userId, roles: ['viewer'] }, { exp: now() + 600, aud: 'someone-else' });
      const res = await gw('GET', '/v1/users/me', { token });
      expect(res.status).toBe(403);
      expect(res.body.message).toMatch(/audience/i);
    });

    it('an unsigned (alg: none) token → 401', async () => {
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: userId, iss: 'flix-identity', aud: 'flix-api', exp: now() + 600, roles: ['admin'] })}.`;
      const res = await gw('GET', '/v1/users/me', { token });
      expect(res.status).toBe(401);
    });

    it('a token signed by an unknown key → 401', async () => {
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      const token = await new SignJWT({ roles: ['admin'] })
        .setProtectedHeader({ alg: 'EdDSA', kid: 'attacker' })
        .setIssuer('flix-identity')
        .setAudience('flix-api')
        .setSubject(userId)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(privateKey);
      const res = await gw('GET', '/v1/users/me', { token });
      expect(res.status).toBe(401);
    });
  });
});

describe('profiles, admin and keys', () => {
  it('manages up to five profiles, kids profiles capped at PG', async () => {
    const { accessToken: token } = await register();
    const list = await gw('GET', '/v1/users/me/profiles', { token });
    expect(list.body.profiles).toHaveLength(1);
    const kids = await gw('POST', '/v1/users/me/profiles', { token, body: { name: 'Kids', kids: true, maxMaturity: 'MATURITY_RATING_R' } });
    expect(kids.status).toBe(200);
    expect(kids.body.maxMaturity).toBe('MATURITY_RATING_PG');
    const renamed = await gw('PATCH', `/v1/users/me/profiles/${kids.body.id}?updateMask=name`, { token, body: { name: 'Little ones' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Little ones', kids: true });
    for (const name of ['A', 'B', 'C']) expect((await gw('POST', '/v1/users/me/profiles', { token, body: { name } })).status).toBe(200);
    const sixth = await gw('POST', '/v1/users/me/profiles', { token, body: { name: 'F' } });
    expect(sixth.status).toBe(400);
    expect(sixth.body.message).toContain('at most 5');
    expect((await gw('DELETE', `/v1/users/me/profiles/${kids.body.id}`, { token })).status).toBe(200);
    expect((await gw('GET', '/v1/users/me/profiles', { token })).body.profiles).toHaveLength(4);
  });

  it('updates me with a field mask and rejects unknown mask paths', async () => {
    const { accessToken: token } = await register();
    const ok = await gw('PATCH', '/v1/users/me?updateMask=displayName,preferredLanguage', { token, body: { displayName: 'Ann B.', preferredLanguage: 'pt-BR' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ displayName: 'Ann B.', preferredLanguage: 'pt-BR' });
    const bad = await gw('PATCH', '/v1/users/me?updateMask=email', { token, body: { email: 'x@y.z' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('updateMask');
  });

  it('admin routes refuse viewers (403) and serve admins', async () => {
    const { accessToken: viewer, user } = await register();
    const denied = await gw('GET', '/v1/admin/users', { token: viewer });
    expect(denied.status).toBe(403);
    const admin = await gw('POST', '/v1/auth/login', { body: ADMIN });
    expect(admin.status).toBe(200);
    const page = await gw('GET', '/v1/admin/users?pageSize=2', { token: admin.body.accessToken });
    expect(page.status).toBe(200);
    expect(page.body.users).toHaveLength(2);
    expect(page.body.nextPageToken).not.toBe('');
    expect(page.body.totalSize).toBeGreaterThan(2);
    const next = await gw('GET', `/v1/admin/users?pageSize=2&pageToken=${page.body.nextPageToken}`, { token: admin.body.accessToken });
    expect(next.body.users[0].id).not.toBe(page.body.users[0].id);
    const promoted = await gw('POST', `/v1/admin/users/${user.id}:setRoles`, { token: admin.body.accessToken, body: { roles: ['ROLE_VIEWER', 'ROLE_ADMIN'] } });
    expect(promoted.status).toBe(200);
    expect(promoted.body.roles).toEqual(['ROLE_ADMIN', 'ROLE_VIEWER']);
  });

  it('rotates signing keys: published first, signing after the delay, old tokens keep working', async () => {
    const admin = await gw('POST', '/v1/auth/login', { body: ADMIN });
    const oldToken = admin.body.accessToken as string;
    const kidOf = (t: string) => JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()).kid as string;
    const rotated = await gw('POST', '/v1/admin/signing-keys:rotate', { token: oldToken, body: {} });
    expect(rotated.status).toBe(200);
    expect(Date.parse(rotated.body.activateTime)).toBeGreaterThan(Date.now());
    const jwks = await gw('GET', '/.well-known/jwks.json');
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toEqual(expect.arrayContaining([rotated.body.kid, kidOf(oldToken)]));
    // Until activation, logins still get tokens from the old key.
    expect(kidOf((await gw('POST', '/v1/auth/login', { body: ADMIN })).body.accessToken)).toBe(kidOf(oldToken));
    let fresh = '';
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      fresh = (await gw('POST', '/v1/auth/login', { body: ADMIN })).body.accessToken;
      if (kidOf(fresh) === rotated.body.kid) break;
    }
    expect(kidOf(fresh)).toBe(rotated.body.kid);
    expect((await gw('GET', '/v1/users/me', { token: fresh })).status).toBe(200);
    expect((await gw('GET', '/v1/users/me', { token: oldToken })).status).toBe(200);
  });
});

describe('OAuth2 endpoints', () => {
  const form = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${stack.gatewayUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });

  it('password and refresh_token grants', async () => {
    const { user } = await register();
    const res = await form({ grant_type: 'password', username: user.email, password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { access_token: string; refresh_token: string; token_type: string };
    expect(body.token_type).toBe('Bearer');
    const refreshed = await form({ grant_type: 'refresh_token', refresh_token: body.refresh_token });
    expect(refreshed.status).toBe(200);
    const bad = await form({ grant_type: 'password', username: user.email, password: 'wrong-wrong-wrong' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('client_credentials for internal services', async () => {
    const basic = Buffer.from('svc-billing:billing-secret-0123456789').toString('base64');
    const res = await form({ grant_type: 'client_credentials', scope: 'entitlements.check' }, { authorization: `Basic ${basic}` });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; scope: string };
    expect(body.scope).toBe('entitlements.check');
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'svc-billing', roles: ['service'] });
    const wrong = await form({ grant_type: 'client_credentials' }, { authorization: `Basic ${Buffer.from('svc-billing:nope').toString('base64')}` });
    expect(wrong.status).toBe(401);
    // A grant Flix does not offer (authorization_code is offered: test/e2e/oauth.test.ts).
    const unsupported = await form({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer' });
    expect(((await unsupported.json()) as { error: string }).error).toBe('unsupported_grant_type');
  });

  it('publishes discovery metadata', async () => {
    const res = await gw('GET', '/.well-known/openid-configuration');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ issuer: 'flix-identity', grant_types_supported: expect.arrayContaining(['client_credentials']) });
    expect(res.body.jwks_uri).toMatch(/\/\.well-known\/jwks\.json$/);
  });
});

describe('events', () => {
  it('announces registrations and audits logins on the IDENTITY stream, never with the password', async () => {
    const nc = await connect({ servers: stack.nats.url });
    try {
      const email = uniqueEmail('events');
      const { user } = await register(email);
      await gw('POST', '/v1/auth/login', { body: { email, password: 'definitely-wrong-pass' } });
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      const found = new Map<string, { data: string; headers: Record<string, string> }>();
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !(found.has('identity.user.registered') && found.has('identity.auth.login_failed'))) {
        const info = await jsm.streams.info('IDENTITY');
        for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
          const m = await jsm.streams.getMessage('IDENTITY', { seq }).catch(() => null);
          if (!m || !m.string().includes(email)) continue;
          found.set(m.subject, { data: m.string(), headers: { id: m.header?.get('Nats-Msg-Id') ?? '', type: m.header?.get('Flix-Event-Type') ?? '' } });
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      void js;
      const registered = found.get('identity.user.registered');
      expect(registered).toBeDefined();
      expect(JSON.parse(registered!.data)).toMatchObject({ userId: user.id, email, displayName: 'Ann Lee' });
      expect(registered!.headers.type).toBe('flix.identity.v1.UserRegistered');
      expect(registered!.headers.id).toBe(JSON.parse(registered!.data).eventId);
      const failed = found.get('identity.auth.login_failed');
      expect(JSON.parse(failed!.data)).toMatchObject({ email, reason: 'LOGIN_FAILURE_REASON_BAD_CREDENTIALS' });
      expect(failed!.data).not.toContain('definitely-wrong-pass');
    } finally {
      await nc.close();
    }
  });
});
