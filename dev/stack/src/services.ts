/**
 * The services `make run` starts, with their local ports. Envoy reaches the same services in
 * docker compose as `<name>:50051` (gRPC) and `<name>:8081` (HTTP); locally each gets its own
 * pair, and the local gateway's cluster map (`<name>_grpc`, `<name>_http`) points at them.
 */
export interface LocalService {
  name: string;
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
}

export const LOCAL_SERVICES: LocalService[] = [
  {
    name: 'identity',
    grpcPort: 50051,
    httpPort: 8091,
    env: (ctx) => ({
      FLIX_ADMIN_EMAIL: ctx.adminEmail,
      FLIX_ADMIN_PASSWORD: ctx.adminPassword,
      FLIX_PUBLIC_URL: ctx.gatewayUrl,
      FLIX_OAUTH_CLIENTS: `playback:${ctx.playbackClientSecret}:catalog.read`,
    }),
  },
  {
    name: 'catalog',
    grpcPort: 50052,
    httpPort: 8092,
    env: (ctx) => ({
      IDENTITY_GRPC_ADDR: '127.0.0.1:50051',
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
      CATALOG_GRPC_ADDR: '127.0.0.1:50052',
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
      CATALOG_GRPC_ADDR: '127.0.0.1:50052',
      BILLING_GRPC_ADDR: '127.0.0.1:50053',
      IDENTITY_GRPC_ADDR: '127.0.0.1:50051',
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
    env: () => ({
      CATALOG_GRPC_ADDR: '127.0.0.1:50052',
      IDENTITY_GRPC_ADDR: '127.0.0.1:50051',
    }),
  },
  {
    name: 'recommendations',
    grpcPort: 50056,
    httpPort: 8098,
    env: () => ({
      CATALOG_GRPC_ADDR: '127.0.0.1:50052',
      IDENTITY_GRPC_ADDR: '127.0.0.1:50051',
    }),
  },
  {
    name: 'analytics',
    grpcPort: 50057,
    httpPort: 8099,
    env: () => ({
      BILLING_GRPC_ADDR: '127.0.0.1:50053',
    }),
  },
];

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
