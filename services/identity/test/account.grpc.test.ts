import { randomBytes } from 'node:crypto';
import { createClient, type PromiseClient } from '@flix/grpc';
import { IdentityServiceService, RefreshTokenDelivery } from '@flix/proto/flix/identity/v1/identity_service';
import { freePort, startMongo, startNats, type MongoHandle, type NatsHandle } from '@flix/testkit';
import { isDomainError, type DomainError } from '@flix/errors';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentity } from '../src/main.js';

// Forgot/reset/change password, e-mail verification and devices over real gRPC, MongoDB and
// NATS. Tokens are read where the notifications service gets them: identity's outbox events.
// The service's clock is moved instead of sleeping.
const BODY = RefreshTokenDelivery.REFRESH_TOKEN_DELIVERY_UNSPECIFIED;
const PASSWORD = 'a-long-uncommon-passphrase';
const MAILS_PER_HOUR = 4;
let mongo: MongoHandle;
let nats: NatsHandle;
let mongoClient: MongoClient;
let db: Db;
let nowMs = Date.now();
const clock = { now: () => new Date(nowMs) };
const advanceMinutes = (m: number) => {
  nowMs += m * 60_000;
};
const database = `identity_${randomBytes(4).toString('hex')}`;
let service: Awaited<ReturnType<typeof startIdentity>>;
let client: PromiseClient<typeof IdentityServiceService>;

beforeAll(async () => {
  [mongo, nats] = await Promise.all([startMongo(), startNats()]);
  const [g, h] = await Promise.all([freePort(), freePort()]);
  service = await startIdentity(
    {
      MONGO_URL: mongo.url,
      MONGO_DB: database,
      NATS_URL: nats.url,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(g),
      HTTP_PORT: String(h),
      LOG_LEVEL: 'silent',
      FLIX_ARGON2_MEMORY_KIB: '4096',
      FLIX_PASSWORD_RESET_TTL_MINUTES: '30',
      FLIX_EMAIL_VERIFICATION_TTL_HOURS: '24',
      FLIX_ACCOUNT_MAILS_PER_HOUR: String(MAILS_PER_HOUR),
      FLIX_PASSWORD_RESET_ANSWER_FLOOR_MS: '50',
      FLIX_LOGIN_FREE_FAILURES: '3',
    },
    { clock },
  );
  client = createClient(IdentityServiceService, `127.0.0.1:${service.grpcPort}`);
  mongoClient = await MongoClient.connect(mongo.url);
  db = mongoClient.db(database);
});

afterAll(async () => {
  client?.close();
  await service?.stop();
  await mongoClient?.close();
  await Promise.all([mongo?.stop(), nats?.stop()]);
});

let seq = 0;
const uniqueEmail = (tag: string) => `${tag}-${Date.now()}-${seq++}@example.com`;
let ipSeq = 0;
const freshIp = () => `203.0.113.${++ipSeq}`;
const bearer = (accessToken: string, extra: Record<string, string> = {}) => ({ metadata: { authorization: `Bearer ${accessToken}`, ...extra } });

async function register(email: string, ip = freshIp()) {
  return client.register(
    { email, password: PASSWORD, displayName: 'Owner', preferredLanguage: 'en', favouriteGenres: [], refreshTokenDelivery: BODY },
    { metadata: { 'x-forwarded-for': ip, 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' } },
  );
}

async function login(email: string, password = PASSWORD, md: Record<string, string> = {}) {
  return client.login({ email, password, refreshTokenDelivery: BODY }, { metadata: { 'x-forwarded-for': freshIp(), ...md } });
}

/** Every event of `subject` about `userId` in identity's outbox, oldest first, as proto3 JSON. */
async function events(subject: string, userId: string): Promise<Record<string, unknown>[]> {
  const entries = await db.collection('outbox').find({ subject }).sort({ _id: 1 }).toArray();
  return entries.map((e) => JSON.parse(String(e.data)) as Record<string, unknown>).filter((d) => d.userId === userId);
}

async function lastToken(subject: string, userId: string): Promise<string> {
  const all = await events(subject, userId);
  const token = all.at(-1)?.token;
  if (typeof token !== 'string') throw new Error(`no ${subject} event for ${userId}`);
  return token;
}

async function failure(p: Promise<unknown>): Promise<DomainError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isDomainError(e)) throw new Error(`expected a DomainError, got ${String(e)}`);
  return e;
}

