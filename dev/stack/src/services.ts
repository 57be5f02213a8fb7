/**
 * The services `make run` starts, with their local ports. Envoy reaches the same services in
 * docker compose as `<name>:50051` (gRPC) and `<name>:8081` (HTTP); locally each gets its own
 * pair, and the local gateway's cluster map (`<name>_grpc`, `<name>_http`) points at them.
 */
export type ServiceName = 'identity' | 'catalog' | 'billing' | 'playback' | 'engagement' | 'recommendations' | 'analytics' | 'notifications';

export interface LocalService {
  name: ServiceName;
  grpcPort: number;
  httpPort: number;
  /** Extra environment for this service in the embedded default. */
  env?: (ctx: StackContext) => Record<string, string>;
}

export interface StackContext {
  dataDir: string;
  gatewayUrl: string;
  adminEmail: string;
  adminPassword: string;
  jwksUrl: string;
  /** Real Mux credentials, or the local emulator's (generated once per data dir). */
  mux: { baseUrl?: string; tokenId: string; tokenSecret: string; webhookSecret: string };
  /** Real Stripe keys, or the local Stripe emulator's (baseUrl set; generated once per data dir). */
  stripe: { baseUrl?: string; secretKey: string; webhookSecret: string };
  /**
   * The local stand-in for stream.mux.com + image.mux.com (dev/video-origin), started only with
   * the Mux emulator; playback's MUX_STREAM_BASE_URL and MUX_IMAGE_BASE_URL. Unset: real Mux.
   */
  videoOrigin?: { baseUrl: string };
  /** Playback's OAuth2 client secret at identity (generated once per data dir). */
  playbackClientSecret: string;
  /**
   * Where notifications sends e-mail: the local mail catcher (maildev, its web inbox at webUrl),
   * or the relay in FLIX_SMTP_URL (no webUrl).
   */
  mail: { smtpUrl: string; webUrl?: string };
  /** Signs notifications' unsubscribe links (generated once per data dir). */
  unsubscribeSecret: string;
  /** Each service's gRPC address (host:port), for the services that call it. */
  grpc: Record<ServiceName, string>;
}

const DEFAULT_SERVICES: LocalService[] = [
  {
    name: 'identity',
    grpcPort: 50051,
    httpPort: 8091,
    env: (ctx) => ({
      FLIX_ADMIN_EMAIL: ctx.adminEmail,
      FLIX_ADMIN_PASSWORD: ctx.adminPassword,
      FLIX_PUBLIC_URL: ctx.gatewayUrl,
      FLIX_OAUTH_CLIENTS: `playback:${ctx.playbackClientSecret}:catalog.read`,
      // Data export (ExportMyData) asks each service that holds personal data for its part.
      BILLING_GRPC_ADDR: ctx.grpc.billing,
      PLAYBACK_GRPC_ADDR: ctx.grpc.playback,
      ENGAGEMENT_GRPC_ADDR: ctx.grpc.engagement,
      RECOMMENDATIONS_GRPC_ADDR: ctx.grpc.recommendations,
      ANALYTICS_GRPC_ADDR: ctx.grpc.analytics,
      NOTIFICATIONS_GRPC_ADDR: ctx.grpc.notifications,
    }),
  },
  {
    name: 'catalog',
    grpcPort: 50052,
    httpPort: 8092,
    env: (ctx) => ({
      IDENTITY_GRPC_ADDR: ctx.grpc.identity,
      MUX_TOKEN_ID: ctx.mux.tokenId,
      MUX_TOKEN_SECRET: ctx.mux.tokenSecret,
      MUX_WEBHOOK_SECRET: ctx.mux.webhookSecret,
      ...(ctx.mux.baseUrl ? { MUX_BASE_URL: ctx.mux.baseUrl } : {}),
      // Direct uploads are PUT from the web app, which the gateway serves.
      MUX_CORS_ORIGIN: process.env.MUX_CORS_ORIGIN || ctx.gatewayUrl,
    }),
  },
  {
    name: 'billing',
    grpcPort: 50053,
    httpPort: 8093,
    env: (ctx) => ({
      CATALOG_GRPC_ADDR: ctx.grpc.catalog,
      STRIPE_SECRET_KEY: ctx.stripe.secretKey,
      STRIPE_WEBHOOK_SECRET: ctx.stripe.webhookSecret,
      ...(ctx.stripe.baseUrl ? { STRIPE_API_BASE: ctx.stripe.baseUrl } : {}),
      FLIX_CHECKOUT_RETURN_URL: `${ctx.gatewayUrl}/account`,
    }),
  },
  {
    name: 'playback',
    grpcPort: 50054,
    httpPort: 8094,
    env: (ctx) => ({
      CATALOG_GRPC_ADDR: ctx.grpc.catalog,
      BILLING_GRPC_ADDR: ctx.grpc.billing,
      IDENTITY_GRPC_ADDR: ctx.grpc.identity,
      FLIX_PLAYBACK_CLIENT_SECRET: ctx.playbackClientSecret,
      MUX_TOKEN_ID: ctx.mux.tokenId,
      MUX_TOKEN_SECRET: ctx.mux.tokenSecret,
      ...(ctx.mux.baseUrl ? { MUX_BASE_URL: ctx.mux.baseUrl } : {}),
      ...(ctx.videoOrigin ? { MUX_STREAM_BASE_URL: ctx.videoOrigin.baseUrl, MUX_IMAGE_BASE_URL: ctx.videoOrigin.baseUrl } : {}),
    }),
  },
  {
    name: 'engagement',
    grpcPort: 50055,
    httpPort: 8097,
    env: (ctx) => ({
      CATALOG_GRPC_ADDR: ctx.grpc.catalog,
      IDENTITY_GRPC_ADDR: ctx.grpc.identity,
    }),
  },
  {
    name: 'recommendations',
    grpcPort: 50056,
    httpPort: 8098,
    env: (ctx) => ({
      CATALOG_GRPC_ADDR: ctx.grpc.catalog,
      IDENTITY_GRPC_ADDR: ctx.grpc.identity,
    }),
  },
  {
    name: 'analytics',
    grpcPort: 50057,
    httpPort: 8099,
    env: (ctx) => ({
      BILLING_GRPC_ADDR: ctx.grpc.billing,
    }),
  },
  {
    name: 'notifications',
    grpcPort: 50058,
    httpPort: 8100,
    env: (ctx) => ({
      FLIX_PUBLIC_URL: ctx.gatewayUrl,
      FLIX_SMTP_URL: ctx.mail.smtpUrl,
      FLIX_UNSUBSCRIBE_SECRET: ctx.unsubscribeSecret,
    }),
  },
];

