import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalGateway } from '@flix/gateway-local';
import { createLogger } from '@flix/logging';
import { readDescriptorSet } from '@flix/proto/descriptor';
import { freePort, startMailCatcher, startMongo, startNats, type MailCatcher, type MongoHandle, type NatsHandle } from '@flix/testkit';
import { startCatalog } from '../../services/catalog/src/main.js';
import { startIdentity } from '../../services/identity/src/main.js';
import { startBilling, type BillingHandle, type BillingOverrides } from '../../services/billing/src/main.js';
import { startEngagement, type EngagementHandle } from '../../services/engagement/src/main.js';
import { startPlayback, type PlaybackHandle, type PlaybackOverrides } from '../../services/playback/src/main.js';
import { startRecommendations, type RecommendationsHandle } from '../../services/recommendations/src/main.js';
import { startAnalytics, type AnalyticsHandle } from '../../services/analytics/src/main.js';
import { startNotifications, type NotificationsHandle } from '../../services/notifications/src/main.js';
import { startWebServer, type WebServer } from '../../web/server/app.js';

export const ADMIN = { email: 'admin@flix.test', password: 'Operator-passphrase-for-tests-1' };

export interface TestStack {
  gatewayUrl: string;
  mongo: MongoHandle;
  nats: NatsHandle;
  identity: { grpcAddress: string; httpUrl: string; db: string };
  catalog: { grpcAddress: string; httpUrl: string; db: string };
  billing: { grpcAddress: string; httpUrl: string; db: string; handle: BillingHandle };
  engagement: { grpcAddress: string; httpUrl: string; db: string; handle: EngagementHandle };
  playback: { grpcAddress: string; httpUrl: string; db: string; handle: PlaybackHandle; signingKey: { id: string; publicKeyPem: string } };
  recommendations: { grpcAddress: string; httpUrl: string; db: string; handle: RecommendationsHandle };
  analytics: { grpcAddress: string; httpUrl: string; db: string; handle: AnalyticsHandle };
  notifications: { grpcAddress: string; httpUrl: string; db: string; handle: NotificationsHandle };
  /** The real mail catcher (maildev) notifications sends to; read the inbox through it. */
  mail: MailCatcher;
  /** The web app's server (only with `web`); the app itself is at `gatewayUrl + '/'`. */
  web?: { url: string; mediaOrigins: string[] };
  stop(): Promise<void>;
}

export interface TestStackWebOptions {
  /** The built app; default web/dist (`make test` builds it through scripts/setup.sh). */
  dist?: string;
  /**
   * Origins the CSP lets the player load video and images from (the test's video origin).
   * Default: the origins of `playback`'s MUX_STREAM_BASE_URL and MUX_IMAGE_BASE_URL.
   */
  mediaOrigins?: string[];
}

export interface TestStackOptions {
  /** Refuse over-limit requests with 429 as production does (default: count them only). */
  enforceRateLimits?: boolean;
  /** Extra environment for the catalog (e.g. MUX_BASE_URL of an emulator). */
  catalog?: Record<string, string>;
  /** Extra environment for billing (e.g. STRIPE_API_BASE and keys of the Stripe emulator). */
  billing?: Record<string, string>;
  /** Billing's clock and doubles (tests move billing's "now" with the Stripe emulator's clock). */
  billingOverrides?: BillingOverrides;
  /** Extra environment for playback (e.g. MUX_BASE_URL and MUX_STREAM_BASE_URL of the local origin). */
  playback?: Record<string, string>;
  playbackOverrides?: PlaybackOverrides;
  /** Extra environment for recommendations (it retrains every second in tests). */
  recommendations?: Record<string, string>;
  /** Extra environment for analytics (e.g. alert thresholds). */
  analytics?: Record<string, string>;
  /** Extra environment for notifications (e.g. shorter retry backoff). */
  notifications?: Record<string, string>;
  /**
   * Serve the web app (web/server, in-process, on a free port) behind the gateway's `web` route,
   * for browser tests: open `gatewayUrl + '/'`. Off by default: the `web` cluster then points at
   * a closed port and `/` answers 503.
   */
  web?: boolean | TestStackWebOptions;
}

/** Playback's client secret at identity in every test stack. */
const PLAYBACK_CLIENT_SECRET = 'playback-test-client-secret-0123456789';

const ENVOY_YAML = join(import.meta.dirname, '../../gateway-envoy/envoy.yaml');
// FLIX_WEB_DIST: a build of one's own (vite build --outDir …), so parallel work never swaps web/dist mid-run.
const WEB_DIST = process.env.FLIX_WEB_DIST || join(import.meta.dirname, '../../web/dist');