describe('forgot and reset password', () => {
  it('answers a known and an unknown address alike, and mails only the known one', async () => {
    const email = uniqueEmail('forgot');
    const { user } = await register(email);
    const before = (await db.collection('outbox').countDocuments({ subject: 'identity.user.password_reset_requested' }));
    const known = await client.requestPasswordReset({ email: email.toUpperCase() }, { metadata: { 'x-forwarded-for': '198.51.100.7' } });
    const unknown = await client.requestPasswordReset({ email: uniqueEmail('nobody') });
    expect(known).toEqual(unknown);
    expect(known).toEqual({});
    // Exactly one mail went out, for the account, with the requester's address and a 30-minute expiry.
    expect(await db.collection('outbox').countDocuments({ subject: 'identity.user.password_reset_requested' })).toBe(before + 1);
    const [event] = await events('identity.user.password_reset_requested', user!.id);
    expect(event).toMatchObject({ email, clientIp: '198.51.100.7', displayName: 'Owner' });
    expect(String(event!.token)).toMatch(/^[\w-]{43}$/);
    expect(new Date(String(event!.expireTime)).getTime()).toBe(nowMs + 30 * 60_000);
    // Only the token's hash is stored.
    const stored = await db.collection('users').findOne({ email });
    expect(JSON.stringify(stored)).not.toContain(String(event!.token));
    // A malformed address is the one error, and it says nothing about accounts.
    const bad = await failure(client.requestPasswordReset({ email: 'not-an-address' }));
    expect(bad.kind).toBe('invalid_argument');
    expect(bad.fieldViolations.map((v) => v.field)).toEqual(['email']);
  });

  it('resets with the token once, signs every device out, and refuses the token a second time', async () => {
    const email = uniqueEmail('reset');
    const reg = await register(email);
    const other = await login(email);
    await client.requestPasswordReset({ email });
    const token = await lastToken('identity.user.password_reset_requested', reg.user!.id);

    // A weak new password is refused naming newPassword, and changes nothing: the token still works after.
    const weak = await failure(client.resetPassword({ token, newPassword: 'password' }));
    expect(weak.kind).toBe('invalid_argument');
    expect(weak.fieldViolations.map((v) => v.field)).toEqual(['newPassword']);

    const NEW = 'another-long-uncommon-passphrase';
    const res = await client.resetPassword({ token, newPassword: NEW });
    expect(res.revokedSessions).toBe(2);
    // The old password no longer signs in; the new one does.
    expect((await failure(login(email))).reason).toBe('INVALID_CREDENTIALS');
    await login(email, NEW);
    // Refresh tokens from before the reset are refused.
    for (const rt of [reg.refreshToken, other.refreshToken]) {
      const refused = await failure(client.refresh({ refreshToken: rt, refreshTokenDelivery: BODY }));
      expect(refused.kind).toBe('unauthenticated');
    }
    // The token is spent.
    const reused = await failure(client.resetPassword({ token, newPassword: 'yet-another-uncommon-passphrase' }));
    expect(reused.kind).toBe('invalid_argument');
    expect(reused.reason).toBe('RESET_TOKEN_INVALID');
    expect(reused.fieldViolations.map((v) => v.field)).toEqual(['token']);
    await login(email, NEW);
    // password_changed (method RESET) told the mail side; following the link proved the address.
    expect(await events('identity.user.password_changed', reg.user!.id)).toEqual([expect.objectContaining({ method: 'PASSWORD_CHANGE_METHOD_RESET', revokedSessions: 2, email })]);
    expect((await client.getMe({}, bearer((await login(email, NEW)).accessToken))).emailVerified).toBe(true);
  });

  it('refuses an expired token and an unknown one, naming the token', async () => {
    const email = uniqueEmail('expired');
    const reg = await register(email);
    await client.requestPasswordReset({ email });
    const token = await lastToken('identity.user.password_reset_requested', reg.user!.id);
    advanceMinutes(31);
    const expired = await failure(client.resetPassword({ token, newPassword: 'another-long-uncommon-passphrase' }));
    expect(expired.reason).toBe('RESET_TOKEN_EXPIRED');
    expect(expired.fieldViolations.map((v) => v.field)).toEqual(['token']);
    await login(email);
    const unknown = await failure(client.resetPassword({ token: randomBytes(32).toString('base64url'), newPassword: 'another-long-uncommon-passphrase' }));
    expect(unknown.reason).toBe('RESET_TOKEN_INVALID');
  });

  it('keeps one live link, and stops mailing past the hourly limit while answering the same', async () => {
    const email = uniqueEmail('limit');
    const reg = await register(email); // the sign-up's verification mail counts too
    advanceMinutes(61);
    for (let i = 0; i < MAILS_PER_HOUR + 2; i++) expect(await client.requestPasswordReset({ email })).toEqual({});
    const sent = await events('identity.user.password_reset_requested', reg.user!.id);
    expect(sent).toHaveLength(MAILS_PER_HOUR);
    // Only the newest link works.
    const first = await failure(client.resetPassword({ token: String(sent[0]!.token), newPassword: 'another-long-uncommon-passphrase' }));
    expect(first.reason).toBe('RESET_TOKEN_INVALID');
    await client.resetPassword({ token: String(sent.at(-1)!.token), newPassword: 'another-long-uncommon-passphrase' });
    // An hour later the account may be mailed again.
    advanceMinutes(61);
    await client.requestPasswordReset({ email });
    expect(await events('identity.user.password_reset_requested', reg.user!.id)).toHaveLength(MAILS_PER_HOUR + 1);
  });
});

