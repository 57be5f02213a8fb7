/**
 * The viewer web app's speed as a viewer meets it, one run:
 *  1. Bundle size (no browser): what web/dist/index.html makes every first visit download — the
 *     entry <script type="module">, each <link rel="modulepreload"> and each stylesheet — gzip
 *     size, summed; and the largest lazy chunks (hls.js, screens) for context.
 *     Target: initial JS ≤ 200 kB gzip.
 *  2. Home page: cold loads of /browse in Debian's Chromium, signed in with a chosen profile:
 *     first contentful paint, and the first title card of "Popular on Flix" on screen.
 *     Target: FCP ≤ 1 s.
 *  3. Press play → first frame: from the click on a title page's Play button to the first video
 *     frame the <video data-testid="player-video"> presents. Target ≤ 2 s.
 * Targets are reported, never asserted: the exit code is non-zero only when the benchmark crashes.
 *
 * The system is the one the browser journey (test/browser/web-journey.test.ts) runs against:
 * startTestStack with the web app, the Stripe and Mux emulators and the video origin. Why not
 * bench/lib's starters: processes.ts has no web server, engagement or recommendations (the home
 * page calls both), and system.ts (`make run`) binds fixed ports that collide with anyone's
 * `make run` on this shared machine. The cost: the services, gateway and web server share this
 * process's one event loop, so on a quiet machine API-bound numbers (the title card, StartSession
 * before the first frame) are slightly pessimistic compared with one process per service.
 *
 * Usage: npx tsx bench/web.ts [--runs 5] [--warmup 1] [--bundle-only]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { eventually } from '@flix/testkit';
import { launchBrowser } from '../test/browser/support/chromium.js';
import { startJourneyStack, type JourneyStack } from '../test/support/journey-stack.js';
import { call } from '../test/support/stack.js';
import { arg } from './lib/args.js';

const USAGE = 'Usage: npx tsx bench/web.ts [--runs 5] [--warmup 1] [--bundle-only]\n' +
  '  --runs N       measured cold loads of /browse, and measured plays (default 5)\n' +
  '  --warmup N     unmeasured runs of each first (server JIT and caches; default 1)\n' +
  '  --bundle-only  only the bundle sizes (no system, no browser)\n' +
  '  env FLIX_CHROMIUM  the Chromium binary (default /usr/bin/chromium)';
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
const RUNS = arg('runs', 5);
const WARMUP = arg('warmup', 1);
const BUNDLE_ONLY = process.argv.includes('--bundle-only');

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'web/dist');
const TARGET = { initialJsGzip: 200_000, fcpMs: 1_000, firstFrameMs: 2_000 };
/** How long one run may wait for the card or the frame before it counts as failed. */
const RUN_TIMEOUT_MS = 30_000;

const t0 = performance.now();
const loadAtStart = loadavg();
const note = (msg: string) => console.error(`[${((performance.now() - t0) / 1000).toFixed(0)}s] ${msg}`);
const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'n/a');

// ------------------------------------------------------------------ 1. bundle size

interface Asset {
  file: string;
  raw: number;
  gzip: number;
}

/** The .gz vite's precompress plugin wrote beside the file (what the server sends), else gzip -9 now (it skips files under 512 bytes). */
function asset(path: string): Asset {
  const raw = statSync(path).size;
  const gz = `${path}.gz`;
  const gzip = existsSync(gz) && statSync(gz).mtimeMs >= statSync(path).mtimeMs ? statSync(gz).size : gzipSync(readFileSync(path), { level: 9 }).length;
  return { file: basename(path), raw, gzip };
}

