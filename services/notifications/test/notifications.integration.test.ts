import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingEvents, identityEvents } from '@flix/contracts';
import { connectNats, encodeEvent, buildEvent, publishEvent, EventHeaders, type EventDef, type EventInit, type FlixEventMessage, type NatsClients } from '@flix/events';
import { createClient, type PromiseClient } from '@flix/grpc';
import { PaymentKind, SubscriptionStatus } from '@flix/proto/flix/billing/v1/resources';
import { NotificationsServiceService } from '@flix/proto/flix/notifications/v1/notifications_service';
import { DeliveryStatus, type Delivery } from '@flix/proto/flix/notifications/v1/resources';
import { freePort, startMongo, startNats, type MailCatcher, type MongoHandle, type NatsHandle } from '@flix/testkit';
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { Mailer } from '../src/domain/ports.js';
import { SmtpMailer } from '../src/mail/smtp-mailer.js';
import { startNotifications, type NotificationsHandle } from '../src/main.js';
import { eventually, startMailCatcher, startRefusingRelay, startTestKeys } from './helpers.js';

let mongo: MongoHandle;
let natsServer: NatsHandle;
let nats: NatsClients;
let keys: Awaited<ReturnType<typeof startTestKeys>>;
let mail: MailCatcher;
let refusing: Awaited<ReturnType<typeof startRefusingRelay>>;
let svc: NotificationsHandle;
let client: PromiseClient<typeof NotificationsServiceService>;
let httpUrl: string;
let dbName: string;

const PUBLIC = 'http://flix.test';
/** Recipients whose relay is "down" until `relayBack` is set: their hand-overs go to a closed port. */
let relayBack = false;
/** Addresses whose next n hand-overs "crash" the sender right after the relay accepted them. */
const crashAfterSend = new Map<string, number>();
const handOvers = new Map<string, number>();

const uid = () => randomBytes(4).toString('hex');
const newUser = () => ({ userId: randomUUID(), email: `viewer-${uid()}@example.com`, displayName: 'Ana Viewer' });
const publish = <T extends FlixEventMessage>(def: EventDef<T>, input: EventInit<T>) => publishEvent(nats.js, def, input);
const as = async (sub: string, roles: string[] = []) => ({ metadata: { authorization: `Bearer ${await keys.token(sub, roles)}` } });
const deliveries = async (filter: { userId?: string; template?: string } = {}): Promise<Delivery[]> =>
  (await client.listDeliveries({ userId: filter.userId ?? '', template: filter.template ?? '', status: 0, pageSize: 200, pageToken: '' }, await as(randomUUID(), ['admin']))).deliveries;
const linkIn = (text: string, path: string) => new RegExp(`${PUBLIC}${path}\\?token=([^\\s"<]+)`).exec(text)?.[1];

async function register(u: ReturnType<typeof newUser>) {
  await publish(identityEvents.userRegistered, { userId: u.userId, email: u.email, displayName: u.displayName, preferredLanguage: 'en' });
  await eventually(() => mail.to(u.email), (m) => m.length >= 1, `welcome to ${u.email}`);
}