describe('change password', () => {
  it('needs the current password (counted like a failed sign-in), keeps this device and signs out the others', async () => {
    const email = uniqueEmail('change');
    const here = await register(email);
    const other = await login(email);
    const third = await login(email);

    const wrong = await failure(client.changePassword({ currentPassword: 'not-my-password-at-all', newPassword: 'another-long-uncommon-passphrase', refreshToken: '' }, bearer(here.accessToken)));
    expect(wrong.kind).toBe('invalid_argument');
    expect(wrong.reason).toBe('WRONG_PASSWORD');
    expect(wrong.fieldViolations.map((v) => v.field)).toEqual(['currentPassword']);
    expect((await db.collection('outbox').find({ subject: 'identity.auth.login_failed' }).toArray()).some((e) => String(e.data).includes(here.user!.id))).toBe(true);

    const weak = await failure(client.changePassword({ currentPassword: PASSWORD, newPassword: 'short', refreshToken: '' }, bearer(here.accessToken)));
    expect(weak.fieldViolations.map((v) => v.field)).toEqual(['newPassword']);

    // This device is known from the access token's sid (browsers do not send the refresh cookie here).
    const res = await client.changePassword({ currentPassword: PASSWORD, newPassword: 'another-long-uncommon-passphrase', refreshToken: '' }, bearer(here.accessToken));
    expect(res.revokedSessions).toBe(2);
    const kept = await client.refresh({ refreshToken: here.refreshToken, refreshTokenDelivery: BODY });
    expect(kept.accessToken).not.toBe('');
    for (const rt of [other.refreshToken, third.refreshToken]) expect((await failure(client.refresh({ refreshToken: rt, refreshTokenDelivery: BODY }))).kind).toBe('unauthenticated');
    expect(await events('identity.user.password_changed', here.user!.id)).toEqual([expect.objectContaining({ method: 'PASSWORD_CHANGE_METHOD_CHANGE', revokedSessions: 2 })]);
    await login(email, 'another-long-uncommon-passphrase');
  });

  it('keeps the device whose refresh token is sent in the body', async () => {
    const email = uniqueEmail('change-body');
    const first = await register(email);
    const second = await login(email);
    await client.changePassword({ currentPassword: PASSWORD, newPassword: 'another-long-uncommon-passphrase', refreshToken: second.refreshToken }, bearer(first.accessToken));
    await client.refresh({ refreshToken: second.refreshToken, refreshTokenDelivery: BODY });
    expect((await failure(client.refresh({ refreshToken: first.refreshToken, refreshTokenDelivery: BODY }))).kind).toBe('unauthenticated');
  });
});

