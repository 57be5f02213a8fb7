/**
 * Debian's Chromium driven by playwright-core (Playwright's own browser download cannot work
 * here). No DOM types in this file, so the benchmarks (type-checked without the DOM library)
 * launch the same browser the tests do.
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.FLIX_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      // Root in CI: Chromium's sandbox needs user namespaces it cannot have there.
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      // The machine's network is closed: no update checks, sync or component downloads.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
      '--mute-audio',
    ],
  });
}
