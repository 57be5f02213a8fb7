import { createHash, randomBytes } from 'node:crypto';
import { createClient, type PromiseClient } from '@flix/grpc';
import { DeviceAuthorizationState, IdentityServiceService, RefreshTokenDelivery } from '@flix/proto/flix/identity/v1/identity_service';
import { freePort, startMongo, startNats, type MongoHandle, type NatsHandle } from '@flix/testkit';
import { DomainError } from '@flix/errors';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentity } from '../src/main.js';

/** Identity's "now", moved by the tests (code and device-code expiry, polling intervals). */
let now = new Date();
const clock = { now: () => now };
const advance = (seconds: number) => (now = new Date(now.getTime() + seconds * 1000));

const PUBLIC = 'http://flix.test:8080';
const PARTNER = { id: 'acme-tv', name: 'Acme TV', redirectUris: ['https://acme.example/callback', 'com.acme.app:/oauth'], secret: 'acme-secret-0123456789abcdef', scopes: ['profile', 'library'], grants: ['authorization_code', 'device_code'] };

let mongo: MongoHandle;
let nats: NatsHandle;
let service: Awaited<ReturnType<typeof startIdentity>>;
let client: PromiseClient<typeof IdentityServiceService>;
let http: string;

const verifier = () => randomBytes(32).toString('base64url');
const challengeOf = (v: string) => createHash('sha256').update(v).digest('base64url');
const auth = (token: string) => ({ metadata: { authorization: `Bearer ${token}` } });

async function signUp(): Promise<string> {
  const email = `oauth-${Date.now()}-${randomBytes(3).toString('hex')}@example.com`;
  const reg = await client.register({ email, password: 'a-long-uncommon-passphrase', displayName: 'Ola', preferredLanguage: 'en', favouriteGenres: [], refreshTokenDelivery: RefreshTokenDelivery.REFRESH_TOKEN_DELIVERY_BODY });
  return reg.accessToken;
}

function authorizationRequest(over: Record<string, string> = {}) {
  const v = verifier();
  return {
    verifier: v,
    req: { responseType: 'code', clientId: 'flix-web', redirectUri: `${PUBLIC}/callback`, scope: 'profile library', state: 'st-123', codeChallenge: challengeOf(v), codeChallengeMethod: 'S256', ...over },
  };
}

async function token(form: Record<string, string>, basic?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${http}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(basic ? { authorization: `Basic ${Buffer.from(basic).toString('base64')}` } : {}) },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: await res.json() };
}

const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as DomainError);

beforeAll(async () => {
  [mongo, nats] = await Promise.all([startMongo(), startNats()]);
  const [g, h] = await Promise.all([freePort(), freePort()]);
  service = await startIdentity(
    {
      MONGO_URL: mongo.url,
      MONGO_DB: `identity_${randomBytes(4).toString('hex')}`,
      NATS_URL: nats.url,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(g),
      HTTP_PORT: String(h),
      LOG_LEVEL: 'silent',
      FLIX_PUBLIC_URL: PUBLIC,
      FLIX_OAUTH_APPS: JSON.stringify([PARTNER]),
      FLIX_OAUTH_USER_CODE_ATTEMPTS: '3',
      FLIX_OAUTH_USER_CODE_ADDRESS_ATTEMPTS: '6',
    },
    { clock },
  );
  client = createClient(IdentityServiceService, `127.0.0.1:${service.grpcPort}`);
  http = `http://127.0.0.1:${service.httpPort}`;
});

afterAll(async () => {
  client?.close();
  await service?.stop();
  await Promise.all([mongo?.stop(), nats?.stop()]);
});