/** Attributes of every `<name …>` tag (Vite's index.html is machine-written: double quotes, no surprises). */
function tags(html: string, name: string): Record<string, string>[] {
  return [...html.matchAll(new RegExp(`<${name}\\b[^>]*>`, 'gi'))].map((m) =>
    Object.fromEntries([...m[0].slice(name.length + 1).matchAll(/([\w-]+)(?:\s*=\s*"([^"]*)")?/g)].map((a) => [a[1]!.toLowerCase(), a[2] ?? ''])),
  );
}

function bundle() {
  if (!existsSync(join(DIST, 'index.html'))) {
    note('web/dist is missing: building it (npm run build -w @flix/web)…');
    execFileSync('npm', ['run', 'build', '-w', '@flix/web'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  }
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const local = (url: string | undefined) => (url && !/^[a-z]+:|^\/\//i.test(url) ? join(DIST, url.replace(/^\//, '')) : undefined);
  const entry = tags(html, 'script').filter((t) => t.type === 'module' && t.src).map((t) => local(t.src));
  const links = tags(html, 'link');
  const rel = (t: Record<string, string>, r: string) => (t.rel ?? '').split(/\s+/).includes(r);
  const preloads = links.filter((t) => rel(t, 'modulepreload')).map((t) => local(t.href));
  const css = links.filter((t) => rel(t, 'stylesheet')).map((t) => local(t.href));
  const present = (paths: (string | undefined)[]) => paths.filter((p): p is string => !!p && existsSync(p));
  const initialJs = present([...entry, ...preloads]).map(asset);
  const initialCss = present(css).map(asset);
  if (initialJs.length === 0) throw new Error('web/dist/index.html names no module script');
  const initial = new Set([...initialJs, ...initialCss].map((a) => a.file));
  const lazy = readdirSync(join(DIST, 'assets'))
    .filter((f) => /\.(js|css)$/.test(f) && !initial.has(f))
    .map((f) => asset(join(DIST, 'assets', f)))
    .sort((a, b) => b.gzip - a.gzip);
  const sum = (as: Asset[], k: 'raw' | 'gzip') => as.reduce((n, a) => n + a[k], 0);

  // Built from older sources than the ones in the tree? Say so (not rebuilt: others edit web/ concurrently).
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, d) => Math.max(m, d.isDirectory() ? newest(join(dir, d.name)) : statSync(join(dir, d.name)).mtimeMs), 0);
  const builtAt = statSync(join(DIST, 'index.html')).mtimeMs;
  const srcAt = Math.max(newest(join(ROOT, 'web/src')), statSync(join(ROOT, 'web/index.html')).mtimeMs);
  return {
    initialJs,
    initialCss,
    lazy,
    jsGzip: sum(initialJs, 'gzip'),
    jsRaw: sum(initialJs, 'raw'),
    cssGzip: sum(initialCss, 'gzip'),
    cssRaw: sum(initialCss, 'raw'),
    lazyJsGzip: sum(lazy.filter((a) => a.file.endsWith('.js')), 'gzip'),
    stale: srcAt > builtAt ? `web/dist (built ${new Date(builtAt).toISOString()}) is older than web/src (changed ${new Date(srcAt).toISOString()}): sizes and timings are of the built app` : undefined,
  };
}

// ------------------------------------------------------------------ 2 + 3. in Chromium

/**
 * Runs in every page before its own scripts (DevTools injects it, so the app's CSP does not
 * apply). Page code stays a string: bench/ is type-checked without the DOM library, and tsx
 * may wrap a function's source in helpers that do not exist in the page. Times are the page's
 * performance.now(), so the driver's latency over CDP never enters a measurement.
 *  - card: a MutationObserver notes when the first .title-card under the "Popular on Flix"
 *    heading is in the DOM with a layout box (it paints with the next frame; its poster image
 *    may still be loading).
 *  - click: a capturing listener notes the click on the Play button (.play-button).
 *  - frame: the <video> is found as soon as the player mounts, and requestVideoFrameCallback
 *    gives the first frame handed to the compositor (metadata.presentationTime); where rVFC is
 *    missing, the first timeupdate with currentTime > 0 stands in (frameVia says which).
 *  - playing: the <video>'s first `playing` event, for context.
 */
const INIT_SCRIPT = `(() => {
  const b = (globalThis.__flixBench = {});
  const watchVideo = (v) => {
    v.addEventListener('playing', () => { if (b.playing === undefined) b.playing = performance.now(); });
    if (typeof v.requestVideoFrameCallback === 'function') {
      v.requestVideoFrameCallback((now, meta) => { b.frame = meta && meta.presentationTime ? meta.presentationTime : now; b.frameVia = 'requestVideoFrameCallback'; });
    } else {
      const onTime = () => { if (v.currentTime > 0 && b.frame === undefined) { b.frame = performance.now(); b.frameVia = 'currentTime > 0'; v.removeEventListener('timeupdate', onTime); } };
      v.addEventListener('timeupdate', onTime);
    }
  };
  const check = () => {
    if (b.card === undefined) {
      for (const h of document.querySelectorAll('section h2')) {
        if ((h.textContent || '').trim() !== 'Popular on Flix') continue;
        const card = h.closest('section').querySelector('.title-card');
        if (card && card.getBoundingClientRect().width > 0) b.card = performance.now();
      }
    }
    if (!b.video) {
      const v = document.querySelector('video[data-testid="player-video"]');
      if (v) { b.video = true; watchVideo(v); }
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
  document.addEventListener('click', (e) => {
    if (b.click === undefined && e.target && e.target.closest && e.target.closest('.play-button')) b.click = performance.now();
  }, true);
})();`;

interface Marks {
  card?: number;
  click?: number;
  frame?: number;
  frameVia?: string;
  playing?: number;
}
const marks = (page: Page) => page.evaluate<Marks>('({ ...globalThis.__flixBench, video: undefined })');

/**
 * Polls an expression over DevTools until it holds. Not page.waitForFunction: Playwright builds
 * its predicate with eval inside the page, which the app's CSP (script-src 'self') refuses. The
 * init script records the times, so the polling interval does not enter a measurement.
 */
async function until(page: Page, expression: string, what: string): Promise<void> {
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  // During a navigation the page's context may be gone for a moment: that is "not yet".
  while (!(await page.evaluate<boolean>(expression).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`no ${what} after ${RUN_TIMEOUT_MS / 1000} s at ${page.url()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const CONTEXT = { viewport: { width: 1280, height: 800 }, locale: 'en-US' };
type StorageState = Awaited<ReturnType<BrowserContext['storageState']>>;

interface Series {
  name: string;
  samples: number[];
  errors: string[];
  target?: number;
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const PASSWORD = 'a long uncommon bench passphrase';

let journey: JourneyStack | undefined;
let browser: Browser | undefined;
let sizes: ReturnType<typeof bundle> | undefined;
const series: Series[] = [];
const notes: string[] = [];
try {
  sizes = bundle();
  if (!BUNDLE_ONLY) {
    note('starting the system (startTestStack with the web app, Stripe and Mux emulators, video origin) and Chromium…');
    [journey, browser] = await Promise.all([
      // The test stack retrains every second (for tests); the service's default keeps that CPU out of the timings.
      startJourneyStack('bench_web', { web: true, recommendations: { FLIX_RECS_REFRESH_SECONDS: '15' } }),
      launchBrowser(),
    ]);
    const { stack, stripe } = journey;
    const gw = stack.gatewayUrl;
    const api = (method: string, path: string, opts?: Parameters<typeof call>[3]) => call(gw, method, path, opts);
    const must = async (what: string, p: ReturnType<typeof api>) => {
      const r = await p;
      if (r.status !== 200) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      return r.body;
    };
    note(`system up at ${gw}; Chromium ${browser.version()}`);

    // ---- A viewer on Premium (4 streams, every plan's titles), set up through the API.
    const email = `bench-web-${Date.now()}@example.com`;
    const reg = await must('register', api('POST', '/v1/auth/register', { body: { email, password: PASSWORD, displayName: 'Bench Viewer', preferredLanguage: 'en' } }));
    const token = reg.accessToken as string;
    const profile = (await must('profiles', api('GET', '/v1/users/me/profiles', { token }))).profiles[0] as { id: string; name: string };
    const checkout = await must('checkout', api('POST', '/v1/checkout/sessions', { token, body: { planId: 'premium-monthly', successUrl: `${gw}/ok`, cancelUrl: `${gw}/no` } }));
    await stripe.pay(checkout.sessionId);
    await stripe.whenDelivered();
    const sub = await eventually(() => api('GET', '/v1/subscription', { token }), (r) => r.body?.status === 'SUBSCRIPTION_STATUS_ACTIVE', 'active subscription', 60_000);
    // The most popular title Premium plays (partner titles play elsewhere; rental-only ones need a rental).
    const popular = (await must('titles', api('GET', '/v1/movies?pageSize=100&orderBy=popularity', { token }))).movies as { id: string; title: string; requiredPlan?: string; partner?: unknown }[];
    const title = popular.find((m) => m.requiredPlan?.startsWith('PLAN_TIER_') && m.requiredPlan !== 'PLAN_TIER_UNSPECIFIED' && !m.partner);
    if (!title) throw new Error('no subscription title in the catalog');
    note(`viewer ${email} on ${sub.body.planId ?? 'premium'} (${sub.body.maxConcurrentStreams} streams); title "${title.title}"`);

    // ---- Signed in once through the login page, profile chosen on "Who's watching?". Each run
    // then gets a fresh context (empty HTTP cache: a cold load) holding the previous context's
    // cookies and localStorage (the httpOnly refresh cookie, flix.session, flix.profile.<userId>,
    // flix.deviceId). Carried forward, not reused: each load rotates the refresh cookie, and an
    // old one played back later would count as token reuse and end the sign-in.
    let state: StorageState;
    {
      const context = await browser.newContext(CONTEXT);
      const page = await context.newPage();
      await page.goto(`${gw}/login`);
      await page.getByLabel('E-mail').fill(email);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: "Who's watching?" }).waitFor();
      await page.getByRole('button', { name: new RegExp(`^${profile.name}`) }).click();
      await page.getByRole('heading', { name: 'Popular on Flix' }).waitFor();
      state = await context.storageState();
      await context.close();
      const stored = state.origins.flatMap((o) => o.localStorage.map((e) => e.name));
      if (!stored.includes('flix.session') || !stored.some((n) => n.startsWith('flix.profile.'))) throw new Error(`sign-in left no session or profile in localStorage: ${stored.join(', ')}`);
    }
    const fresh = async <T>(run: (page: Page) => Promise<T>): Promise<T> => {
      const context = await browser!.newContext({ ...CONTEXT, storageState: state });
      await context.addInitScript(INIT_SCRIPT);
      const page = await context.newPage();
      try {
        return await run(page);
      } finally {
        state = await context.storageState().catch(() => state);
        await context.close();
      }
    };
    /** Warm-up runs first (unmeasured), then RUNS measured ones; a failed run is counted, not fatal. */
    const measure = async <T>(what: string, run: (page: Page) => Promise<T>, record: (m: T) => void, errors: string[]) => {
      for (let i = 0; i < WARMUP + RUNS; i++) {
        const warm = i < WARMUP;
        try {
          const m = await fresh(run);
          if (!warm) record(m);
          note(`${what} ${warm ? 'warm-up' : `run ${i - WARMUP + 1}/${RUNS}`}: ${JSON.stringify(m)}`);
        } catch (e) {
          const msg = (e as Error).message.split('\n')[0]!.slice(0, 200);
          if (!warm) errors.push(msg);
          note(`${what} ${warm ? 'warm-up' : `run ${i - WARMUP + 1}`} failed: ${msg}`);
        }
      }
    };

    // ---- 2. Cold loads of /browse.
    note(`home page: ${WARMUP} warm-up + ${RUNS} cold loads of /browse…`);
    const fcp: Series = { name: 'home /browse: first contentful paint', samples: [], errors: [], target: TARGET.fcpMs };
    const card: Series = { name: 'home /browse: first "Popular on Flix" card', samples: [], errors: [] };
    const browseJs: number[] = [];
    const html: number[] = [];
    const dcl: number[] = [];
    await measure(
      'browse',
      async (page) => {
        await page.goto(`${gw}/browse`);
        await until(page, `globalThis.__flixBench.card !== undefined && performance.getEntriesByName('first-contentful-paint').length > 0`, 'title card and first contentful paint');
        const m = await marks(page);
        const paint = await page.evaluate<number>(`performance.getEntriesByName('first-contentful-paint')[0].startTime`);
        // What the load actually fetched of the app's JavaScript (as sent: brotli), for context.
        const js = await page.evaluate<number>(`performance.getEntriesByType('resource').filter((r) => /\\/assets\\/.*\\.js$/.test(new URL(r.name).pathname)).reduce((n, r) => n + r.encodedBodySize, 0)`);
        // Where the paint waits: the HTML's last byte and DOMContentLoaded (the initial modules ran).
        const nav = await page.evaluate<{ html: number; dcl: number }>(`(() => { const n = performance.getEntriesByType('navigation')[0]; return { html: Math.round(n.responseEnd), dcl: Math.round(n.domContentLoadedEventEnd) }; })()`);
        return { fcp: Math.round(paint), card: Math.round(m.card!), ...nav, jsBytes: js };
      },
      (m) => {
        fcp.samples.push(m.fcp);
        card.samples.push(m.card);
        browseJs.push(m.jsBytes);
        html.push(m.html);
        dcl.push(m.dcl);
      },
      fcp.errors,
    );
    card.errors = fcp.errors;
    series.push(fcp, card);
    if (browseJs.length) {
      notes.push(`a cold /browse load fetched ${kB(median(browseJs))} of JavaScript as sent (brotli, incl. the home screen's lazy chunks); medians: HTML received ${ms(median(html))}, DOMContentLoaded ${ms(median(dcl))}, then the app's lazy screen, session refresh and API calls`);
    }

    // ---- 3. Press play → first frame, each run in a fresh context (hls.js and the player chunk are
    // fetched cold). Streams: every run stops its session on the way out, the carried flix.deviceId
    // makes each run the same device (a new session replaces its old one), and Premium allows 4.
    note(`press play: ${WARMUP} warm-up + ${RUNS} plays of "${title.title}"…`);
    const frame: Series = { name: 'press Play → first video frame', samples: [], errors: [], target: TARGET.firstFrameMs };
    const playing: Series = { name: 'press Play → `playing` event', samples: [], errors: [] };
    const via = new Set<string>();
    await measure(
      'play',
      async (page) => {
        await page.goto(`${gw}/title/${encodeURIComponent(title.id)}`);
        const play = page.getByRole('button', { name: /^Play|^Resume/ });
        await play.waitFor({ timeout: RUN_TIMEOUT_MS });
        await play.click();
        await until(page, `globalThis.__flixBench.frame !== undefined || !!document.querySelector('[data-testid="player-error"]')`, 'video frame');
        const m = await marks(page);
        if (m.frame === undefined) throw new Error(`player error: ${await page.getByTestId('player-error').textContent()}`);
        if (m.click === undefined) throw new Error('the click on Play was not seen');
        // Leave through the player's Back link: it unmounts the player, which stops the session
        // (one screen less), and waiting for that stop keeps it out of the next run.
        const stopped = page.waitForResponse((r) => /(:|%3A)stop$/i.test(new URL(r.url()).pathname), { timeout: 10_000 }).catch(() => undefined);
        await page.mouse.move(640, 400);
        await page
          .getByRole('link', { name: /Back/ })
          .click({ timeout: 5_000 })
          .catch(() => page.goto(`${gw}/title/${encodeURIComponent(title.id)}`));
        await stopped;
        return { frame: Math.round(m.frame - m.click), playing: m.playing === undefined ? undefined : Math.round(m.playing - m.click), via: m.frameVia };
      },
      (m) => {
        frame.samples.push(m.frame);
        if (m.playing !== undefined) playing.samples.push(m.playing);
        if (m.via) via.add(m.via);
      },
      frame.errors,
    );
    playing.errors = frame.errors;
    series.push(frame, playing);
    notes.push(`first frame measured with ${[...via].join(', ') || 'n/a'} (metadata.presentationTime), from a capturing click listener's performance.now(); both the page's clock`);
  }
} catch (e) {
  console.error(`bench/web.ts crashed: ${(e as Error).stack ?? e}`);
  process.exitCode = 1;
} finally {
  // ---- The report (whatever got measured).
  const cpu = cpus();
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  console.log(`\nmachine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown'}), load average ${load(loadAtStart)} at the start, ${load(loadavg())} at the end, node ${process.version}${browser ? `, Chromium ${browser.version()}` : ''}`);
  console.log('note: a shared 2-core machine; other work drifts these numbers from run to run. kB = 1000 bytes.\n');
  if (sizes) {
    const yes = (ok: boolean) => (ok ? 'yes' : 'NO');
    console.log('| bundle (web/dist) | files | raw | gzip | target | within |');
    console.log('| --- | ---: | ---: | ---: | ---: | :---: |');
    console.log(`| initial JS (entry + modulepreload) | ${sizes.initialJs.length} | ${kB(sizes.jsRaw)} | ${kB(sizes.jsGzip)} | ≤ ${kB(TARGET.initialJsGzip)} | ${yes(sizes.jsGzip <= TARGET.initialJsGzip)} |`);
    console.log(`| initial CSS (stylesheets) | ${sizes.initialCss.length} | ${kB(sizes.cssRaw)} | ${kB(sizes.cssGzip)} | | |`);
    for (const a of [...sizes.initialJs, ...sizes.initialCss]) console.log(`| · ${a.file} | | ${kB(a.raw)} | ${kB(a.gzip)} | | |`);
    console.log(`| lazy chunks, all JS | ${sizes.lazy.filter((a) => a.file.endsWith('.js')).length} | | ${kB(sizes.lazyJsGzip)} | | |`);
    for (const a of sizes.lazy.slice(0, 5)) console.log(`| · lazy ${a.file} | | ${kB(a.raw)} | ${kB(a.gzip)} | | |`);
    if (sizes.stale) notes.unshift(sizes.stale);
  }
  if (series.length) {
    console.log(`\n| in Chromium (${RUNS} runs each, after ${WARMUP} warm-up) | ok | failed | median | max | target | within |`);
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | :---: |');
    for (const s of series) {
      const med = median(s.samples);
      const within = s.target === undefined ? '' : Number.isFinite(med) ? (med <= s.target ? 'yes' : 'NO') : 'n/a';
      console.log(`| ${s.name} | ${s.samples.length} | ${s.errors.length} | ${ms(med)} | ${ms(s.samples.length ? Math.max(...s.samples) : NaN)} | ${s.target === undefined ? '' : `≤ ${ms(s.target)}`} | ${within} |`);
    }
    // Series of one run share its errors: name each failure once, by the first series.
    const named = new Set<string[]>();
    for (const s of series) if (!named.has(s.errors) && named.add(s.errors)) for (const err of new Set(s.errors)) notes.push(`${s.name} failed: ${err}`);
  }
  if (notes.length) console.log('');
  for (const n of [...new Set(notes)]) console.log(`- ${n}`);
  await browser?.close().catch(() => undefined);
  await journey?.stop().catch((e: unknown) => console.error('stack stop failed', e));
  note('done');
}
