/**
 * The viewer web app in a real Chromium, against the whole system through the gateway (the
 * app is served same-origin by the web server behind it), with nothing faked: the Stripe
 * emulator's hosted checkout and signed webhooks, the Mux emulator, and the video origin
 * checking signed tokens while hls.js plays.
 *
 * sign up → a kids profile is refused a mature title → subscribe (press Pay) → search with a
 * typo → play (the <video> really advances) → leave, reload, continue watching at the position
 * → resume → rate, add to My list → a third screen is refused → cancel, the clock passes the
 * period end, playback is refused. Screenshots of each step go to test-artefacts/web-journey/,
 * and axe-core checks each screen.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '@flix/stripe-emulator';
import { eventually as until } from '@flix/testkit';
import { startJourneyStack, type JourneyStack } from '../support/journey-stack.js';
import { call, type TestStack } from '../support/stack.js';
import { launchBrowser, newDevice, screenChecks, type PageProblems } from './support/browser.js';

const PASSWORD = 'a long uncommon passphrase';

let journey: JourneyStack;
let stack: TestStack;
let stripe: StripeEmulator;
let browser: Browser;
const { shot, check } = screenChecks('web-journey');
const gw = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(stack.gatewayUrl, method, path, opts);

beforeAll(async () => {
  // Access tokens live 75 s, so the app refreshes them (15 s after each) many times during the journey.
  [journey, browser] = await Promise.all([startJourneyStack('web_journey', { web: true, identity: { FLIX_ACCESS_TOKEN_TTL_SECONDS: '75' } }), launchBrowser()]);
  ({ stack, stripe } = journey);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await journey?.stop();
});

async function videoTime(page: Page): Promise<number> {
  return page.getByTestId('player-video').evaluate((v) => (v as HTMLVideoElement).currentTime);
}

/** Waits until the <video> has really played past `seconds`, without a media error. */
async function playsPast(page: Page, seconds: number): Promise<void> {
  await page.waitForFunction(
    (s) => {
      const v = document.querySelector('[data-testid="player-video"]') as HTMLVideoElement | null;
      if (v?.error) throw new Error(`media error ${v.error.code}: ${v.error.message}`);
      return !!v && v.currentTime > s && !v.paused;
    },
    seconds,
    { timeout: 30_000 },
  );
}

/**
 * Plays, then goes back to the start: the local test stream lasts 30 s and a resumed player
 * near its end would finish (and free its stream) while the test still counts on it.
 */
async function playsFromStart(page: Page): Promise<void> {
  await playsPast(page, 0.5);
  await page.getByTestId('player-video').evaluate((v) => void ((v as HTMLVideoElement).currentTime = 0));
}

async function signIn(page: Page, email: string): Promise<void> {
  await page.goto(`${stack.gatewayUrl}/login`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: "Who's watching?" }).waitFor();
}