/** The web server for a test stack: `web/dist` unless told otherwise, media origins from playback's env. */
async function startStackWeb(option: true | TestStackWebOptions, playbackEnv: Record<string, string> = {}): Promise<WebServer & { mediaOrigins: string[] }> {
  const opts = option === true ? {} : option;
  const dist = opts.dist ?? WEB_DIST;
  if (!existsSync(join(dist, 'index.html'))) {
    throw new Error(`startTestStack({ web }): ${dist}/index.html is missing; build the app first (npm run build -w @flix/web; make test does it)`);
  }
  const fromPlayback = [playbackEnv.MUX_STREAM_BASE_URL, playbackEnv.MUX_IMAGE_BASE_URL].filter((u): u is string => !!u).map((u) => new URL(u).origin);
  const mediaOrigins = [...new Set(opts.mediaOrigins ?? fromPlayback)];
  const server = await startWebServer({ dist, mediaOrigins, port: 0, host: '127.0.0.1' });
  return { ...server, mediaOrigins };
}

/**
 * The system as `make run` starts it, but on free ports with throwaway stores: a real
 * nats-server, the embedded MongoDB (or MONGO_URL), every service, and the local gateway built
 * from gateway-envoy/envoy.yaml (whose /healthz needs every service up).
 */
export async function startTestStack(identityEnv: Record<string, string> = {}, options: TestStackOptions = {}): Promise<TestStack> {
  const [mongo, nats, mail] = await Promise.all([startMongo(), startNats(), startMailCatcher()]);
  const gatewayPort = await freePort();
  // Every service gets two free ports, a throwaway database and the settings they all share;
  // the gateway's cluster map (`<name>_grpc`, `<name>_http`) points at the ports.
  const upstreams: Record<string, string> = {};
  const slot = async (name: string) => {
    const [grpcPort, httpPort] = await Promise.all([freePort(), freePort()]);
    const db = `${name}_${randomBytes(4).toString('hex')}`;
    const grpcAddress = (upstreams[`${name}_grpc`] = `127.0.0.1:${grpcPort}`);
    const httpUrl = `http://${(upstreams[`${name}_http`] = `127.0.0.1:${httpPort}`)}`;
    const env = { MONGO_URL: mongo.url, MONGO_DB: db, NATS_URL: nats.url, GRPC_HOST: '127.0.0.1', GRPC_PORT: String(grpcPort), HTTP_PORT: String(httpPort), LOG_LEVEL: 'silent' };
    return { db, grpcAddress, httpUrl, env };
  };
  const [id, cat, bil, eng, pla, rec, ana, ntf] = await Promise.all(['identity', 'catalog', 'billing', 'engagement', 'playback', 'recommendations', 'analytics', 'notifications'].map(slot));
  const shared = { FLIX_JWKS_URL: `${id.httpUrl}/.well-known/jwks.json` };

  const identity = await startIdentity({
    ...id.env,
    FLIX_ADMIN_EMAIL: ADMIN.email,
    FLIX_ADMIN_PASSWORD: ADMIN.password,
    FLIX_PUBLIC_URL: `http://127.0.0.1:${gatewayPort}`,
    // Data export (ExportMyData) asks these services for their parts.
    BILLING_GRPC_ADDR: bil.grpcAddress,
    PLAYBACK_GRPC_ADDR: pla.grpcAddress,
    ENGAGEMENT_GRPC_ADDR: eng.grpcAddress,
    RECOMMENDATIONS_GRPC_ADDR: rec.grpcAddress,
    ANALYTICS_GRPC_ADDR: ana.grpcAddress,
    NOTIFICATIONS_GRPC_ADDR: ntf.grpcAddress,
    ...identityEnv,
    // Playback's service client (catalog shows playback ids to services only), plus the test's own.
    FLIX_OAUTH_CLIENTS: [`playback:${PLAYBACK_CLIENT_SECRET}:catalog.read`, identityEnv.FLIX_OAUTH_CLIENTS].filter(Boolean).join(','),
  });
  const catalog = await startCatalog({
    ...cat.env,
    ...shared,
    IDENTITY_GRPC_ADDR: id.grpcAddress,
    // No Mux unless a test passes its emulator: createUpload then fails as UNAVAILABLE.
    MUX_BASE_URL: 'http://127.0.0.1:1',
    ...options.catalog,
  });
  const billing = await startBilling(
    {
      ...bil.env,
      ...shared,
      CATALOG_GRPC_ADDR: cat.grpcAddress,
      // No Stripe unless a test passes its emulator: no plans are seeded and Stripe calls fail as UNAVAILABLE.
      ...(options.billing ? {} : { STRIPE_API_BASE: 'http://127.0.0.1:1', FLIX_SEED_PLANS: 'false' }),
      ...options.billing,
    },
    options.billingOverrides,
  );
  const engagement = await startEngagement({ ...eng.env, ...shared, CATALOG_GRPC_ADDR: cat.grpcAddress, IDENTITY_GRPC_ADDR: id.grpcAddress });
  // A Mux-style URL signing key of the test's own (tests with the Mux emulator may pass theirs).
  const muxKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { id: `test-key-${randomBytes(4).toString('hex')}`, publicKeyPem: muxKey.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  const playback = await startPlayback(
    {
      ...pla.env,
      ...shared,
      CATALOG_GRPC_ADDR: cat.grpcAddress,
      BILLING_GRPC_ADDR: bil.grpcAddress,
      IDENTITY_GRPC_ADDR: id.grpcAddress,
      FLIX_PLAYBACK_CLIENT_SECRET: PLAYBACK_CLIENT_SECRET,
      MUX_BASE_URL: 'http://127.0.0.1:1',
      MUX_SIGNING_KEY_ID: signingKey.id,
      MUX_SIGNING_KEY_PRIVATE: Buffer.from(muxKey.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()).toString('base64'),
      ...options.playback,
    },
    options.playbackOverrides,
  );
  const recommendations = await startRecommendations({
    ...rec.env,
    ...shared,
    CATALOG_GRPC_ADDR: cat.grpcAddress,
    IDENTITY_GRPC_ADDR: id.grpcAddress,
    FLIX_RECS_REFRESH_SECONDS: '1',
    ...options.recommendations,
  });
  const analytics = await startAnalytics({ ...ana.env, ...shared, BILLING_GRPC_ADDR: bil.grpcAddress, ...options.analytics });
  const notifications = await startNotifications({
    ...ntf.env,
    ...shared,
    FLIX_PUBLIC_URL: `http://127.0.0.1:${gatewayPort}`,
    FLIX_SMTP_URL: mail.smtpUrl,
    FLIX_UNSUBSCRIBE_SECRET: randomBytes(32).toString('hex'),
    FLIX_MAIL_DISPATCH_SECONDS: '0.5',
    FLIX_MAIL_RETRY_BASE_SECONDS: '0.2',
    FLIX_MAIL_RETRY_MAX_SECONDS: '2',
    ...options.notifications,
  });
  const web = options.web ? await startStackWeb(options.web, options.playback) : undefined;
  // Without the web app, `web` points at a port nothing listens on (a quick 503, no DNS lookup).
  upstreams.web = web ? `127.0.0.1:${web.port}` : '127.0.0.1:1';
  const gateway = await startLocalGateway({
    port: gatewayPort,
    host: '127.0.0.1',
    envoyConfig: ENVOY_YAML,
    descriptorSet: readDescriptorSet(),
    upstreams,
    logger: createLogger('gateway', { level: 'silent' }),
    // Every test client is 127.0.0.1, so per-address limits would make suites refuse each other;
    // limits still count (x-ratelimit-* headers) and dev/gateway-local/test/limits.test.ts enforces them.
    runtime: options.enforceRateLimits ? {} : { 'flix.rate_limit.enforced': 0 },
  });
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const deadline = Date.now() + 20_000;
  while ((await fetch(`${gatewayUrl}/healthz`).then((r) => r.status, () => 0)) !== 200) {
    if (Date.now() > deadline) throw new Error('gateway /healthz never became 200');
    await new Promise((r) => setTimeout(r, 100));
  }
  const where = (x: { grpcAddress: string; httpUrl: string; db: string }) => ({ grpcAddress: x.grpcAddress, httpUrl: x.httpUrl, db: x.db });
  return {
    gatewayUrl,
    mongo,
    nats,
    identity: where(id),
    catalog: where(cat),
    billing: { ...where(bil), handle: billing },
    engagement: { ...where(eng), handle: engagement },
    playback: { ...where(pla), handle: playback, signingKey },
    recommendations: { ...where(rec), handle: recommendations },
    analytics: { ...where(ana), handle: analytics },
    notifications: { ...where(ntf), handle: notifications },
    mail,
    ...(web ? { web: { url: web.url, mediaOrigins: web.mediaOrigins } } : {}),
    async stop() {
      await gateway.close();
      await web?.close();
      await notifications.stop();
      await analytics.stop();
      await recommendations.stop();
      await playback.stop();
      await engagement.stop();
      await billing.stop();
      await catalog.stop();
      await identity.stop();
      await Promise.all([mongo.stop(), nats.stop(), mail.stop()]);
    },
  };
}

/** JSON call through the gateway; returns status, parsed body and headers. */
export async function call(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; rawBody?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.body !== undefined || opts.rawBody !== undefined) headers['content-type'] ??= 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(base + path, {
    method,
    headers,
    body: opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON; keep the text
  }
  return { status: res.status, body, headers: res.headers };
}
