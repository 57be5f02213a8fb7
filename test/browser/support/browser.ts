/**
 * Debian's Chromium driven by playwright-core (Playwright's own browser download cannot work
 * here), with what every browser test needs: numbered screenshots in test-artefacts/, axe-core
 * accessibility checks, and the page's console errors and CSP violations collected.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect, onTestFailed } from 'vitest';

const require = createRequire(import.meta.url);
const ROOT = join(import.meta.dirname, '../../..');
export { CHROMIUM, launchBrowser } from './chromium.js';

export interface PageProblems {
  consoleErrors: string[];
  cspViolations: string[];
  pageErrors: string[];
  /** Every answer of the JSON API to this device, in order: what the app really asked and got. */
  api: { method: string; path: string; status: number }[];
}

/** A fresh browser profile (its own cookies and storage: another device), watched for problems. */
export async function newDevice(browser: Browser, opts: { viewport?: { width: number; height: number }; isMobile?: boolean } = {}): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 }, isMobile: opts.isMobile, hasTouch: opts.isMobile, locale: 'en-US' });
  await context.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  // make test runs both browser suites beside the stack suites on two cores; a screen that shows
  // in a second alone has taken over 30 s there. Waits guard against hangs, not speed.
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  const problems: PageProblems = { consoleErrors: [], cspViolations: [], pageErrors: [], api: [] };
  page.on('response', (res) => {
    const url = new URL(res.url());
    if (url.pathname.startsWith('/v1/')) problems.api.push({ method: res.request().method(), path: url.pathname, status: res.status() });
  });
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    // A refused API call is logged by the browser itself; the test asserts what the page shows instead.
    if (/Failed to load resource: the server responded with a status of (4\d\d)/.test(text)) return;
    if (/Content Security Policy/i.test(text)) problems.cspViolations.push(text);
    else problems.consoleErrors.push(text);
  });
  page.on('pageerror', (err) => problems.pageErrors.push(err.message));
  reportOnFailure(page, problems);
  return { context, page, problems };
}

/**
 * When the test that opened this device fails, what its page showed: a CI log otherwise only
 * says which locator timed out, not whether the page was an error, a spinner or another screen.
 */
function reportOnFailure(page: Page, problems: PageProblems): void {
  try {
    onTestFailed(async ({ task }) => {
      if (page.isClosed()) return;
      const dir = join(ROOT, 'test-artefacts', 'failures');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${task.name.replace(/[^\w-]+/g, '-').slice(0, 80)}-${Date.now()}.png`);
      const shown = await page.evaluate(() => document.body?.innerText.slice(0, 600) ?? '').catch((err: Error) => `(unreadable: ${err.message})`);
      await page.screenshot({ path: file }).catch(() => undefined);
      console.error(
        [
          `browser device of "${task.name}" at failure: ${page.url()}`,
          `  text: ${JSON.stringify(shown)}`,
          `  page errors: ${JSON.stringify(problems.pageErrors)}; console errors: ${JSON.stringify(problems.consoleErrors.slice(-5))}`,
          `  last API answers: ${problems.api.slice(-8).map((a) => `${a.method} ${a.path} ${a.status}`).join(', ') || 'none'}`,
          `  screenshot: ${file}`,
        ].join('\n'),
      );
    });
  } catch {
    // Opened in a beforeAll, outside any test: nothing to attach to.
  }
}

export async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []);
}

/** Screenshots of each step, numbered in the order taken, under test-artefacts/<suite>/. */
export function screenshots(suite: string): (page: Page, name: string) => Promise<string> {
  const dir = join(ROOT, 'test-artefacts', suite);
  // One run's pictures only: numbering restarts each run.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let n = 0;
  return async (page, name) => {
    const file = join(dir, `${String(++n).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: false });
    return file;
  };
}

export interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  nodes: string[];
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core in the page as it is now: the serious and critical violations (WCAG 2.x A/AA rules). */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through DevTools, which the page's CSP (script-src 'self') does not apply to.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/**
 * What every screen of a browser suite gets: a screenshot, then no serious or critical axe
 * violation, no CSP violation and no uncaught error.
 */
export function screenChecks(suite: string): { shot: (page: Page, name: string) => Promise<string>; check: (page: Page, name: string, problems: PageProblems) => Promise<void> } {
  const shot = screenshots(suite);
  const check = async (page: Page, name: string, problems: PageProblems): Promise<void> => {
    await page.waitForLoadState('networkidle').catch(() => undefined);
    await shot(page, name);
    expect(await seriousA11yViolations(page), `axe on ${name}`).toEqual([]);
    expect([...(await cspViolations(page)), ...problems.cspViolations], `CSP on ${name}`).toEqual([]);
    expect(problems.pageErrors, `uncaught errors on ${name}`).toEqual([]);
  };
  return { shot, check };
}