beforeAll(async () => {
  [mongo, natsServer, keys, mail, refusing] = await Promise.all([startMongo(), startNats(), startTestKeys(), startMailCatcher(), startRefusingRelay()]);
  nats = await connectNats(natsServer.url, 'notifications-test');
  const [g, h, closed] = await Promise.all([freePort(), freePort(), freePort()]);
  dbName = `notifications_${uid()}`;
  const env = {
    MONGO_URL: mongo.url,
    MONGO_DB: dbName,
    NATS_URL: natsServer.url,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(g),
    HTTP_PORT: String(h),
    LOG_LEVEL: 'silent',
    FLIX_JWKS_URL: keys.jwksUrl,
    FLIX_PUBLIC_URL: PUBLIC,
    FLIX_SMTP_URL: mail.smtpUrl,
    FLIX_UNSUBSCRIBE_SECRET: randomBytes(32).toString('hex'),
    FLIX_MAIL_RETRY_BASE_SECONDS: '0.1',
    FLIX_MAIL_RETRY_MAX_SECONDS: '0.3',
    FLIX_MAIL_DISPATCH_SECONDS: '0.1',
    FLIX_MAIL_SEND_LEASE_SECONDS: '1',
    FLIX_REMINDER_POLL_SECONDS: '3600',
  };
  const down = new SmtpMailer({ url: `smtp://127.0.0.1:${closed}`, from: 'Flix <no-reply@flix.test>', timeoutMs: 2000 });
  const bouncing = new SmtpMailer({ url: refusing.url, from: 'Flix <no-reply@flix.test>', timeoutMs: 2000 });
  // The real relay (the catcher), except for test addresses that pick another real SMTP server.
  const route = (smtp: Mailer): Mailer => ({
    async send(m) {
      handOvers.set(m.to, (handOvers.get(m.to) ?? 0) + 1);
      if (m.to.startsWith('down-') && !relayBack) return down.send(m);
      if (m.to.startsWith('bounce-')) return bouncing.send(m);
      const r = await smtp.send(m);
      const crashes = crashAfterSend.get(m.to) ?? 0;
      if (crashes > 0) {
        crashAfterSend.set(m.to, crashes - 1);
        throw new Error('simulated crash after the relay accepted the message');
      }
      return r;
    },
  });
  svc = await startNotifications(env, { mailer: route });
  client = createClient(NotificationsServiceService, `127.0.0.1:${g}`);
  httpUrl = `http://127.0.0.1:${h}`;
}, 120_000);

afterAll(async () => {
  client?.close();
  await svc?.stop();
  await nats?.drain();
  await Promise.all([mail?.stop(), refusing?.close(), natsServer?.stop(), mongo?.stop(), keys?.close?.()]);
});

