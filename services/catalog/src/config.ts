import { bool, credentialsOrEmulator, grpcAddress, loadConfig, serviceConfigShape, z } from '@flix/config';

/** Everything the catalog reads from the environment, validated once at start. */
export function readCatalogConfig(env: Record<string, string | undefined> = process.env) {
  const cfg = loadConfig(
    {
      ...serviceConfigShape({ database: 'catalog', grpcPort: 50051, httpPort: 8081 }),
      /** Identity's gRPC address, to read a profile's maturity limit. */
      IDENTITY_GRPC_ADDR: grpcAddress('127.0.0.1:50051'),
      MUX_TOKEN_ID: z.string().optional(),
      MUX_TOKEN_SECRET: z.string().optional(),
      MUX_WEBHOOK_SECRET: z.string().optional(),
      /** The Mux API base URL; set to the local emulator in the embedded default. */
      MUX_BASE_URL: z.url().optional(),
      /** Origin allowed to PUT video files to Mux upload URLs (the admin UI). */
      MUX_CORS_ORIGIN: z.string().regex(/^https?:\/\/[^/\s]+$/, 'must be an origin such as https://admin.example.com').default('http://localhost:8080'),
      /** Seed the demo catalog (and serve demo partner feeds) on first start. */
      FLIX_DEMO_CATALOG: bool(true),
      FLIX_DEMO_CATALOG_SIZE: z.coerce.number().int().min(1).max(200_000).default(320),
      /** "id|Name|url,…"; empty with FLIX_DEMO_CATALOG: the demo feeds this service serves itself. */
      FLIX_PARTNER_FEEDS: z.string().default(''),
      FLIX_PARTNER_FEED_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(300),
      FLIX_PARTNER_FEED_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3_000),
      /** How often each instance reads the change feed into its search index. */
      CATALOG_INDEX_POLL_MS: z.coerce.number().int().min(10).max(1_000).default(250),
    },
    env,
  );
  return {
    ...cfg,
    ...credentialsOrEmulator(
      cfg,
      { MUX_TOKEN_ID: 'dev-mux-token-id', MUX_TOKEN_SECRET: 'dev-mux-token-secret', MUX_WEBHOOK_SECRET: 'dev-mux-webhook-secret' },
      { api: 'Mux', variable: 'MUX_BASE_URL', url: cfg.MUX_BASE_URL },
    ),
  };
}

export type CatalogConfig = ReturnType<typeof readCatalogConfig>;
