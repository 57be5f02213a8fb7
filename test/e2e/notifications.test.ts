/**
 * Notifications end to end (issue 14): the whole stack behind the gateway, with a real SMTP mail
 * catcher (maildev, as `make run` starts it) whose inbox the test reads as a person would.
 *
 * Sign-up brings a welcome and a verification e-mail whose link works; "forgot password" brings
 * a reset e-mail whose token resets the password through POST /v1/auth/password:reset (and only
 * once); preferences are the person's own and respected; a reminder's one-click unsubscribe
 * (RFC 8058 POST through the gateway, no login) turns reminders off; the admin sees the
 * delivery log and a viewer does not; every e-mail arrived exactly once. Subscribing through
 * Stripe Checkout brings a receipt; a failed renewal brings "payment failed" with Stripe's hosted
 * invoice page to pay it, and "past due".
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingEvents } from '@flix/contracts';
import { connectNats, publishEvent, type NatsClients } from '@flix/events';
import { eventually, type CaughtMail } from '@flix/testkit';
import { startJourneyStack, type JourneyStack } from '../support/journey-stack.js';
import { ADMIN, call, type TestStack } from '../support/stack.js';

let journey: JourneyStack;
let stack: TestStack;
let nats: NatsClients;
let adminToken: string;
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);
const PASSWORD = 'a long uncommon passphrase 42';

interface Viewer {
  email: string;
  userId: string;
  token: string;
  refreshToken: string;
}

async function signUp(tag: string): Promise<Viewer> {
  const email = `${tag}-${randomBytes(4).toString('hex')}@example.com`;
  const r = await gw('POST', '/v1/auth/register', { body: { email, password: PASSWORD, displayName: 'Nia', preferredLanguage: 'en' } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return { email, userId: r.body.user.id, token: r.body.accessToken, refreshToken: r.body.refreshToken };
}

const inbox = (email: string) => stack.mail.to(email);
const waitFor = (email: string, subject: string) =>
  eventually(() => inbox(email), (m) => m.some((x) => x.subject === subject), `"${subject}" to ${email}`, 20_000).then((m) => m.find((x) => x.subject === subject)!) as Promise<CaughtMail>;
/** The token of a link to `path` in the text part, which must point at the web app (the gateway's origin). */
const tokenIn = (mail: CaughtMail, path: string) => {
  const m = new RegExp(`${stack.gatewayUrl.replace(/[.]/g, '\\.')}${path}\\?token=([^\\s"<]+)`).exec(mail.text);
  expect(m, `a ${path} link to ${stack.gatewayUrl} in "${mail.subject}"`).not.toBeNull();
  return decodeURIComponent(m![1]!);
};

beforeAll(async () => {
  // The whole product with Stripe's emulator behind the real SDK: receipts and payment failures
  // come from real (emulated) invoices and signed webhooks.
  journey = await startJourneyStack('notifications');
  stack = journey.stack;
  nats = await connectNats(stack.nats.url, 'notifications-e2e');
  const login = await gw('POST', '/v1/auth/login', { body: { email: ADMIN.email, password: ADMIN.password } });
  adminToken = login.body.accessToken;
}, 180_000);

afterAll(async () => {
  await nats?.drain();
  await journey?.stop();
});