// Browser steps wait for real playback and webhooks: more time than the suite's default.
describe('the viewer web app', { timeout: 120_000 }, () => {
  const email = `web-${Date.now()}@example.com`;
  let page: Page;
  let problems: PageProblems;
  let title: { id: string; title: string };
  let savedPosition = 0;

  it('signs up and lands on "Who\'s watching?"', async () => {
    ({ page, problems } = await newDevice(browser));
    await page.goto(`${stack.gatewayUrl}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await check(page, 'sign-in', problems);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    // A bad password is refused next to its field, with the API's own words.
    await page.getByLabel('Your name').fill('Web Viewer');
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => page.locator('.field-error').first().textContent()).toMatch(/at least 10 characters/);
    await check(page, 'sign-up-error', problems);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: "Who's watching?" }).waitFor();
    await check(page, 'profiles', problems);
  });

  it('keeps the refresh token out of page scripts, and the session survives a reload', async () => {
    const cookies = await page.context().cookies();
    const refresh = cookies.find((c) => c.name === 'flix_refresh');
    expect(refresh).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/v1/auth' });
    expect(await page.evaluate(() => document.cookie)).not.toContain('flix_refresh');
    await page.reload();
    await page.getByRole('heading', { name: "Who's watching?" }).waitFor();
  });

  it('creates a kids profile that is refused a mature title', async () => {
    await page.getByRole('link', { name: 'Add profile' }).click();
    await page.getByLabel('Name').fill('Kiddo');
    await page.getByLabel('Kids profile').check();
    await check(page, 'profile-new-kids', problems);
    await page.getByRole('button', { name: 'Add profile' }).click();
    await page.getByRole('button', { name: /Kiddo/ }).click();
    await page.getByRole('heading', { name: 'Popular on Flix' }).waitFor();
    await check(page, 'home-kids', problems);
    const mature = (await gw('GET', '/v1/movies?maturity=R&pageSize=1')).body.movies[0] as { id: string; title: string };
    expect(mature).toBeDefined();
    await page.goto(`${stack.gatewayUrl}/title/${mature.id}`);
    await page.getByRole('heading', { name: 'Not available on this profile' }).waitFor();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/maturity limit \(PG\)/);
    await check(page, 'kids-refused-mature', problems);
    // Nothing above PG shows up in the kids profile's search either.
    await page.goto(`${stack.gatewayUrl}/search?q=${encodeURIComponent(mature.title)}`);
    await page.getByRole('status').filter({ hasText: /result/ }).waitFor();
    expect(await page.getByRole('link', { name: cardName(mature.title) }).count()).toBe(0);
  });

  it('subscribes through the hosted checkout (press Pay) and waits for the webhook', async () => {
    await page.goto(`${stack.gatewayUrl}/profiles`);
    await page.getByRole('button', { name: /^Web Viewer/ }).click();
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('link', { name: /See plans/ }).click();
    await page.getByRole('heading', { name: /plan/i }).first().waitFor();
    await check(page, 'plans', problems);
    await page.getByRole('button', { name: 'Choose Standard monthly' }).click();
    await page.waitForURL(/\/checkout\/cs_/);
    await shot(page, 'stripe-checkout');
    await page.locator('#pay').click();
    await page.waitForURL(/\/checkout\/return/);
    await expect.poll(() => page.getByTestId('checkout-status').textContent(), { timeout: 30_000 }).toMatch(/subscribed/i);
    await check(page, 'checkout-return', problems);
  });

  it('finds a title with a misspelt search', async () => {
    const list = (await gw('GET', '/v1/movies?pageSize=100&orderBy=popularity')).body.movies as { id: string; title: string; requiredPlan: string; maturityRating: string }[];
    title = list.find((m) => (m.requiredPlan === 'PLAN_TIER_BASIC' || m.requiredPlan === 'PLAN_TIER_STANDARD') && m.title.length > 5)!;
    const typo = title.title.slice(0, -1) + (title.title.endsWith('x') ? 'y' : 'x');
    await page.getByRole('link', { name: 'Search' }).click();
    await page.getByLabel('Titles, people, genres').fill(typo);
    const hit = page.getByRole('link', { name: cardName(title.title) }).first();
    await hit.waitFor({ timeout: 15_000 });
    await check(page, 'search-typo', problems);
    await hit.click();
    await page.getByRole('heading', { name: title.title, level: 1 }).waitFor();
    await page.getByRole('button', { name: /^Play/ }).waitFor();
    await check(page, 'title', problems);
  });

  it('plays: the <video> really advances', async () => {
    await page.getByRole('button', { name: /^Play/ }).click();
    await page.waitForURL(/\/watch\//);
    // Far enough in for a resume point (the title page offers one from 5 s on).
    await playsPast(page, 7);
    await check(page, 'player', problems);
    savedPosition = await videoTime(page);
  });

  it('leaves, reloads and finds the title in Continue watching at its position; resumes', async () => {
    savedPosition = await videoTime(page);
    await page.getByRole('link', { name: /Back/ }).click();
    await page.getByRole('heading', { name: title.title, level: 1 }).waitFor();
    await page.goto(`${stack.gatewayUrl}/browse`);
    await page.reload();
    const row = page.getByRole('region', { name: 'Continue watching' });
    await row.getByRole('link', { name: new RegExp(`^${escapeRegExp(title.title)}\\s*, \\d+% watched`) }).waitFor({ timeout: 15_000 });
    await check(page, 'home-continue-watching', problems);
    await row.getByRole('link', { name: cardName(title.title) }).click();
    const resume = page.getByRole('button', { name: /^Resume at \d+:\d\d/ });
    await resume.waitFor();
    await shot(page, 'title-resume');
    await resume.click();
    await playsPast(page, Math.max(0, Math.floor(savedPosition) - 1));
    expect(await videoTime(page)).toBeGreaterThanOrEqual(Math.floor(savedPosition) - 1);
  });

  it('rates the title and adds it to My list', async () => {
    await page.getByRole('link', { name: /Back/ }).click();
    await page.getByRole('heading', { name: title.title, level: 1 }).waitFor();
    await page.getByRole('radio', { name: '4 stars' }).check({ force: true });
    await page.getByRole('status').filter({ hasText: 'Your rating is saved.' }).waitFor();
    await page.getByRole('button', { name: 'My list' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'My list' }).getAttribute('aria-pressed')).toBe('true');
    await check(page, 'title-rated-listed', problems);
    await page.getByRole('link', { name: 'My list' }).click();
    await page.getByRole('link', { name: cardName(title.title) }).waitFor();
    await check(page, 'my-list', problems);
  });

  it('works by keyboard alone: search, open a title, play, and leave the player', async () => {
    await page.goto(`${stack.gatewayUrl}/search`);
    await page.getByRole('heading', { name: 'Search', level: 1 }).waitFor();
    await tabTo(page, page.getByLabel('Titles, people, genres'));
    await page.keyboard.type(title.title);
    // Results settle (the typed query is answered) before Tab walks into them.
    await page.getByRole('status').filter({ hasText: `for “${title.title}”` }).waitFor();
    const card = page.getByRole('link', { name: cardName(title.title) }).first();
    await card.waitFor();
    await tabTo(page, card);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: title.title, level: 1 }).waitFor();
    await tabTo(page, page.getByRole('button', { name: /^(Play|Resume at)/ }));
    await shot(page, 'keyboard-focus-play');
    await page.keyboard.press('Enter');
    await playsPast(page, 0.5);
    await page.keyboard.press('Escape');
    await page.getByRole('heading', { name: title.title, level: 1 }).waitFor();
  });

  it('refuses a third screen with the plan\'s limit', async () => {
    // Screen 1: this device plays. Screens 2 and 3: other browsers of the same account.
    await page.goto(`${stack.gatewayUrl}/watch/${title.id}`);
    await playsFromStart(page);
    const second = await newDevice(browser);
    await signIn(second.page, email);
    await second.page.getByRole('button', { name: /^Web Viewer/ }).click();
    await second.page.goto(`${stack.gatewayUrl}/watch/${title.id}`);
    await playsFromStart(second.page);
    const third = await newDevice(browser, { viewport: { width: 390, height: 844 }, isMobile: true });
    await signIn(third.page, email);
    await third.page.getByRole('button', { name: /^Web Viewer/ }).click();
    // A phone-sized screen: Home fits its width (nothing scrolls sideways but the rows themselves).
    await third.page.getByRole('heading', { name: 'Popular on Flix' }).waitFor();
    expect(await third.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await check(third.page, 'home-phone', third.problems);
    await third.page.goto(`${stack.gatewayUrl}/watch/${title.id}`);
    const refusal = third.page.getByTestId('player-error');
    await expect.poll(() => refusal.textContent(), { timeout: 15_000 }).toMatch(/allows 2 concurrent streams/);
    await check(third.page, 'third-screen-refused-phone', third.problems);
    await third.context.close();
    await second.context.close();
  });

  it('cancels; when the period ends mid-play the next heartbeat stops the video, and playback is refused', async () => {
    await page.goto(`${stack.gatewayUrl}/account`);
    await page.getByTestId('subscription-status').waitFor();
    await page.getByRole('button', { name: 'Cancel subscription' }).click();
    // A confirmation step, then the status says when it ends.
    await page.getByRole('button', { name: /cancel at period end/i }).last().click();
    await expect.poll(() => page.getByTestId('subscription-status').textContent(), { timeout: 15_000 }).toMatch(/canceled/i);
    await page.getByText(/^Ends on /).waitFor();
    await check(page, 'account-canceled', problems);

    // Still paid up to the period end: watching goes on…
    await page.goto(`${stack.gatewayUrl}/watch/${title.id}`);
    await playsFromStart(page);
    const sub = (await gw('POST', '/v1/auth/login', { body: { email, password: PASSWORD } })).body.accessToken as string;
    const periodEnd = Date.parse((await gw('GET', '/v1/subscription', { token: sub })).body.currentPeriodEnd) / 1000;
    await stripe.whenDelivered();
    await stripe.advanceClock(periodEnd - stripe.now() + 3600);
    await stripe.whenDelivered();
    await until(() => gw('GET', '/v1/subscription', { token: sub }), (r) => r.body?.status === 'SUBSCRIPTION_STATUS_EXPIRED', 'expired subscription');
    // …until the period ends: the next heartbeat is refused, the video stops and the page says why.
    await expect.poll(() => page.getByTestId('player-error').textContent(), { timeout: 30_000 }).toMatch(/subscription/i);
    expect(await page.getByTestId('player-video').evaluate((v) => (v as HTMLVideoElement).paused)).toBe(true);
    await check(page, 'player-stopped-mid-play', problems);

    await page.goto(`${stack.gatewayUrl}/title/${title.id}`);
    await page.getByRole('link', { name: 'Choose a plan' }).waitFor();
    await check(page, 'title-after-expiry', problems);
    await page.goto(`${stack.gatewayUrl}/watch/${title.id}`);
    await expect.poll(() => page.getByTestId('player-error').textContent(), { timeout: 15_000 }).toMatch(/subscription/i);
    await check(page, 'player-refused-after-expiry', problems);
    expect(problems.consoleErrors).toEqual([]);
  });

  it('refreshed the access token before it expired, all along: no call was ever refused for it', () => {
    const refreshes = problems.api.filter((a) => a.path === '/v1/auth/refresh');
    // Reloads restore the session from the cookie, and the 75 s tokens were renewed ahead of expiry.
    expect(refreshes.length).toBeGreaterThan(3);
    expect(refreshes.filter((r) => r.status !== 200)).toEqual([]);
    expect(problems.api.filter((a) => a.status === 401)).toEqual([]);
  });
});

/** Presses Tab until `target` has the focus (as a keyboard user would), failing after 60 stops. */
async function tabTo(page: Page, target: ReturnType<Page['locator']>): Promise<void> {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
  }
  throw new Error(`could not reach ${target} with the Tab key`);
}

/** A title card's accessible name starts with the title (then year, rating, progress). */
function cardName(title: string): RegExp {
  return new RegExp(`^${escapeRegExp(title)}(?![\\w'])`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
