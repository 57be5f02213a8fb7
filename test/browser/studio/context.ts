/**
 * What every Flix Studio scenario shares: one stack (with the web app and the Stripe and Mux
 * emulators), one Chromium, and the screen check (axe, CSP, console, screenshot to
 * test-artefacts/studio/). studio.test.ts starts them once and runs the scenarios in order.
 */
import type { Browser, Page } from 'playwright-core';
import type { JourneyStack } from '../../support/journey-stack.js';
import type { TestStack } from '../../support/stack.js';
import type { PageProblems } from '../support/browser.js';

export const PASSWORD = 'a long uncommon passphrase';

export interface StudioContext {
  journey: JourneyStack;
  stack: TestStack;
  browser: Browser;
  /** Screenshot `name`, then fail on serious axe violations, CSP violations or page errors. */
  check: (page: Page, name: string, problems: PageProblems) => Promise<void>;
}

/** A scenario gets the context lazily: it exists once studio.test.ts's beforeAll has run. */
export type Studio = () => StudioContext;

/** Signs in through the login page and picks the first profile, landing on Home. */
export async function signIn(page: Page, gatewayUrl: string, email: string, password = PASSWORD): Promise<void> {
  await page.goto(`${gatewayUrl}/login`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: "Who's watching?" }).waitFor();
  await page.locator('.profile-tile').first().click();
  await page.getByRole('heading', { name: 'Popular on Flix' }).waitFor();
}