describe('authorization code with PKCE', () => {
  it('issues a single-use code bound to the verifier; a replay is refused and revokes what it issued', async () => {
    const viewer = await signUp();
    const { verifier: v, req } = authorizationRequest();
    const preview = await client.previewAuthorization(req, auth(viewer));
    expect(preview).toMatchObject({ client: { clientId: 'flix-web', firstParty: true }, consentGiven: true });
    expect(preview.scopes.map((s) => s.name)).toEqual(['profile', 'library']);
    expect(preview.scopes[0]!.description).toMatch(/name/);

    const { redirectTo } = await client.authorize({ ...req, deny: false }, auth(viewer));
    const back = new URL(redirectTo);
    expect(`${back.origin}${back.pathname}`).toBe(`${PUBLIC}/callback`);
    expect(back.searchParams.get('state')).toBe('st-123');
    expect(back.searchParams.get('iss')).toBe('flix-identity');
    const code = back.searchParams.get('code')!;

    const base = { grant_type: 'authorization_code', client_id: 'flix-web', code, redirect_uri: `${PUBLIC}/callback` };
    const wrong = await token({ ...base, code_verifier: verifier() });
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: expect.stringMatching(/code_verifier/) } });
    const otherRedirect = await token({ ...base, redirect_uri: `${PUBLIC}/elsewhere`, code_verifier: v });
    expect(otherRedirect.body.error).toBe('invalid_grant');
    // The wrong attempts did not spend the code.
    const ok = await token({ ...base, code_verifier: v });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', scope: 'profile library', expires_in: 900 });
    expect(decodeJwt(ok.body.access_token)).toMatchObject({ scope: 'profile library', client_id: 'flix-web', roles: ['viewer'] });

    // A refresh keeps the granted scope.
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: ok.body.refresh_token });
    expect(decodeJwt(refreshed.body.access_token)).toMatchObject({ scope: 'profile library', client_id: 'flix-web' });

    const replay = await token({ ...base, code_verifier: v });
    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: expect.stringMatching(/already used/) } });
    const afterReplay = await token({ grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token });
    expect(afterReplay.body.error).toBe('invalid_grant');
  });

  it('refuses a code after its minute', async () => {
    const viewer = await signUp();
    const { verifier: v, req } = authorizationRequest();
    const code = new URL((await client.authorize({ ...req, deny: false }, auth(viewer))).redirectTo).searchParams.get('code')!;
    advance(61);
    const late = await token({ grant_type: 'authorization_code', client_id: 'flix-web', code, redirect_uri: `${PUBLIC}/callback`, code_verifier: v });
    expect(late.body).toMatchObject({ error: 'invalid_grant', error_description: 'code is invalid or expired' });
  });

  it('names the bad parameter over gRPC; only a known client and registered redirect URI are sent back', async () => {
    const viewer = await signUp();
    const unknown = await failure(client.previewAuthorization(authorizationRequest({ clientId: 'nobody' }).req, auth(viewer)));
    expect(unknown.kind).toBe('invalid_argument');
    expect(unknown.fieldViolations.map((f) => f.field)).toEqual(['clientId']);
    const redirect = await failure(client.authorize({ ...authorizationRequest({ redirectUri: 'https://evil.example/cb' }).req, deny: false }, auth(viewer)));
    expect(redirect.fieldViolations.map((f) => f.field)).toEqual(['redirectUri']);
    // A trailing slash is another URI (exact match).
    const slash = await failure(client.authorize({ ...authorizationRequest({ redirectUri: `${PUBLIC}/callback/` }).req, deny: false }, auth(viewer)));
    expect(slash.fieldViolations.map((f) => f.field)).toEqual(['redirectUri']);

    const plain = await failure(client.previewAuthorization(authorizationRequest({ codeChallengeMethod: 'plain' }).req, auth(viewer)));
    expect(plain.fieldViolations.map((f) => f.field)).toEqual(['codeChallengeMethod']);
    expect(new URL(plain.metadata.redirectTo!).searchParams.get('error')).toBe('invalid_request');
    const scope = await failure(client.previewAuthorization(authorizationRequest({ clientId: 'acme-tv', redirectUri: PARTNER.redirectUris[0]!, scope: 'billing' }).req, auth(viewer)));
    expect(scope.fieldViolations.map((f) => f.field)).toEqual(['scope']);

    // Authorize sends such problems back to the client, with the state.
    const missing = await client.authorize({ ...authorizationRequest({ codeChallenge: '' }).req, deny: false }, auth(viewer));
    expect(Object.fromEntries(new URL(missing.redirectTo).searchParams)).toMatchObject({ error: 'invalid_request', state: 'st-123', iss: 'flix-identity' });
    const denied = await client.authorize({ ...authorizationRequest().req, deny: true }, auth(viewer));
    expect(Object.fromEntries(new URL(denied.redirectTo).searchParams)).toMatchObject({ error: 'access_denied', state: 'st-123' });

    const signedOut = await failure(client.previewAuthorization(authorizationRequest().req));
    expect(signedOut.kind).toBe('unauthenticated');
  });

  it('asks consent for a third-party client once, and makes a confidential client authenticate', async () => {
    const viewer = await signUp();
    const { verifier: v, req } = authorizationRequest({ clientId: 'acme-tv', redirectUri: 'com.acme.app:/oauth', scope: 'profile' });
    expect((await client.previewAuthorization(req, auth(viewer))).consentGiven).toBe(false);
    const code = new URL((await client.authorize({ ...req, deny: false }, auth(viewer))).redirectTo).searchParams.get('code')!;
    expect((await client.previewAuthorization(req, auth(viewer))).consentGiven).toBe(true);
    // A wider request asks again.
    expect((await client.previewAuthorization({ ...req, scope: 'profile library' }, auth(viewer))).consentGiven).toBe(false);

    const form = { grant_type: 'authorization_code', code, redirect_uri: 'com.acme.app:/oauth', code_verifier: v };
    const noSecret = await token({ ...form, client_id: 'acme-tv' });
    expect(noSecret).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    // A public client sending Basic with an empty password is still a public client.
    expect((await token({ ...form, client_id: 'flix-web' }, 'flix-web:')).body.error).toBe('invalid_grant');
    const ok = await token(form, `acme-tv:${PARTNER.secret}`);
    expect(ok.status).toBe(200);
    expect(decodeJwt(ok.body.access_token)).toMatchObject({ scope: 'profile', client_id: 'acme-tv' });
  });

  it('GET /oauth/authorize shows client problems, redirects the others to the client, and the good ones to the consent page', async () => {
    const get = (q: Record<string, string>) => fetch(`${http}/oauth/authorize?${new URLSearchParams(q)}`, { redirect: 'manual' });
    const { req } = authorizationRequest();
    const q = { response_type: 'code', client_id: req.clientId, redirect_uri: req.redirectUri, scope: req.scope, state: req.state, code_challenge: req.codeChallenge, code_challenge_method: 'S256' };

    const unknown = await get({ ...q, client_id: 'nobody' });
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('content-type')).toMatch(/text\/html/);
    expect(await unknown.text()).toContain('client_id nobody is not a registered client');
    const evil = await get({ ...q, redirect_uri: 'https://evil.example/cb' });
    expect(evil.status).toBe(400);
    expect(evil.headers.get('location')).toBeNull();

    const noPkce = await get({ ...q, code_challenge: '' });
    expect(noPkce.status).toBe(302);
    const back = new URL(noPkce.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(`${PUBLIC}/callback`);
    expect(Object.fromEntries(back.searchParams)).toMatchObject({ error: 'invalid_request', state: 'st-123' });
    const token = await get({ ...q, response_type: 'token' });
    expect(new URL(token.headers.get('location')!).searchParams.get('error')).toBe('unsupported_response_type');

    const good = await get(q);
    expect(good.status).toBe(302);
    const consent = new URL(good.headers.get('location')!);
    expect(`${consent.origin}${consent.pathname}`).toBe(`${PUBLIC}/oauth/consent`);
    expect(Object.fromEntries(consent.searchParams)).toEqual(q);
  });
});