describe('notifications', () => {
  it('sign-up sends a welcome and a verification mail whose link carries the token', async () => {
    const u = newUser();
    await register(u);
    await publish(identityEvents.emailVerificationRequested, { ...u, preferredLanguage: 'en', token: 'verify-token-1', expireTime: new Date(Date.now() + 86_400_000) });
    const inbox = await eventually(() => mail.to(u.email), (m) => m.length === 2, 'welcome + verify');
    expect(inbox.map((m) => m.subject).sort()).toEqual(['Confirm your e-mail address', 'Welcome to Flix']);
    const verify = inbox.find((m) => m.subject.startsWith('Confirm'))!;
    expect(linkIn(verify.text, '/verify-email')).toBe('verify-token-1');
    expect(verify.html).toContain('Hi Ana Viewer,');
    // Transactional: no unsubscribe header.
    expect((await mail.rawHeaders(verify.id))['list-unsubscribe']).toBeUndefined();
  });

  it('a redelivered event (handled-mark lost, as after a crash before the ack) sends nothing twice', async () => {
    const u = newUser();
    await register(u);
    const { event } = await publish(identityEvents.passwordResetRequested, { ...u, token: 'reset-token-1', clientIp: '203.0.113.5' });
    await eventually(() => mail.to(u.email), (m) => m.length === 2, 'reset mail');
    const processed = svc.mongo.db.collection('processed_events');
    await eventually(() => processed.countDocuments({ _id: { $regex: event.eventId } as never }), (n) => n === 1, 'event recorded as handled');
    // Forget that it was handled and deliver it again under another message id (JetStream would
    // drop the same one): only the delivery log stands between the event and a second e-mail.
    await processed.deleteMany({ _id: { $regex: event.eventId } as never });
    const h = natsHeaders();
    h.set(EventHeaders.EventType, identityEvents.passwordResetRequested.type);
    await nats.js.publish(identityEvents.passwordResetRequested.subject, encodeEvent(identityEvents.passwordResetRequested, buildEvent(identityEvents.passwordResetRequested, event)), { msgID: `${event.eventId}-again`, headers: h });
    await eventually(() => processed.countDocuments({ _id: { $regex: event.eventId } as never }), (n) => n === 1, 'redelivery handled');
    await svc.dispatch();
    expect((await mail.to(u.email)).filter((m) => m.subject === 'Reset your Flix password')).toHaveLength(1);
    expect(await deliveries({ userId: u.userId, template: 'password-reset' })).toHaveLength(1);
  });

  it('a sender that dies after the relay accepted resends once, with the same Message-ID, and records it', async () => {
    const u = newUser();
    await register(u);
    crashAfterSend.set(u.email, 1);
    await publish(identityEvents.passwordChanged, { userId: u.userId, email: u.email, revokedSessions: 1 });
    const [d] = await eventually(() => deliveries({ userId: u.userId, template: 'password-changed' }), (x) => x[0]?.status === DeliveryStatus.DELIVERY_STATUS_SENT, 'resent after the lease');
    expect(d!.lastError).toMatch(/resent once/);
    const copies = (await mail.to(u.email)).filter((m) => m.subject === 'Your Flix password was changed');
    expect(copies).toHaveLength(2);
    expect(copies[0]!.headers['message-id']).toBe(copies[1]!.headers['message-id']);
    expect(copies[0]!.headers['message-id']).toBe(d!.messageId);
  });

  it('a sender that dies twice with the outcome unknown is not tried a third time: failed, two copies at most', async () => {
    const u = newUser();
    await register(u);
    crashAfterSend.set(u.email, 2);
    await publish(identityEvents.passwordChanged, { userId: u.userId, email: u.email, revokedSessions: 0 });
    const [d] = await eventually(() => deliveries({ userId: u.userId, template: 'password-changed' }), (x) => x[0]?.status === DeliveryStatus.DELIVERY_STATUS_FAILED, 'given up');
    expect(d!.lastError).toMatch(/outcome unknown.*twice/);
    await svc.dispatch();
    expect((await mail.to(u.email)).filter((m) => m.subject === 'Your Flix password was changed')).toHaveLength(2);
  });

  it('a relay that is down is retried with backoff and the mail is delivered when it is back', async () => {
    const u = { ...newUser(), email: `down-${uid()}@example.com` };
    await publish(identityEvents.userRegistered, { userId: u.userId, email: u.email, displayName: 'Dee', preferredLanguage: 'en' });
    const [retrying] = await eventually(() => deliveries({ userId: u.userId }), (x) => (x[0]?.attempts ?? 0) >= 2 && x[0]?.status === DeliveryStatus.DELIVERY_STATUS_PENDING, 'a few failed attempts, waiting for the next');
    expect(retrying!.status).toBe(DeliveryStatus.DELIVERY_STATUS_PENDING);
    expect(retrying!.lastError).toMatch(/ECONNREFUSED|ESOCKET|ECONNECTION/);
    expect(await mail.to(u.email)).toHaveLength(0);
    relayBack = true;
    await eventually(() => mail.to(u.email), (m) => m.length === 1, 'delivered once the relay is back');
    const [sent] = await eventually(() => deliveries({ userId: u.userId }), (x) => x[0]?.status === DeliveryStatus.DELIVERY_STATUS_SENT, 'recorded as sent');
    expect(sent!.attempts).toBeGreaterThanOrEqual(3);
  });

  it('a permanent refusal (5xx) is recorded as a bounce, not retried, and shown to admins only', async () => {
    const u = { ...newUser(), email: `bounce-${uid()}@example.com` };
    await publish(identityEvents.userRegistered, { userId: u.userId, email: u.email, displayName: 'Bo', preferredLanguage: 'en' });
    const [d] = await eventually(() => deliveries({ userId: u.userId }), (x) => x[0]?.status === DeliveryStatus.DELIVERY_STATUS_BOUNCED, 'bounced');
    expect(d!.lastError).toMatch(/^550/);
    expect(d!.attempts).toBe(1);
    expect(d!.recipient).toBe('b***@example.com');
    await svc.dispatch();
    expect(handOvers.get(u.email)).toBe(1);
    await expect(client.listDeliveries({ userId: '', template: '', status: 0, pageSize: 10, pageToken: '' }, await as(u.userId))).rejects.toMatchObject({ kind: 'permission_denied' });
  });

  it('turned-off reminders are not sent, transactional mail still is; preferences follow the field mask', async () => {
    const u = newUser();
    await register(u);
    const me = await as(u.userId);
    expect(await client.getNotificationPreferences({}, me)).toMatchObject({ reminders: true, productNews: true });
    const updated = await client.updateNotificationPreferences({ preferences: { reminders: false, productNews: false, transactionalCategories: [], updateTime: undefined }, updateMask: ['reminders'] }, me);
    expect(updated).toMatchObject({ reminders: false, productNews: true, transactionalCategories: ['account', 'security', 'billing'] });
    await expect(client.updateNotificationPreferences({ preferences: undefined, updateMask: ['billing'] }, me)).rejects.toMatchObject({ kind: 'invalid_argument', fieldViolations: [{ field: 'updateMask', description: expect.stringContaining('billing') }] });

    const sub = { id: `sub_${uid()}`, userId: u.userId, planId: 'standard', status: SubscriptionStatus.SUBSCRIPTION_STATUS_TRIALING, trialEnd: new Date(Date.now() + 3 * 86_400_000) };
    await publish(billingEvents.subscriptionTrialWillEnd, { subscription: sub });
    await publish(billingEvents.paymentSucceeded, { payment: { id: `in_${uid()}`, userId: u.userId, kind: PaymentKind.PAYMENT_KIND_SUBSCRIPTION, amount: { amountMinor: 999, currency: 'USD' }, description: 'Subscription: standard', receiptUrl: 'https://pay.test/invoice/1' } });
    await eventually(() => mail.to(u.email), (m) => m.some((x) => x.subject === 'Your Flix receipt'), 'receipt');
    const trial = await eventually(() => deliveries({ userId: u.userId, template: 'trial-ending' }), (x) => x.length === 1, 'trial-ending decided');
    expect(trial[0]!.status).toBe(DeliveryStatus.DELIVERY_STATUS_SUPPRESSED);
    expect((await mail.to(u.email)).map((m) => m.subject)).not.toContain('Your Flix trial ends soon');
  });

  it('a rental reminder carries one-click unsubscribe headers, and the POST turns reminders off without a login', async () => {
    const u = newUser();
    await register(u);
    const rental = { id: `rent_${uid()}`, userId: u.userId, movieId: 'm1', movieTitle: 'Heat', expireTime: new Date(Date.now() + 3_600_000) };
    await publish(billingEvents.rentalActivated, { rental });
    await eventually(() => mail.to(u.email), (m) => m.some((x) => x.subject === 'Your rental is ready to watch'), 'rental started mail');
    await svc.fireReminders();
    const inbox = await eventually(() => mail.to(u.email), (m) => m.some((x) => x.subject === 'Your rental expires soon'), 'reminder');
    const reminder = inbox.find((x) => x.subject === 'Your rental expires soon')!;
    expect(reminder.text).toContain('Heat');
    const headers = await mail.rawHeaders(reminder.id);
    expect(headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    const target = /^<(.+)>$/.exec(headers['list-unsubscribe']!)![1]!;
    expect(target.startsWith(`${PUBLIC}/notifications/unsubscribe?token=`)).toBe(true);
    // The mail client POSTs the form to that URL (here straight to the service's HTTP port).
    // A GET (a link scanner, a browser) changes nothing and lands on the web app's page.
    const visit = await fetch(`${httpUrl}${new URL(target).pathname}${new URL(target).search}`, { redirect: 'manual' });
    expect(visit.status).toBe(303);
    expect(visit.headers.get('location')).toBe(`${PUBLIC}/unsubscribe${new URL(target).search}`);
    expect(await client.getNotificationPreferences({}, await as(u.userId))).toMatchObject({ reminders: true });
    const res = await fetch(`${httpUrl}${new URL(target).pathname}${new URL(target).search}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(res.status).toBe(200);
    expect(await client.getNotificationPreferences({}, await as(u.userId))).toMatchObject({ reminders: false, productNews: true });
    // The token is no key to anything else, and a forged one is refused.
    const bad = await fetch(`${httpUrl}/notifications/unsubscribe?token=abc`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(bad.status).toBe(400);
    // The web page's JSON RPC does the same, idempotently.
    const token = new URL(target).searchParams.get('token')!;
    expect(await client.unsubscribe({ token })).toEqual({ category: 'reminders' });
  });

  it('the first play brings the rental reminder forward to the 48-hour limit', async () => {
    const u = newUser();
    await register(u);
    const rental = { id: `rent_${uid()}`, userId: u.userId, movieId: 'm3', movieTitle: 'Ikiru', expireTime: new Date(Date.now() + 20 * 86_400_000) };
    await publish(billingEvents.rentalActivated, { rental });
    await eventually(() => mail.to(u.email), (m) => m.some((x) => x.subject === 'Your rental is ready to watch'), 'rental started mail');
    await svc.fireReminders();
    expect(await deliveries({ userId: u.userId, template: 'rental-expiring' })).toHaveLength(0);
    const playExpireTime = new Date(Date.now() + 2 * 3_600_000);
    await publish(billingEvents.rentalStarted, { rental: { ...rental, playStartTime: new Date(), playExpireTime } });
    const reminders = svc.mongo.db.collection('rental_reminders');
    await eventually(() => reminders.findOne({ _id: `rental:${rental.id}` as never }), (r) => r?.expiresAt?.getTime() === playExpireTime.getTime(), 'reminder moved');
    await svc.fireReminders();
    const reminder = await eventually(() => mail.to(u.email), (m) => m.some((x) => x.subject === 'Your rental expires soon'), 'reminder');
    expect(reminder.filter((x) => x.subject === 'Your rental expires soon')).toHaveLength(1);
    await svc.fireReminders();
    expect(await deliveries({ userId: u.userId, template: 'rental-expiring' })).toHaveLength(1);
  });

  it('a rental returned before its reminder is due gets no reminder', async () => {
    const u = newUser();
    await register(u);
    const rental = { id: `rent_${uid()}`, userId: u.userId, movieId: 'm2', movieTitle: 'Ran', expireTime: new Date(Date.now() + 3_600_000) };
    await publish(billingEvents.rentalActivated, { rental });
    await publish(billingEvents.rentalReturned, { rental });
    await eventually(() => svc.mongo.db.collection('rental_reminders').findOne({ _id: `rental:${rental.id}` as never }), (r) => r?.status === 'canceled', 'reminder canceled');
    await svc.fireReminders();
    expect(await deliveries({ userId: u.userId, template: 'rental-expiring' })).toHaveLength(0);
  });

  it('account deletion sends a goodbye to the address in the event, then nothing names the person', async () => {
    const u = newUser();
    await register(u);
    await client.updateNotificationPreferences({ preferences: { reminders: false, productNews: true, transactionalCategories: [], updateTime: undefined }, updateMask: ['reminders'] }, await as(u.userId));
    await publish(identityEvents.userDeleted, { userId: u.userId, email: u.email, displayName: u.displayName });
    await eventually(() => mail.to(u.email), (m) => m.some((x) => x.subject === 'Your Flix account is closed'), 'goodbye');
    await eventually(() => deliveries({ template: 'account-deleted' }), (x) => x.some((d) => d.status === DeliveryStatus.DELIVERY_STATUS_SENT && d.recipient === ''), 'goodbye settled and anonymised');
    // Every document in every collection: neither the id nor the address appears anywhere.
    for (const c of await svc.mongo.db.listCollections().toArray()) {
      const docs = JSON.stringify(await svc.mongo.db.collection(c.name).find({}).toArray());
      expect(docs, c.name).not.toContain(u.userId);
      expect(docs, c.name).not.toContain(u.email);
    }
    // A late event about the account mails nobody and brings nothing back.
    const late = [
      (await publish(billingEvents.subscriptionCanceled, { subscription: { id: 'sub_late', userId: u.userId, planId: 'standard' } })).event.eventId,
      (await publish(identityEvents.userUpdated, { userId: u.userId, displayName: 'Ghost' })).event.eventId,
    ];
    const processed = svc.mongo.db.collection('processed_events');
    await eventually(() => processed.countDocuments({ _id: { $in: late.map((id) => `notifications:${id}`) } as never }), (n) => n === 2, 'late events handled');
    expect(await svc.mongo.db.collection('contacts').countDocuments({ _id: u.userId as never })).toBe(0);
    expect(await deliveries({ userId: u.userId })).toHaveLength(0);
    await expect(client.getNotificationPreferences({}, await as(u.userId))).rejects.toMatchObject({ kind: 'unauthenticated', reason: 'ACCOUNT_DELETED' });
  });
});