describe('e-mails a person gets, through the gateway and a real mail catcher', () => {
  it('sign-up: a welcome and a verification e-mail; the verification link proves the address', async () => {
    const v = await signUp('welcome');
    const welcome = await waitFor(v.email, 'Welcome to Flix');
    expect(welcome.text).toContain('Hi Nia,');
    expect(welcome.text).toContain(`${stack.gatewayUrl}/plans`);
    const verify = await waitFor(v.email, 'Confirm your e-mail address');
    const token = tokenIn(verify, '/verify-email');
    const r = await gw('POST', '/v1/auth/email:verify', { body: { token } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await gw('GET', '/v1/users/me', { token: v.token })).body.emailVerified).toBe(true);
  });

  it('forgot password: the reset e-mail\'s token sets a new password once; the old one and the token stop working', async () => {
    const v = await signUp('reset');
    await waitFor(v.email, 'Welcome to Flix');
    const forgot = await gw('POST', '/v1/auth/password:forgot', { body: { email: v.email } });
    expect(forgot.status).toBe(200);
    const mail = await waitFor(v.email, 'Reset your Flix password');
    expect(mail.text).toContain(`${stack.gatewayUrl}/forgot-password`);
    const token = tokenIn(mail, '/reset-password');
    const newPassword = 'another uncommon passphrase 43';
    const reset = await gw('POST', '/v1/auth/password:reset', { body: { token, newPassword } });
    expect(reset.status, JSON.stringify(reset.body)).toBe(200);
    expect((await gw('POST', '/v1/auth/login', { body: { email: v.email, password: newPassword } })).status).toBe(200);
    expect((await gw('POST', '/v1/auth/login', { body: { email: v.email, password: PASSWORD } })).status).toBe(401);
    expect((await gw('POST', '/v1/auth/password:reset', { body: { token, newPassword: 'a third uncommon passphrase 44' } })).status).toBe(400);
    // The security notice follows the change.
    await waitFor(v.email, 'Your Flix password was changed');
  });

  it('preferences are the person\'s own; a reminder they turned off is not sent', async () => {
    const v = await signUp('prefs');
    expect((await gw('GET', '/v1/users/me/notification-preferences')).status).toBe(401);
    const before = await gw('GET', '/v1/users/me/notification-preferences', { token: v.token });
    expect(before.body).toMatchObject({ reminders: true, productNews: true, transactionalCategories: ['account', 'security', 'billing'] });
    const off = await gw('PATCH', '/v1/users/me/notification-preferences?updateMask=reminders', { token: v.token, body: { reminders: false } });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    expect(off.body).toMatchObject({ reminders: false, productNews: true });
    const bad = await gw('PATCH', '/v1/users/me/notification-preferences?updateMask=receipts', { token: v.token, body: { reminders: true } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('updateMask');

    await publishEvent(nats.js, billingEvents.subscriptionTrialWillEnd, { subscription: { id: `sub_${v.userId}`, userId: v.userId, planId: 'standard', trialEnd: new Date(Date.now() + 3 * 86_400_000) } });
    const logged = await eventually(
      async () => (await gw('GET', `/v1/admin/notifications/deliveries?userId=${v.userId}&template=trial-ending`, { token: adminToken })).body.deliveries ?? [],
      (d: unknown[]) => d.length === 1,
      'trial-ending decided',
    );
    expect(logged[0]).toMatchObject({ status: 'DELIVERY_STATUS_SUPPRESSED' });
    expect((await inbox(v.email)).map((m) => m.subject)).not.toContain('Your Flix trial ends soon');
  });

  it('one-click unsubscribe from a reminder works through the gateway without a login (RFC 8058)', async () => {
    const v = await signUp('unsub');
    const rental = { id: `rent_${randomBytes(4).toString('hex')}`, userId: v.userId, movieId: 'demo-1', movieTitle: 'The Long Night', expireTime: new Date(Date.now() + 2 * 3_600_000) };
    await publishEvent(nats.js, billingEvents.rentalActivated, { rental });
    await waitFor(v.email, 'Your rental is ready to watch');
    await stack.notifications.handle.fireReminders();
    const reminder = await waitFor(v.email, 'Your rental expires soon');
    const headers = await stack.mail.rawHeaders(reminder.id);
    expect(headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    const target = /^<(.+)>$/.exec(headers['list-unsubscribe'] ?? '')?.[1] ?? '';
    expect(target.startsWith(`${stack.gatewayUrl}/notifications/unsubscribe?token=`)).toBe(true);
    // What a mail client does: POST the form to the header's URL, with no cookie and no token.
    const res = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(res.status).toBe(200);
    expect((await gw('GET', '/v1/users/me/notification-preferences', { token: v.token })).body.reminders).toBe(false);
    // The web page's JSON call, public too, answers the same (idempotent); a forged token is a 400.
    const token = new URL(target).searchParams.get('token')!;
    expect(tokenIn(reminder, '/unsubscribe')).toBe(token);
    expect(await gw('POST', '/v1/notifications:unsubscribe', { body: { token } })).toMatchObject({ status: 200, body: { category: 'reminders' } });
    expect((await gw('POST', '/v1/notifications:unsubscribe', { body: { token: 'forged' } })).status).toBe(400);
  });

  it('the admin sees the delivery log; a viewer does not; each e-mail arrived exactly once', async () => {
    const v = await signUp('log');
    await waitFor(v.email, 'Welcome to Flix');
    expect((await gw('GET', '/v1/admin/notifications/deliveries', { token: v.token })).status).toBe(403);
    const sent = await eventually(
      async () => (await gw('GET', `/v1/admin/notifications/deliveries?userId=${v.userId}&status=DELIVERY_STATUS_SENT`, { token: adminToken })).body.deliveries ?? [],
      (d: { template: string }[]) => d.some((x) => x.template === 'welcome'),
      'welcome logged as sent',
    );
    const welcome = sent.find((d: { template: string }) => d.template === 'welcome') as Record<string, unknown>;
    expect(welcome).toMatchObject({ userId: v.userId, category: 'account', trigger: 'identity.user.registered', attempts: 1 });
    expect(welcome.recipient as string).toMatch(/^l\*\*\*@example\.com$/);
    // No message body, link or token in the log.
    expect(JSON.stringify(welcome)).not.toMatch(/token=|<html/i);
    const subjects = (await inbox(v.email)).map((m) => m.subject);
    expect(subjects.filter((s) => s === 'Welcome to Flix')).toHaveLength(1);
  });
});

describe('billing e-mails from Stripe\'s (emulated) invoices', () => {
  it('a receipt for the first payment; a failed renewal brings "payment failed" with the hosted invoice page, and "past due"', async () => {
    const v = await signUp('billing');
    const { stripe } = journey;
    const checkout = await gw('POST', '/v1/checkout/sessions', { token: v.token, body: { planId: 'standard-monthly', successUrl: 'https://app.test/ok', cancelUrl: 'https://app.test/no' } });
    expect(checkout.status, JSON.stringify(checkout.body)).toBe(200);
    await stripe.pay(checkout.body.sessionId);
    await stripe.whenDelivered();
    const receipt = await waitFor(v.email, 'Your Flix receipt');
    expect(receipt.text).toContain('$15.49');
    const sub = await eventually(() => gw('GET', '/v1/subscription', { token: v.token }), (r) => r.body?.status === 'SUBSCRIPTION_STATUS_ACTIVE', 'active subscription');

    stripe.failNextPayments(sub.body.id, 1);
    await stripe.advanceClock(Math.floor(Date.parse(sub.body.currentPeriodEnd) / 1000) - stripe.now() + 3600);
    await stripe.whenDelivered();
    const failed = await waitFor(v.email, 'Your Flix payment failed');
    const fix = /Please update your payment method or pay the invoice so you keep watching:\s+(\S+)/.exec(failed.text)?.[1];
    expect(fix, failed.text).toMatch(new RegExp(`^${stripe.url.replace(/[.]/g, '\\.')}/invoice/in_`));
    expect((await fetch(fix!)).status).toBe(200);
    await waitFor(v.email, 'Your Flix subscription is past due');
    // One receipt, one failure notice: a renewal's webhooks arrive several times over.
    const subjects = (await inbox(v.email)).map((m) => m.subject);
    expect(subjects.filter((s) => s === 'Your Flix receipt')).toHaveLength(1);
    expect(subjects.filter((s) => s === 'Your Flix payment failed')).toHaveLength(1);
  });
});
