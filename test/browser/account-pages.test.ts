/**
 * The account pages of issue 14 in a real Chromium, against the whole stack through the gateway
 * (identity, notifications with a real mail catcher, every service erasing on deletion), nothing
 * faked. What a person does, with the e-mails they really get:
 *
 * sign up → the "verify your e-mail" banner → the verification link from the inbox → the
 * security page lists this device → change password (this device stays signed in) → forgot
 * password on another device → the reset link resets it once (a second use says so) → e-mail
 * preferences → a TV code approved on /activate (the TV's poll then gets tokens) → OAuth consent
 * for a third-party app (Allow → its redirect with a code) → privacy: the export downloads a JSON
 * with the person's e-mail → delete the account → signed out at home; the password no longer works.
 *
 * Screenshots of each page go to test-artefacts/account-pages/, and axe-core checks each one.
 */
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type CaughtMail } from '@flix/testkit';
import { call, startTestStack, type TestStack } from '../support/stack.js';
import { launchBrowser, newDevice, screenChecks, type PageProblems } from './support/browser.js';

const PASSWORD = 'a long uncommon passphrase';
const CHANGED = 'another long passphrase here';
const RESET = 'a third long passphrase now';
/** A third-party application (FLIX_OAUTH_APPS) whose redirect the browser test catches. */
const PARTNER = { id: 'partner-films', name: 'Partner Films', redirect: 'https://partner.example/callback' };

let stack: TestStack;
let browser: Browser;
const { shot, check } = screenChecks('account-pages');
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);

