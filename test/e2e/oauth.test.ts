/**
 * OAuth 2.1 through the gateway, as a third-party app, a TV and a viewer use it: the
 * authorization code flow with PKCE (the consent page's calls made as the JSON API the web app
 * uses) and the device authorization grant (RFC 8628), plus the discovery document.
 */
import { createHash, randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestStack, type TestStack } from '../support/stack.js';

const PASSWORD = 'a-long-and-uncommon-passphrase';
const CALLBACK = 'https://guide.example/callback';
const GUIDE = { id: 'tv-guide', name: 'TV Guide', redirectUris: [CALLBACK], scopes: ['profile', 'library'], grants: ['authorization_code'] };
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

let stack: TestStack;
let mongo: MongoClient;
let db: Db;
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function viewer(): Promise<string> {
  const email = `oauth-${Date.now()}-${randomBytes(3).toString('hex')}@example.com`;
  const res = await gw('POST', '/v1/auth/register', { body: { email, password: PASSWORD, displayName: 'Vi Ewer', preferredLanguage: 'en' } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.accessToken as string;
}

/** A form POST to the gateway's /oauth/* (plain HTTP, not the JSON API). */
async function form(path: string, fields: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(stack.gatewayUrl + path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  return { status: res.status, body: await res.json() };
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** What the app puts in the authorization URL; the consent page passes the same fields on. */
function authorizationQuery(challenge: string, state: string) {
  return { response_type: 'code', client_id: GUIDE.id, redirect_uri: CALLBACK, scope: 'profile library', state, code_challenge: challenge, code_challenge_method: 'S256' };
}
const asJson = (q: Record<string, string>) => ({
  responseType: q.response_type,
  clientId: q.client_id,
  redirectUri: q.redirect_uri,
  scope: q.scope,
  state: q.state,
  codeChallenge: q.code_challenge,
  codeChallengeMethod: q.code_challenge_method,
});

beforeAll(async () => {
  stack = await startTestStack({
    FLIX_OAUTH_APPS: JSON.stringify([GUIDE]),
    // One second between device polls, so that honouring slow_down (+5 s) keeps the test short.
    FLIX_OAUTH_DEVICE_POLL_INTERVAL_SECONDS: '1',
  });
  mongo = new MongoClient(stack.mongo.url);
  db = mongo.db(stack.identity.db);
});

afterAll(async () => {
  await mongo?.close();
  await stack?.stop();
});

describe('authorization code with PKCE through the gateway', () => {
  it('authorize → consent → code → tokens; wrong verifier and redirect_uri refused; the code works once', async () => {
    const token = await viewer();
    const { verifier, challenge } = pkce();
    const query = authorizationQuery(challenge, 'xyz-state');

    // The app sends the browser to /oauth/authorize; identity sends it on to the web app's consent page.
    const start = await fetch(`${stack.gatewayUrl}/oauth/authorize?${new URLSearchParams(query)}`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const consent = new URL(start.headers.get('location')!);
    expect(`${consent.origin}${consent.pathname}`).toBe(`${stack.gatewayUrl}/oauth/consent`);
    expect(Object.fromEntries(consent.searchParams)).toEqual(query);

    // The consent page (signed in) asks what is requested, then approves.
    const preview = await gw('POST', '/v1/oauth/authorizations:preview', { token, body: asJson(query) });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body).toMatchObject({ client: { clientId: 'tv-guide', displayName: 'TV Guide' }, scopes: [{ name: 'profile' }, { name: 'library' }] });
    expect(preview.body.consentGiven ?? false).toBe(false);
    const approved = await gw('POST', '/v1/oauth/authorizations', { token, body: asJson(query) });
    expect(approved.status).toBe(200);
    const callback = new URL(approved.body.redirectTo);
    expect(`${callback.origin}${callback.pathname}`).toBe(CALLBACK);
    expect(callback.searchParams.get('state')).toBe('xyz-state');
    expect(callback.searchParams.get('iss')).toBeTruthy();
    const code = callback.searchParams.get('code')!;

    // The app's back end exchanges the code.
    const exchange = { grant_type: 'authorization_code', client_id: GUIDE.id, code, redirect_uri: CALLBACK };
    const wrongVerifier = await form('/oauth/token', { ...exchange, code_verifier: pkce().verifier });
    expect(wrongVerifier).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const wrongRedirect = await form('/oauth/token', { ...exchange, redirect_uri: 'https://guide.example/other', code_verifier: verifier });
    expect(wrongRedirect).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const tokens = await form('/oauth/token', { ...exchange, code_verifier: verifier });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', scope: 'profile library' });
    const me = await gw('GET', '/v1/users/me', { token: tokens.body.access_token });
    expect(me.status).toBe(200);

    // The same code again: refused, and the tokens it gave are revoked.
    const replay = await form('/oauth/token', { ...exchange, code_verifier: verifier });
    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const refresh = await form('/oauth/token', { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token });
    expect(refresh).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    // Approved once, the same request no longer needs the question.
    const again = await gw('POST', '/v1/oauth/authorizations:preview', { token, body: asJson(query) });
    expect(again.body.consentGiven).toBe(true);
  });

  it('a refusal goes back to the app as access_denied with its state', async () => {
    const token = await viewer();
    const query = authorizationQuery(pkce().challenge, 'deny-state');
    const res = await gw('POST', '/v1/oauth/authorizations', { token, body: { ...asJson(query), deny: true } });
    expect(res.status).toBe(200);
    const back = new URL(res.body.redirectTo);
    expect(`${back.origin}${back.pathname}`).toBe(CALLBACK);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('deny-state');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('never redirects to an unregistered redirect_uri; other problems go back to the app', async () => {
    const query = authorizationQuery(pkce().challenge, 's1');
    const evil = await fetch(`${stack.gatewayUrl}/oauth/authorize?${new URLSearchParams({ ...query, redirect_uri: 'https://evil.example/cb' })}`, { redirect: 'manual' });
    expect(evil.status).toBe(400);
    expect(evil.headers.get('location')).toBeNull();
    expect(await evil.text()).toContain('redirect_uri https://evil.example/cb is not registered');

    const plain = await fetch(`${stack.gatewayUrl}/oauth/authorize?${new URLSearchParams({ ...query, code_challenge_method: 'plain' })}`, { redirect: 'manual' });
    expect(plain.status).toBe(302);
    const back = new URL(plain.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(CALLBACK);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('state')).toBe('s1');

    // The JSON API names the field.
    const token = await viewer();
    const bad = await gw('POST', '/v1/oauth/authorizations:preview', { token, body: { ...asJson(query), redirectUri: 'https://evil.example/cb' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('redirectUri');
    // Signed out, the consent API is closed.
    expect((await gw('POST', '/v1/oauth/authorizations', { body: asJson(query) })).status).toBe(401);
  });
});

describe('device authorization grant through the gateway', () => {
  const startDevice = () => form('/oauth/device_authorization', { client_id: 'flix-tv', scope: 'profile playback' });
  const poll = (deviceCode: string) => form('/oauth/token', { grant_type: DEVICE_GRANT, client_id: 'flix-tv', device_code: deviceCode });

  it('poll → authorization_pending → slow_down honoured → approved by a signed-in viewer → tokens, once', async () => {
    const token = await viewer();
    const started = await startDevice();
    expect(started.status).toBe(200);
    const tv = started.body;
    expect(tv).toMatchObject({ verification_uri: `${stack.gatewayUrl}/activate`, expires_in: 600, interval: 1 });
    expect(tv.user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(tv.verification_uri_complete).toBe(`${stack.gatewayUrl}/activate?user_code=${tv.user_code}`);

    expect((await poll(tv.device_code)).body.error).toBe('authorization_pending');
    const tooFast = await poll(tv.device_code);
    expect(tooFast.body).toMatchObject({ error: 'slow_down', interval: 6 });
    // The TV waits the new interval: the next poll is answered again.
    await sleep(6_100);
    expect((await poll(tv.device_code)).body.error).toBe('authorization_pending');

    // On the phone: the viewer types the code (any case, with or without the dash) and approves.
    const typed = tv.user_code.replace('-', '').toLowerCase();
    const shown = await gw('GET', `/v1/oauth/device-authorizations/${typed}`, { token });
    expect(shown.status, JSON.stringify(shown.body)).toBe(200);
    expect(shown.body).toMatchObject({ userCode: tv.user_code, client: { clientId: 'flix-tv', firstParty: true }, state: 'DEVICE_AUTHORIZATION_STATE_PENDING' });
    const approved = await gw('POST', `/v1/oauth/device-authorizations/${tv.user_code}:approve`, { token, body: {} });
    expect(approved.status).toBe(200);
    expect(approved.body.state).toBe('DEVICE_AUTHORIZATION_STATE_APPROVED');

    await sleep(6_100);
    const tokens = await poll(tv.device_code);
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', scope: 'profile playback' });
    expect((await gw('GET', '/v1/users/me', { token: tokens.body.access_token })).status).toBe(200);
    // The TV is a signed-in device of the account, next to the browser that registered.
    const devices = await gw('GET', '/v1/users/me/devices', { token });
    expect(devices.status, JSON.stringify(devices.body)).toBe(200);
    expect(devices.body.devices).toHaveLength(2);
    // Spent: the code gives nothing more (refused before any polling-rate check).
    expect((await poll(tv.device_code)).body.error).toBe('invalid_grant');
  });

  it('a refusal reaches the TV as access_denied', async () => {
    const token = await viewer();
    const tv = (await startDevice()).body;
    const denied = await gw('POST', `/v1/oauth/device-authorizations/${tv.user_code}:approve`, { token, body: { deny: true } });
    expect(denied.body.state).toBe('DEVICE_AUTHORIZATION_STATE_DENIED');
    expect((await poll(tv.device_code)).body.error).toBe('access_denied');
  });

  it('an unanswered code expires: expired_token for the TV, not found for the viewer', async () => {
    const token = await viewer();
    const tv = (await startDevice()).body;
    // Ten minutes pass (the code's expiry moved, rather than the test waiting for it).
    await db.collection('oauth_device_authorizations').updateOne({ userCode: tv.user_code.replace('-', '') }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await poll(tv.device_code)).body.error).toBe('expired_token');
    const gone = await gw('GET', `/v1/oauth/device-authorizations/${tv.user_code}`, { token });
    expect(gone.status).toBe(404);
    expect(JSON.stringify(gone.body)).toContain('userCode');
  });
});

describe('discovery', () => {
  it('/.well-known/openid-configuration lists both flows', async () => {
    const res = await gw('GET', '/.well-known/openid-configuration');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      authorization_endpoint: `${stack.gatewayUrl}/oauth/authorize`,
      token_endpoint: `${stack.gatewayUrl}/oauth/token`,
      device_authorization_endpoint: `${stack.gatewayUrl}/oauth/device_authorization`,
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
    });
    expect(res.body.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', DEVICE_GRANT]));
  });
});
