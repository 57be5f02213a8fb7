import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startLocalGateway } from '@flix/gateway-local';
import { createLogger } from '@flix/logging';
import { readDescriptorSet } from '@flix/proto/descriptor';
import { freePort, startMongo, startNats, type MongoHandle, type NatsHandle } from '@flix/testkit';
import { startCatalog } from '../../services/catalog/src/main.js';
import { startIdentity } from '../../services/identity/src/main.js';
import { startBilling, type BillingHandle, type BillingOverrides } from '../../services/billing/src/main.js';
import { startEngagement, type EngagementHandle } from '../../services/engagement/src/main.js';
import { startPlayback, type PlaybackHandle, type PlaybackOverrides } from '../../services/playback/src/main.js';
import { startRecommendations, type RecommendationsHandle } from '../../services/recommendations/src/main.js';
import { startAnalytics, type AnalyticsHandle } from '../../services/analytics/src/main.js';

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
  stop(): Promise<void>;
}

export interface TestStackOptions {
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
}

/** Playback's client secret at identity in every test stack. */
const PLAYBACK_CLIENT_SECRET = 'playback-test-client-secret-0123456789';

const ENVOY_YAML = join(import.meta.dirname, '../../gateway-envoy/envoy.yaml');

/**
 * The system as `make run` starts it, but on free ports with throwaway stores: a real
 * nats-server, the embedded MongoDB (or MONGO_URL), every service, and the local gateway built
 * from gateway-envoy/envoy.yaml (whose /healthz needs every service up).
 */