beforeAll(async () => {
  const apps = JSON.stringify([{ id: PARTNER.id, name: PARTNER.name, redirectUris: [PARTNER.redirect], scopes: ['profile', 'library'] }]);
  [stack, browser] = await Promise.all([startTestStack({ FLIX_OAUTH_APPS: apps, FLIX_OAUTH_DEVICE_POLL_INTERVAL_SECONDS: '1' }, { web: true }), launchBrowser()]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** The newest e-mail with `subject` to `email`, waiting for it to arrive. */
async function mailTo(email: string, subject: string, after = 0): Promise<CaughtMail> {
  const pick = (all: CaughtMail[]) => all.filter((m) => m.subject === subject).slice(after);
  const all = await eventually(() => stack.mail.to(email), (m) => pick(m).length > 0, `"${subject}" to ${email}`, 30_000);
  return pick(all).at(-1)!;
}

/** The link to the web app's `path` in the e-mail's text part. */
function linkIn(mail: CaughtMail, path: string): string {
  const m = new RegExp(`${stack.gatewayUrl.replace(/[.]/g, '\\.')}${path}\\?token=[^\\s"<]+`).exec(mail.text);
  expect(m, `a ${path} link in "${mail.subject}"`).not.toBeNull();
  return m![0];
}

describe('the account pages', { timeout: 120_000 }, () => {
  const email = `account-${Date.now()}@example.com`;
  let page: Page;
  let problems: PageProblems;
  /** The TV's refresh token, from the device flow: signed out from the security page later. */
  let tvRefreshToken = '';

  it('signs up; the shell asks to verify the address until the e-mailed link is opened', async () => {
    ({ page, problems } = await newDevice(browser));
    await page.goto(`${stack.gatewayUrl}/signup`);
    await page.getByLabel('Your name').fill('Ada Account');
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: "Who's watching?" }).waitFor();
    const banner = page.getByRole('region', { name: 'E-mail verification' });
    await expect.poll(() => banner.textContent()).toContain(email);
    await check(page, 'verify-banner', problems);

    const verify = await mailTo(email, 'Confirm your e-mail address');
    await page.goto(linkIn(verify, '/verify-email'));
    await page.getByRole('heading', { name: 'Your e-mail address is verified' }).waitFor();
    expect(await banner.count()).toBe(0);
    await check(page, 'verify-email-done', problems);
    // The link works once: opened again, it says so.
    await page.reload();
    await page.getByRole('heading', { name: /expired or was already used|is verified/ }).waitFor();
  });

  it('lists this device on the security page and changes the password, staying signed in', async () => {
    await page.goto(`${stack.gatewayUrl}/account/security`);
    const devices = page.getByRole('region', { name: 'Devices' });
    const thisDevice = devices.getByTestId('device').filter({ hasText: 'This device' });
    await thisDevice.waitFor();
    // Named from the User-Agent (headless Chromium on Linux here) with the coarse network it came from.
    expect(await thisDevice.textContent()).toMatch(/Linux/);
    expect(await thisDevice.textContent()).toMatch(/Near 127\.0\.0\.0\/24/);
    expect(await devices.getByTestId('device').count()).toBe(1);
    await devices.scrollIntoViewIfNeeded();
    await check(page, 'security', problems);

    const form = page.getByRole('form', { name: 'Change password' });
    await form.getByLabel('Current password').fill('not my password at all');
    await form.getByLabel('New password').fill(CHANGED);
    await form.getByRole('button', { name: 'Change password' }).click();
    // Refused on the field that is wrong, with focus on it.
    await expect.poll(() => form.locator('.field-error').first().textContent()).toBeTruthy();
    expect(await form.getByLabel('Current password').evaluate((el) => el === document.activeElement)).toBe(true);
    await check(page, 'security-wrong-password', problems);

    await form.getByLabel('Current password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('region', { name: 'Password' }).getByRole('status').filter({ hasText: 'Your password is changed.' }).waitFor();
    await check(page, 'security-password-changed', problems);
    // This device is still signed in after a reload (its refresh token family was kept).
    await page.reload();
    await thisDevice.waitFor();
    expect((await gw('POST', '/v1/auth/login', { body: { email, password: CHANGED } })).status).toBe(200);
  });

  it('forgot password on another device: the e-mailed link sets a new password once', async () => {
    const other = await newDevice(browser);
    await other.page.goto(`${stack.gatewayUrl}/login`);
    await other.page.getByRole('link', { name: 'Forgot your password?' }).click();
    await other.page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    await check(other.page, 'forgot-password', other.problems);
    await other.page.getByLabel('E-mail').fill(email);
    await other.page.getByRole('button', { name: 'Send the link' }).click();
    await other.page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    await check(other.page, 'forgot-password-sent', other.problems);

    const link = linkIn(await mailTo(email, 'Reset your Flix password'), '/reset-password');
    await other.page.goto(link);
    await other.page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await other.page.getByLabel('New password', { exact: true }).fill(RESET);
    await other.page.getByLabel('Confirm new password').fill(RESET + 'x');
    await other.page.getByRole('button', { name: 'Change password' }).click();
    await other.page.getByText('The two passwords are not the same').waitFor();
    await check(other.page, 'reset-password-mismatch', other.problems);
    await other.page.getByLabel('Confirm new password').fill(RESET);
    await other.page.getByRole('button', { name: 'Change password' }).click();
    await other.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await other.page.getByText('Your password is changed').waitFor();
    await check(other.page, 'reset-password-done', other.problems);

    await other.page.goto(link);
    await other.page.getByLabel('New password', { exact: true }).fill('yet another passphrase 1');
    await other.page.getByLabel('Confirm new password').fill('yet another passphrase 1');
    await other.page.getByRole('button', { name: 'Change password' }).click();
    await other.page.getByRole('heading', { name: 'This link has expired or was already used' }).waitFor();
    await check(other.page, 'reset-password-used', other.problems);
    await other.context.close();

    // The reset signed every device out, this one too: it signs in with the new password.
    await page.goto(`${stack.gatewayUrl}/account/security`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(RESET);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back to the account page it was sent from, without a profile choice.
    await page.getByRole('heading', { name: 'Security' }).waitFor();
  });

  it('keeps e-mail preferences', async () => {
    await page.goto(`${stack.gatewayUrl}/account/notifications`);
    const news = page.getByRole('switch', { name: /News from Flix/ });
    await news.waitFor();
    expect(await news.isChecked()).toBe(true);
    await news.uncheck();
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await page.getByText('Your e-mail preferences are saved.').waitFor();
    await check(page, 'notifications', problems);
    await page.reload();
    await news.waitFor();
    expect(await news.isChecked()).toBe(false);

    // An unsubscribe link that was cut or altered says so instead of failing silently.
    await page.goto(`${stack.gatewayUrl}/unsubscribe?token=not-a-real-token`);
    await page.getByRole('heading', { name: 'This unsubscribe link does not work' }).waitFor();
    await check(page, 'unsubscribe-bad-link', problems);
  });

  it('approves a TV code on /activate; the TV\'s next poll gets tokens', async () => {
    const start = await fetch(`${stack.gatewayUrl}/oauth/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'flix-tv', scope: 'profile playback' }),
    });
    expect(start.status, await start.clone().text()).toBe(200);
    const device = (await start.json()) as { device_code: string; user_code: string; verification_uri: string; interval: number };
    expect(device.verification_uri).toBe(`${stack.gatewayUrl}/activate`);
    const poll = () =>
      fetch(`${stack.gatewayUrl}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: device.device_code, client_id: 'flix-tv' }),
      });
    expect(((await (await poll()).json()) as { error: string }).error).toBe('authorization_pending');

    await page.goto(device.verification_uri);
    await page.getByRole('heading', { name: 'Sign in on your TV' }).waitFor();
    // A code no TV shows is refused on the field, which gets the focus.
    await page.getByLabel('Code').fill('bcdf-ghjk');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText(/No TV is waiting for this code/).waitFor();
    expect(await page.getByLabel('Code').evaluate((el) => el === document.activeElement)).toBe(true);
    await check(page, 'activate-unknown-code', problems);
    // Typed as a person would: small letters, no dash.
    await page.getByLabel('Code').fill(device.user_code.replace('-', '').toLowerCase());
    expect(await page.getByLabel('Code').inputValue()).toBe(device.user_code);
    await check(page, 'activate-code', problems);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByTestId('device-request').getByText('Flix for TV').waitFor();
    await check(page, 'activate-request', problems);
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('heading', { name: 'You can go back to your TV' }).waitFor();
    await check(page, 'activate-approved', problems);

    // Polled as a TV does: every `interval` seconds, five more after a slow_down (RFC 8628 §3.5).
    let interval = device.interval;
    let tokens: { access_token?: string; refresh_token?: string; error?: string } = {};
    for (let i = 0; i < 10 && !tokens.access_token; i++) {
      await new Promise((r) => setTimeout(r, interval * 1000));
      tokens = (await (await poll()).json()) as typeof tokens;
      if (tokens.error === 'slow_down') interval += 5;
      else if (tokens.error && tokens.error !== 'authorization_pending') break;
    }
    expect(tokens.access_token, JSON.stringify(tokens)).toBeTruthy();
    expect((await gw('GET', '/v1/users/me', { token: tokens.access_token })).body.email).toBe(email);
    tvRefreshToken = tokens.refresh_token ?? '';
  });

  it('asks consent for a third-party app; Allow returns to it with a code', async () => {
    // The partner's site: the browser lands there with the code.
    await page.route(`${new URL(PARTNER.redirect).origin}/**`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<title>Partner</title><h1>Partner Films</h1>' }));
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: PARTNER.id,
      redirect_uri: PARTNER.redirect,
      scope: 'profile library',
      state: 'st-123',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    await page.goto(`${stack.gatewayUrl}/oauth/authorize?${query}`);
    await page.getByRole('heading', { name: `Allow ${PARTNER.name} to use your Flix account?` }).waitFor();
    await page.getByText('See your name, e-mail address and profiles').waitFor();
    await check(page, 'oauth-consent', problems);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((u) => u.href.startsWith(PARTNER.redirect));
    const back = new URL(page.url());
    expect(back.searchParams.get('state')).toBe('st-123');
    expect(back.searchParams.get('code')).toBeTruthy();
  });

  it('fits a phone; the computer signs the phone and the TV out from the devices list', async () => {
    const phone = await newDevice(browser, { viewport: { width: 390, height: 844 }, isMobile: true });
    // Signed out, the account page sends to sign-in and, once signed in, straight back.
    await phone.page.goto(`${stack.gatewayUrl}/account/security`);
    await phone.page.getByLabel('E-mail').fill(email);
    await phone.page.getByLabel('Password').fill(RESET);
    await phone.page.getByRole('button', { name: 'Sign in' }).click();
    await phone.page.getByRole('heading', { name: 'Security', level: 1 }).waitFor();
    await phone.page.getByRole('region', { name: 'Devices' }).getByTestId('device').first().waitFor();
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await check(phone.page, 'security-phone', phone.problems);

    await page.goto(`${stack.gatewayUrl}/account/security`);
    const devices = page.getByRole('region', { name: 'Devices' });
    const others = devices.getByTestId('device').filter({ hasNotText: 'This device' });
    // This computer, the TV and the phone.
    await expect.poll(() => devices.getByTestId('device').count()).toBe(3);
    await devices.scrollIntoViewIfNeeded();
    await check(page, 'security-three-devices', problems);
    for (let left = 2; left > 0; left--) {
      await others.first().getByRole('button', { name: /^Sign out/ }).click();
      await devices.getByRole('group').getByRole('button', { name: /^Sign out/ }).click();
      await expect.poll(() => others.count()).toBe(left - 1);
    }
    await devices.getByRole('status').filter({ hasText: 'is signed out.' }).waitFor();
    // The phone finds itself signed out at its next refresh, the TV's refresh token is refused.
    await phone.page.reload();
    await phone.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await phone.context.close();
    const refresh = await fetch(`${stack.gatewayUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tvRefreshToken, client_id: 'flix-tv' }),
    });
    expect(refresh.status).toBe(400);
  });

  it('downloads my data: a JSON file with the person\'s e-mail', async () => {
    await page.goto(`${stack.gatewayUrl}/account/privacy`);
    await page.getByRole('heading', { name: 'Privacy', level: 1 }).waitFor();
    await check(page, 'privacy', problems);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download my data' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^flix-data-\d{4}-\d\d-\d\d\.json$/);
    const text = await readFile((await download.path())!, 'utf8');
    const archive = JSON.parse(text) as { userId: string; parts: { service: string }[] };
    expect(text).toContain(email);
    expect(archive.parts.map((p) => p.service)).toContain('identity');
    await page.getByText(/Your data is saved as flix-data-/).waitFor();
    await shot(page, 'privacy-downloaded');
  });

  it('deletes the account: signed out at home, and the password no longer works', async () => {
    const zone = page.getByRole('region', { name: 'Delete my account' });
    await zone.getByLabel('Your password').fill(RESET);
    await zone.getByLabel('Type DELETE MY ACCOUNT to confirm').fill('delete my account');
    await zone.getByRole('button', { name: 'Delete my account' }).click();
    await zone.getByText(/Type DELETE MY ACCOUNT exactly/).waitFor();
    await check(page, 'delete-confirmation-refused', problems);
    await zone.getByLabel('Type DELETE MY ACCOUNT to confirm').fill('DELETE MY ACCOUNT');
    await zone.getByRole('button', { name: 'Delete my account' }).click();
    await page.getByText('Your account is deleted.', { exact: false }).waitFor();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByRole('link', { name: 'Sign up' }).waitFor();
    await check(page, 'deleted-signed-out', problems);
    expect((await gw('POST', '/v1/auth/login', { body: { email, password: RESET } })).status).toBe(401);
    // A reload stays signed out: nothing of the session is left in this browser.
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(problems.consoleErrors).toEqual([]);
  });
});