describe('device authorization grant', () => {
  async function startDevice(clientId = 'flix-tv') {
    const res = await fetch(`${http}/oauth/device_authorization`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: clientId, scope: 'profile playback' }) });
    return { status: res.status, body: (await res.json()) as any };
  }
  const poll = (deviceCode: string) => token({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: 'flix-tv', device_code: deviceCode });

  it('pending, slow_down remembered, approval by the signed-in person, tokens once', async () => {
    const viewer = await signUp();
    const { status, body } = await startDevice();
    expect(status).toBe(200);
    expect(body).toMatchObject({ verification_uri: `${PUBLIC}/activate`, expires_in: 600, interval: 5 });
    expect(body.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(body.verification_uri_complete).toBe(`${PUBLIC}/activate?user_code=${body.user_code}`);

    expect((await poll(body.device_code)).body.error).toBe('authorization_pending');
    // Again at once: too fast; the interval grows by 5 s and stays grown.
    expect((await poll(body.device_code)).body).toMatchObject({ error: 'slow_down', interval: 10 });
    advance(6);
    expect((await poll(body.device_code)).body).toMatchObject({ error: 'slow_down', interval: 15 });
    advance(15);
    expect((await poll(body.device_code)).body.error).toBe('authorization_pending');

    // Typed in lower case without the dash.
    const typed = body.user_code.replace('-', '').toLowerCase();
    const seen = await client.getDeviceAuthorization({ userCode: typed }, auth(viewer));
    expect(seen).toMatchObject({ userCode: body.user_code, client: { clientId: 'flix-tv', displayName: 'Flix for TV', firstParty: true }, state: DeviceAuthorizationState.DEVICE_AUTHORIZATION_STATE_PENDING });
    expect(seen.scopes.map((s) => s.name)).toEqual(['profile', 'playback']);
    const approved = await client.approveDeviceAuthorization({ userCode: body.user_code, deny: false }, auth(viewer));
    expect(approved.state).toBe(DeviceAuthorizationState.DEVICE_AUTHORIZATION_STATE_APPROVED);
    const again = await failure(client.approveDeviceAuthorization({ userCode: body.user_code, deny: true }, auth(viewer)));
    expect(again).toMatchObject({ kind: 'failed_precondition', reason: 'DEVICE_ALREADY_DECIDED' });

    advance(15);
    const tokens = await poll(body.device_code);
    expect(tokens.status).toBe(200);
    expect(decodeJwt(tokens.body.access_token)).toMatchObject({ sub: decodeJwt(viewer).sub, scope: 'profile playback', client_id: 'flix-tv' });
    advance(15);
    expect((await poll(body.device_code)).body.error).toBe('invalid_grant');
    // The phone's page reloading still sees what it approved.
    expect((await client.getDeviceAuthorization({ userCode: body.user_code }, auth(viewer))).state).toBe(DeviceAuthorizationState.DEVICE_AUTHORIZATION_STATE_APPROVED);
  });

  it('a refusal reaches the device as access_denied; an unanswered code expires', async () => {
    const viewer = await signUp();
    const denied = (await startDevice()).body;
    await client.approveDeviceAuthorization({ userCode: denied.user_code, deny: true }, auth(viewer));
    expect((await poll(denied.device_code)).body.error).toBe('access_denied');

    const late = (await startDevice()).body;
    advance(601);
    expect((await poll(late.device_code)).body.error).toBe('expired_token');
    const gone = await failure(client.getDeviceAuthorization({ userCode: late.user_code }, auth(viewer)));
    expect(gone.kind).toBe('not_found');
  });

  it('refuses bad requests with the RFC error codes', async () => {
    expect((await startDevice('nobody')).body.error).toBe('invalid_client');
    // flix-web may not use the device grant.
    expect((await startDevice('flix-web')).body.error).toBe('unauthorized_client');
    expect((await poll('not-a-device-code')).body.error).toBe('invalid_grant');
    expect((await token({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: 'flix-tv' })).body).toMatchObject({ error: 'invalid_request', error_description: 'device_code is required' });
  });

  it('limits guessing of user codes per account', async () => {
    const viewer = await signUp();
    for (let i = 0; i < 3; i++) {
      const miss = await failure(client.getDeviceAuthorization({ userCode: 'BBBB-BBBB' }, auth(viewer)));
      expect(miss).toMatchObject({ kind: 'not_found', message: expect.stringContaining('userCode BBBB-BBBB') });
      expect(miss.fieldViolations.map((f) => f.field)).toEqual(['userCode']);
    }
    const live = (await startDevice()).body;
    // Even a right code is refused while the account is blocked.
    const blocked = await failure(client.approveDeviceAuthorization({ userCode: live.user_code, deny: false }, auth(viewer)));
    expect(blocked).toMatchObject({ kind: 'resource_exhausted', reason: 'USER_CODE_ATTEMPTS_EXCEEDED' });
    // Another account is not blocked by it.
    const other = await signUp();
    expect((await client.getDeviceAuthorization({ userCode: live.user_code }, auth(other))).userCode).toBe(live.user_code);
    // The window over, the account may try again.
    advance(901);
    const next = (await startDevice()).body;
    expect((await client.getDeviceAuthorization({ userCode: next.user_code }, auth(viewer))).userCode).toBe(next.user_code);
  });
});

