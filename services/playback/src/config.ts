import { ConfigError, credentialsOrEmulator, grpcAddress, loadConfig, serviceConfigShape, z } from '@flix/config';
const seconds = (fallback: number, max: number) => z.coerce.number().positive().max(max).default(fallback);

/** Everything playback reads from the environment, validated once at start. */
export function readPlaybackConfig(env: Record<string, string | undefined> = process.env) {
  const cfg = loadConfig(
    {
      ...serviceConfigShape({ database: 'playback', grpcPort: 50054, httpPort: 8094 }),
      CATALOG_GRPC_ADDR: grpcAddress('127.0.0.1:50052'),
      BILLING_GRPC_ADDR: grpcAddress('127.0.0.1:50053'),
      IDENTITY_GRPC_ADDR: grpcAddress('127.0.0.1:50051'),
      /** Identity's OAuth2 token endpoint; defaults to the JWKS URL's origin + /oauth/token. */
      IDENTITY_OAUTH_URL: z.url().optional(),
      /** Playback's OAuth2 client (identity's FLIX_OAUTH_CLIENTS must list it). */
      FLIX_PLAYBACK_CLIENT_ID: z.string().min(1).default('playback'),
      FLIX_PLAYBACK_CLIENT_SECRET: z.string().min(16, 'must be at least 16 characters'),
      MUX_TOKEN_ID: z.string().optional(),
      MUX_TOKEN_SECRET: z.string().optional(),
      /** The local Mux emulator's API; absent: api.mux.com. */
      MUX_BASE_URL: z.url().optional(),
      /** A Mux URL signing key; without one, playback creates one through the Mux API and keeps it. */
      MUX_SIGNING_KEY_ID: z.string().optional(),
      MUX_SIGNING_KEY_PRIVATE: z.string().optional(),
      MUX_STREAM_BASE_URL: z.url().default('https://stream.mux.com'),
      MUX_IMAGE_BASE_URL: z.url().default('https://image.mux.com'),
      /** A stream with no heartbeat for this long frees its slot. */
      FLIX_STREAM_STALE_SECONDS: seconds(60, 3600),
      FLIX_HEARTBEAT_INTERVAL_SECONDS: seconds(10, 300),
      /** At most one progress write per session this often. */
      FLIX_PROGRESS_FLUSH_SECONDS: seconds(20, 300),
      FLIX_COMPLETION_RATIO: z.coerce.number().min(0.5).max(1).default(0.9),
      /** Playback tokens outlive the remaining runtime by this much. */
      FLIX_TOKEN_MARGIN_SECONDS: seconds(900, 86_400),
      FLIX_ENTITLEMENT_RECHECK_SECONDS: seconds(60, 3600),
      /** How often stale sessions are looked for. */
      FLIX_SESSION_SWEEP_SECONDS: seconds(15, 3600),
    },
    env,
  );
  const mux = credentialsOrEmulator(
    cfg,
    { MUX_TOKEN_ID: 'dev-mux-token-id', MUX_TOKEN_SECRET: 'dev-mux-token-secret' },
    { api: 'Mux', variable: 'MUX_BASE_URL', url: cfg.MUX_BASE_URL },
  );
  if (!!cfg.MUX_SIGNING_KEY_ID !== !!cfg.MUX_SIGNING_KEY_PRIVATE)
    throw new ConfigError('bad configuration: MUX_SIGNING_KEY_ID and MUX_SIGNING_KEY_PRIVATE are set together or not at all');
  // The sweep judges staleness by the stored heartbeat, which lags by up to one flush.
  if (cfg.FLIX_HEARTBEAT_INTERVAL_SECONDS * 2 + cfg.FLIX_PROGRESS_FLUSH_SECONDS > cfg.FLIX_STREAM_STALE_SECONDS)
    throw new ConfigError('bad configuration: FLIX_STREAM_STALE_SECONDS must be at least twice FLIX_HEARTBEAT_INTERVAL_SECONDS plus FLIX_PROGRESS_FLUSH_SECONDS');
  return {
    ...cfg,
    IDENTITY_OAUTH_URL: cfg.IDENTITY_OAUTH_URL ?? new URL('/oauth/token', cfg.FLIX_JWKS_URL).toString(),
    ...mux,
  };
}

export type PlaybackConfig = ReturnType<typeof readPlaybackConfig>;