/** The services on make run's default ports (bench/stack-start.ts checks them). */
export const LOCAL_SERVICES: LocalService[] = DEFAULT_SERVICES;

/**
 * The services with their ports from the environment where set — FLIX_<NAME>_GRPC_PORT and
 * FLIX_<NAME>_HTTP_PORT (e.g. FLIX_BILLING_GRPC_PORT) — so a second stack (the fault suite, the
 * soak) runs beside a `make run`. Throws naming the variable when one is not a port.
 */
export function localServices(env: NodeJS.ProcessEnv = process.env): LocalService[] {
  const port = (variable: string, fallback: number): number => {
    const raw = env[variable];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${variable} must be a port number (1-65535), got "${raw}"`);
    return n;
  };
  return DEFAULT_SERVICES.map((s) => {
    const prefix = `FLIX_${s.name.toUpperCase()}`;
    return { ...s, grpcPort: port(`${prefix}_GRPC_PORT`, s.grpcPort), httpPort: port(`${prefix}_HTTP_PORT`, s.httpPort) };
  });
}

/** Each service's gRPC address, for StackContext.grpc. */
export function grpcAddresses(services: LocalService[], host = '127.0.0.1'): Record<ServiceName, string> {
  return Object.fromEntries(services.map((s) => [s.name, `${host}:${s.grpcPort}`])) as Record<ServiceName, string>;
}

/**
 * The web server's FLIX_WEB_MEDIA_ORIGINS: the origin(s) playback's MUX_STREAM_BASE_URL and
 * MUX_IMAGE_BASE_URL point at when the local video origin stands in for Mux, plus the Mux
 * emulator's (Studio PUTs uploads to its direct-upload URLs); undefined (the web server's own
 * default, Mux's hosts) with real Mux.
 */
export function webMediaOrigins(ctx: Pick<StackContext, 'videoOrigin' | 'mux'>): string | undefined {
  if (!ctx.videoOrigin) return undefined;
  const urls = [ctx.videoOrigin.baseUrl, ...(ctx.mux.baseUrl ? [ctx.mux.baseUrl] : [])];
  const origins = new Set(urls.map((u) => new URL(u).origin));
  return [...origins].join(' ');
}

/** Cluster name → local address, in the shape the local gateway takes. */
export function upstreamMap(services: LocalService[], host = '127.0.0.1'): Record<string, string> {
  const map: Record<string, string> = {};
  for (const s of services) {
    map[`${s.name}_grpc`] = `${host}:${s.grpcPort}`;
    map[`${s.name}_http`] = `${host}:${s.httpPort}`;
  }
  return map;
}
