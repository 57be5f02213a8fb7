/**
 * The web server's environment, read once at start and validated; a bad value stops the process
 * with a message naming the variable (the same rules as the services, libs/config).
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig, z } from '@flix/config';

/**
 * Where players fetch video and images (Mux's stream and image hosts and the CDN hosts their
 * playlists point at), and where Studio PUTs uploads: Mux's direct-upload URLs are signed GCS URLs.
 */
export const DEFAULT_MEDIA_ORIGINS = ['https://stream.mux.com', 'https://image.mux.com', 'https://*.mux.com', 'https://storage.googleapis.com'];

export interface WebConfig {
  host: string;
  port: number;
  /** Absolute path of the built app (index.html, assets/). */
  dist: string;
  /** Origins (CSP host sources) the app may load media from and connect to. */
  mediaOrigins: string[];
  logLevel: string;
}

/** An empty variable counts as unset, so `FLIX_WEB_PORT=` in a .env file means "the default". */
const unsetIfEmpty = (v: unknown) => (v === '' ? undefined : v);
const optionalPort = z.preprocess(unsetIfEmpty, z.coerce.number().int().min(0).max(65535).optional());

/**
 * One media origin as a CSP host source: `scheme://host[:port]`, where the host may start with
 * `*.` (any subdomain). No path, query or credentials: CSP would read a path as a restriction.
 */
export function parseMediaOrigin(value: string): string | undefined {
  const m = /^(https?):\/\/(\*\.)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?\/?$/.exec(value);
  if (!m) return undefined;
  const [, scheme, wildcard = '', host, port = ''] = m;
  if (port && Number(port.slice(1)) > 65535) return undefined;
  if (!wildcard) {
    // Let URL normalise what it can (case, default ports) for an exact host.
    try {
      return new URL(`${scheme}://${host}${port}`).origin;
    } catch {
      return undefined;
    }
  }
  return `${scheme}://${wildcard}${host!.toLowerCase()}${port}`;
}

const mediaOrigins = z.preprocess(
  unsetIfEmpty,
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined) return DEFAULT_MEDIA_ORIGINS;
      const out: string[] = [];
      for (const item of raw.trim().split(/\s+/)) {
        const origin = parseMediaOrigin(item);
        if (!origin) {
          ctx.addIssue({ code: 'custom', message: `"${item}" is not an origin like https://stream.mux.com or https://*.mux.com (space-separated, no path)` });
          return z.NEVER;
        }
        if (!out.includes(origin)) out.push(origin);
      }
      return out;
    }),
);

/** Reads FLIX_WEB_* (and HTTP_PORT, LOG_LEVEL); `cwd` resolves a relative FLIX_WEB_DIST. */
export function readWebConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): WebConfig {
  const cfg = loadConfig(
    {
      /** The port; FLIX_WEB_PORT wins over HTTP_PORT (the name every service's container uses). */
      FLIX_WEB_PORT: optionalPort,
      HTTP_PORT: optionalPort,
      FLIX_WEB_HOST: z.preprocess(unsetIfEmpty, z.string().min(1).default('0.0.0.0')),
      FLIX_WEB_DIST: z.preprocess(unsetIfEmpty, z.string().min(1).default('web/dist')),
      FLIX_WEB_MEDIA_ORIGINS: mediaOrigins,
      LOG_LEVEL: z.preprocess(unsetIfEmpty, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
    },
    env,
  );
  const dist = resolve(cwd, cfg.FLIX_WEB_DIST);
  if (!existsSync(dist) || !statSync(dist).isDirectory()) {
    throw new ConfigError(`bad configuration: FLIX_WEB_DIST is invalid: ${dist} is not a directory (build the app: npm run build -w @flix/web)`);
  }
  if (!existsSync(join(dist, 'index.html'))) {
    throw new ConfigError(`bad configuration: FLIX_WEB_DIST is invalid: ${dist} has no index.html (build the app: npm run build -w @flix/web)`);
  }
  return {
    host: cfg.FLIX_WEB_HOST,
    port: cfg.FLIX_WEB_PORT ?? cfg.HTTP_PORT ?? 8090,
    dist,
    mediaOrigins: cfg.FLIX_WEB_MEDIA_ORIGINS,
    logLevel: cfg.LOG_LEVEL,
  };
}