describe('user-code guessing from one address', () => {
  it('blocks the address once its accounts together typed too many wrong codes, and only that address', async () => {
    const from = (ip: string, token: string) => ({ metadata: { authorization: `Bearer ${token}`, 'x-envoy-external-address': ip } });
    const [x, y, z] = [await signUp(), await signUp(), await signUp()];
    for (const who of [x, y]) {
      for (let i = 0; i < 3; i++) expect((await failure(client.getDeviceAuthorization({ userCode: 'CCCC-CCCC' }, from('198.51.100.7', who)))).kind).toBe('not_found');
    }
    const res = await fetch(`${http}/oauth/device_authorization`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_id=flix-tv' });
    const live = ((await res.json()) as { user_code: string }).user_code;
    // A fresh account from the same address is refused even with a right code…
    expect((await failure(client.getDeviceAuthorization({ userCode: live }, from('198.51.100.7', z)))).kind).toBe('resource_exhausted');
    // …and answered from anywhere else.
    expect((await client.getDeviceAuthorization({ userCode: live }, from('198.51.100.8', z))).userCode).toBe(live);
  });
});

describe('discovery', () => {
  it('lists both flows', async () => {
    const doc = (await (await fetch(`${http}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      authorization_endpoint: `${PUBLIC}/oauth/authorize`,
      token_endpoint: `${PUBLIC}/oauth/token`,
      device_authorization_endpoint: `${PUBLIC}/oauth/device_authorization`,
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
    });
    expect(doc.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code']));
    expect(doc.scopes_supported).toEqual(expect.arrayContaining(['profile', 'playback']));
    expect(doc.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['none', 'client_secret_basic']));
  });
});