export async function startTestStack(identityEnv: Record<string, string> = {}, options: TestStackOptions = {}): Promise<TestStack> {
  const [mongo, nats] = await Promise.all([startMongo(), startNats()]);
  const [grpcPort, httpPort, gatewayPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const db = `identity_${randomBytes(4).toString('hex')}`;
  const identity = await startIdentity({
    MONGO_URL: mongo.url,
    MONGO_DB: db,
    NATS_URL: nats.url,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(grpcPort),
    HTTP_PORT: String(httpPort),
    LOG_LEVEL: 'silent',
    FLIX_ADMIN_EMAIL: ADMIN.email,
    FLIX_ADMIN_PASSWORD: ADMIN.password,
    FLIX_PUBLIC_URL: `http://127.0.0.1:${gatewayPort}`,
    ...identityEnv,
    // Playback's service client (catalog shows playback ids to services only), plus the test's own.
    FLIX_OAUTH_CLIENTS: [`playback:${PLAYBACK_CLIENT_SECRET}:catalog.read`, identityEnv.FLIX_OAUTH_CLIENTS].filter(Boolean).join(','),
  });
  const [cGrpc, cHttp] = await Promise.all([freePort(), freePort()]);
  const catalogDb = `catalog_${randomBytes(4).toString('hex')}`;
  const catalog = await startCatalog({
    MONGO_URL: mongo.url,
    MONGO_DB: catalogDb,
    NATS_URL: nats.url,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(cGrpc),
    HTTP_PORT: String(cHttp),
    LOG_LEVEL: 'silent',
    FLIX_JWKS_URL: `http://127.0.0.1:${httpPort}/.well-known/jwks.json`,
    IDENTITY_GRPC_ADDR: `127.0.0.1:${grpcPort}`,
    // No Mux unless a test passes its emulator: createUpload then fails as UNAVAILABLE.
    MUX_BASE_URL: 'http://127.0.0.1:1',
    ...options.catalog,
  });
  const [bGrpc, bHttp] = await Promise.all([freePort(), freePort()]);
  const billingDb = `billing_${randomBytes(4).toString('hex')}`;
  const billing = await startBilling(
    {
      MONGO_URL: mongo.url,
      MONGO_DB: billingDb,
      NATS_URL: nats.url,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(bGrpc),
      HTTP_PORT: String(bHttp),
      LOG_LEVEL: 'silent',
      FLIX_JWKS_URL: `http://127.0.0.1:${httpPort}/.well-known/jwks.json`,
      CATALOG_GRPC_ADDR: `127.0.0.1:${cGrpc}`,
      // No Stripe unless a test passes its emulator: no plans are seeded and Stripe calls fail as UNAVAILABLE.
      ...(options.billing ? {} : { STRIPE_API_BASE: 'http://127.0.0.1:1', FLIX_SEED_PLANS: 'false' }),
      ...options.billing,
    },
    options.billingOverrides,
  );
  const [eGrpc, eHttp] = await Promise.all([freePort(), freePort()]);
  const engagementDb = `engagement_${randomBytes(4).toString('hex')}`;
  const engagement = await startEngagement({
    MONGO_URL: mongo.url,
    MONGO_DB: engagementDb,
    NATS_URL: nats.url,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(eGrpc),
    HTTP_PORT: String(eHttp),
    LOG_LEVEL: 'silent',
    FLIX_JWKS_URL: `http://127.0.0.1:${httpPort}/.well-known/jwks.json`,
    CATALOG_GRPC_ADDR: `127.0.0.1:${cGrpc}`,
    IDENTITY_GRPC_ADDR: `127.0.0.1:${grpcPort}`,
  });
  const [pGrpc, pHttp] = await Promise.all([freePort(), freePort()]);
  const playbackDb = `playback_${randomBytes(4).toString('hex')}`;
  // A Mux-style URL signing key of the test's own (tests with the Mux emulator may pass theirs).
  const muxKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { id: `test-key-${randomBytes(4).toString('hex')}`, publicKeyPem: muxKey.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  const playback = await startPlayback(
    {
      MONGO_URL: mongo.url,
      MONGO_DB: playbackDb,
      NATS_URL: nats.url,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(pGrpc),
      HTTP_PORT: String(pHttp),
      LOG_LEVEL: 'silent',
      FLIX_JWKS_URL: `http://127.0.0.1:${httpPort}/.well-known/jwks.json`,
      CATALOG_GRPC_ADDR: `127.0.0.1:${cGrpc}`,
      BILLING_GRPC_ADDR: `127.0.0.1:${bGrpc}`,
      IDENTITY_GRPC_ADDR: `127.0.0.1:${grpcPort}`,
      FLIX_PLAYBACK_CLIENT_SECRET: PLAYBACK_CLIENT_SECRET,
      MUX_BASE_URL: 'http://127.0.0.1:1',
      MUX_SIGNING_KEY_ID: signingKey.id,
      MUX_SIGNING_KEY_PRIVATE: Buffer.from(muxKey.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()).toString('base64'),
      ...options.playback,
    },
    options.playbackOverrides,
  );
  const [rGrpc, rHttp] = await Promise.all([freePort(), freePort()]);
  const recommendationsDb = `recommendations_${randomBytes(4).toString('hex')}`;
  const recommendations = await startRecommendations({
    MONGO_URL: mongo.url,
    MONGO_DB: recommendationsDb,
    NATS_URL: nats.url,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(rGrpc),
    HTTP_PORT: String(rHttp),
    LOG_LEVEL: 'silent',
    FLIX_JWKS_URL: `http://127.0.0.1:${httpPort}/.well-known/jwks.json`,
    CATALOG_GRPC_ADDR: `127.0.0.1:${cGrpc}`,
    IDENTITY_GRPC_ADDR: `127.0.0.1:${grpcPort}`,
    FLIX_RECS_REFRESH_SECONDS: '1',
    ...options.recommendations,
  });
  const [aGrpc, aHttp] = await Promise.all([freePort(), freePort()]);
  const analyticsDb = `analytics_${randomBytes(4).toString('hex')}`;
  const analytics = await startAnalytics({
    MONGO_URL: mongo.url,
    MONGO_DB: analyticsDb,
    NATS_URL: nats.url,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(aGrpc),
    HTTP_PORT: String(aHttp),
    LOG_LEVEL: 'silent',
    FLIX_JWKS_URL: `http://127.0.0.1:${httpPort}/.well-known/jwks.json`,
    BILLING_GRPC_ADDR: `127.0.0.1:${bGrpc}`,
    ...options.analytics,
  });
  const upstreams: Record<string, string> = {
    identity_grpc: `127.0.0.1:${grpcPort}`,
    identity_http: `127.0.0.1:${httpPort}`,
    catalog_grpc: `127.0.0.1:${cGrpc}`,
    catalog_http: `127.0.0.1:${cHttp}`,
    billing_grpc: `127.0.0.1:${bGrpc}`,
    billing_http: `127.0.0.1:${bHttp}`,
    engagement_grpc: `127.0.0.1:${eGrpc}`,
    engagement_http: `127.0.0.1:${eHttp}`,
    playback_grpc: `127.0.0.1:${pGrpc}`,
    playback_http: `127.0.0.1:${pHttp}`,
    recommendations_grpc: `127.0.0.1:${rGrpc}`,
    recommendations_http: `127.0.0.1:${rHttp}`,
    analytics_grpc: `127.0.0.1:${aGrpc}`,
    analytics_http: `127.0.0.1:${aHttp}`,
  };
  const gateway = await startLocalGateway({
    port: gatewayPort,
    host: '127.0.0.1',
    envoyConfig: ENVOY_YAML,
    descriptorSet: readDescriptorSet(),
    upstreams,
    logger: createLogger('gateway', { level: 'silent' }),
  });
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const deadline = Date.now() + 20_000;
  while ((await fetch(`${gatewayUrl}/healthz`).then((r) => r.status, () => 0)) !== 200) {
    if (Date.now() > deadline) throw new Error('gateway /healthz never became 200');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    gatewayUrl,
    mongo,
    nats,
    identity: { grpcAddress: `127.0.0.1:${grpcPort}`, httpUrl: `http://127.0.0.1:${httpPort}`, db },
    catalog: { grpcAddress: upstreams.catalog_grpc!, httpUrl: `http://${upstreams.catalog_http}`, db: catalogDb },
    billing: { grpcAddress: upstreams.billing_grpc!, httpUrl: `http://${upstreams.billing_http}`, db: billingDb, handle: billing },
    engagement: { grpcAddress: upstreams.engagement_grpc!, httpUrl: `http://${upstreams.engagement_http}`, db: engagementDb, handle: engagement },
    playback: { grpcAddress: upstreams.playback_grpc!, httpUrl: `http://${upstreams.playback_http}`, db: playbackDb, handle: playback, signingKey },
    recommendations: { grpcAddress: upstreams.recommendations_grpc!, httpUrl: `http://${upstreams.recommendations_http}`, db: recommendationsDb, handle: recommendations },
    analytics: { grpcAddress: upstreams.analytics_grpc!, httpUrl: `http://${upstreams.analytics_http}`, db: analyticsDb, handle: analytics },
    async stop() {
      await gateway.close();
      await analytics.stop();
      await recommendations.stop();
      await playback.stop();
      await engagement.stop();
      await billing.stop();
      await catalog.stop();
      await identity.stop();
      await Promise.all([mongo.stop(), nats.stop()]);
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