describe('e-mail verification', () => {
  it('mails a link at sign-up; following it verifies the address once', async () => {
    const email = uniqueEmail('verify');
    const reg = await register(email);
    expect(reg.user!.emailVerified).toBe(false);
    const [requested] = await events('identity.user.email_verification_requested', reg.user!.id);
    expect(requested).toMatchObject({ email, displayName: 'Owner', preferredLanguage: 'en' });
    expect(new Date(String(requested!.expireTime)).getTime()).toBe(nowMs + 24 * 3_600_000);
    const verified = await client.verifyEmail({ token: String(requested!.token) });
    expect(verified).toMatchObject({ email, emailVerified: true });
    expect(await events('identity.user.email_verified', reg.user!.id)).toEqual([expect.objectContaining({ email })]);
    const again = await failure(client.verifyEmail({ token: String(requested!.token) }));
    expect(again.reason).toBe('EMAIL_VERIFICATION_TOKEN_INVALID');
    expect(again.fieldViolations.map((v) => v.field)).toEqual(['token']);
    // A verified account has nothing to resend, and later access tokens say so.
    expect((await failure(client.sendVerificationEmail({}, bearer(reg.accessToken)))).reason).toBe('EMAIL_ALREADY_VERIFIED');
    const fresh = await login(email);
    const claims = JSON.parse(Buffer.from(fresh.accessToken.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ email_verified: true, sid: expect.any(String) });
  });

  it('resends a new link (the old one stops working), limited per hour; an expired link is refused', async () => {
    const email = uniqueEmail('resend');
    const reg = await register(email);
    const first = await lastToken('identity.user.email_verification_requested', reg.user!.id);
    await client.sendVerificationEmail({}, bearer(reg.accessToken));
    const second = await lastToken('identity.user.email_verification_requested', reg.user!.id);
    expect(second).not.toBe(first);
    expect((await failure(client.verifyEmail({ token: first }))).reason).toBe('EMAIL_VERIFICATION_TOKEN_INVALID');
    for (let i = 2; i < MAILS_PER_HOUR; i++) await client.sendVerificationEmail({}, bearer(reg.accessToken));
    const limited = await failure(client.sendVerificationEmail({}, bearer(reg.accessToken)));
    expect(limited.kind).toBe('resource_exhausted');
    expect(limited.reason).toBe('ACCOUNT_MAIL_LIMIT');
    const last = await lastToken('identity.user.email_verification_requested', reg.user!.id);
    advanceMinutes(24 * 60 + 1);
    expect((await failure(client.verifyEmail({ token: last }))).reason).toBe('EMAIL_VERIFICATION_TOKEN_EXPIRED');
  });

  it('changes the address (password required, unique), unverifies it, and refuses a second change until the new one is verified', async () => {
    const email = uniqueEmail('move');
    const reg = await register(email);
    const taken = uniqueEmail('taken');
    await register(taken);
    const auth = bearer(reg.accessToken);

    const wrong = await failure(client.changeEmail({ newEmail: uniqueEmail('x'), currentPassword: 'not-my-password-at-all' }, auth));
    expect(wrong.fieldViolations.map((v) => v.field)).toEqual(['currentPassword']);
    const dup = await failure(client.changeEmail({ newEmail: taken.toUpperCase(), currentPassword: PASSWORD }, auth));
    expect(dup.kind).toBe('already_exists');
    expect(dup.fieldViolations.map((v) => v.field)).toEqual(['newEmail']);
    const malformed = await failure(client.changeEmail({ newEmail: 'nope', currentPassword: PASSWORD }, auth));
    expect(malformed.fieldViolations.map((v) => v.field)).toEqual(['newEmail']);

    // The sign-up address is unverified, but a fresh account may fix its address once.
    const moved = uniqueEmail('moved');
    const changed = await client.changeEmail({ newEmail: moved, currentPassword: PASSWORD }, auth);
    expect(changed).toMatchObject({ email: moved, emailVerified: false });
    expect(await events('identity.user.email_changed', reg.user!.id)).toEqual([expect.objectContaining({ oldEmail: email, newEmail: moved })]);
    const link = await events('identity.user.email_verification_requested', reg.user!.id);
    expect(link.at(-1)).toMatchObject({ email: moved });
    // The link sent to the old address proves nothing any more.
    expect((await failure(client.verifyEmail({ token: String(link[0]!.token) }))).reason).toBe('EMAIL_VERIFICATION_TOKEN_INVALID');

    // The rule: no second change before the new address is proven.
    const blocked = await failure(client.changeEmail({ newEmail: uniqueEmail('again'), currentPassword: PASSWORD }, auth));
    expect(blocked.kind).toBe('failed_precondition');
    expect(blocked.reason).toBe('EMAIL_NOT_VERIFIED');
    await client.verifyEmail({ token: String(link.at(-1)!.token) });
    const third = uniqueEmail('third');
    expect(await client.changeEmail({ newEmail: third, currentPassword: PASSWORD }, auth)).toMatchObject({ email: third, emailVerified: false });
    await login(third);
  });
});

describe('devices', () => {
  it('lists the signed-in devices with a name, a coarse network and the current one marked; pages through them', async () => {
    const email = uniqueEmail('devices');
    const web = await register(email, '203.0.113.200');
    const phone = await client.login(
      { email, password: PASSWORD, refreshTokenDelivery: BODY },
      { metadata: { 'x-forwarded-for': '2001:db8:abcd:12::5', 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1' } },
    );
    const gone = await login(email);
    await client.logout({ refreshToken: gone.refreshToken, allSessions: false }, bearer(gone.accessToken));

    const list = await client.listDevices({ pageSize: 0, pageToken: '', refreshToken: '' }, bearer(web.accessToken));
    expect(list.devices).toHaveLength(2);
    const byId = new Map(list.devices.map((d) => [d.id, d]));
    const mine = list.devices.find((d) => d.current)!;
    expect(mine).toMatchObject({ approximateLocation: '203.0.113.0/24' });
    // grpc-js always sends its own User-Agent (names from browsers' are covered in devices.test.ts and the gateway test).
    expect(mine).toMatchObject({ name: 'API client', userAgent: expect.stringContaining('grpc-node-js') });
    const iphone = list.devices.find((d) => !d.current)!;
    expect(iphone).toMatchObject({ approximateLocation: '2001:db8:abcd::/48' });
    expect(iphone.lastUseTime!.getTime()).toBeGreaterThanOrEqual(iphone.createTime!.getTime());
    expect(JSON.stringify(list)).not.toContain('203.0.113.200');
    expect(byId.size).toBe(2);
    // The phone asking sees itself as current.
    const fromPhone = await client.listDevices({ pageSize: 0, pageToken: '', refreshToken: '' }, bearer(phone.accessToken));
    expect(fromPhone.devices.find((d) => d.current)?.id).toBe(iphone.id);

    const page1 = await client.listDevices({ pageSize: 1, pageToken: '', refreshToken: '' }, bearer(web.accessToken));
    expect(page1.devices).toHaveLength(1);
    expect(page1.nextPageToken).not.toBe('');
    const page2 = await client.listDevices({ pageSize: 1, pageToken: page1.nextPageToken, refreshToken: '' }, bearer(web.accessToken));
    expect(page2.devices).toHaveLength(1);
    expect(page2.nextPageToken).toBe('');
    expect(new Set([page1.devices[0]!.id, page2.devices[0]!.id]).size).toBe(2);
    expect((await failure(client.listDevices({ pageSize: 1, pageToken: 'garbage', refreshToken: '' }, bearer(web.accessToken)))).fieldViolations[0]?.field).toBe('pageToken');
  });

  it("signs out one device; another account's device is NOT_FOUND and stays signed in", async () => {
    const email = uniqueEmail('signout');
    const web = await register(email);
    const tv = await login(email);
    const stranger = await register(uniqueEmail('stranger'));
    const strangerDevices = await client.listDevices({ pageSize: 0, pageToken: '', refreshToken: '' }, bearer(stranger.accessToken));
    const theirs = strangerDevices.devices[0]!.id;

    const notMine = await failure(client.signOutDevice({ deviceId: theirs }, bearer(web.accessToken)));
    expect(notMine.kind).toBe('not_found');
    await client.refresh({ refreshToken: stranger.refreshToken, refreshTokenDelivery: BODY });

    const tvId = (await client.listDevices({ pageSize: 0, pageToken: '', refreshToken: tv.refreshToken }, bearer(web.accessToken))).devices.find((d) => d.current)!.id;
    await client.signOutDevice({ deviceId: tvId }, bearer(web.accessToken));
    expect((await failure(client.refresh({ refreshToken: tv.refreshToken, refreshTokenDelivery: BODY }))).kind).toBe('unauthenticated');
    const after = await client.listDevices({ pageSize: 0, pageToken: '', refreshToken: '' }, bearer(web.accessToken));
    expect(after.devices.map((d) => d.id)).not.toContain(tvId);
    expect(after.devices).toHaveLength(1);
    // Already signed out: nothing left to sign out.
    expect((await failure(client.signOutDevice({ deviceId: tvId }, bearer(web.accessToken)))).kind).toBe('not_found');
    expect((await failure(client.signOutDevice({ deviceId: '' }, bearer(web.accessToken)))).fieldViolations[0]?.field).toBe('deviceId');
  });
});
