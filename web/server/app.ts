/**
 * The viewer app's static server: the built app (web/dist) behind the gateway's catch-all route.
 *
 *   /assets/*          hashed by Vite: cached for a year, immutable
 *   /index.html, /     no-cache (revalidated with its ETag), so a deploy shows at the next load
 *   /some/app/route    any GET/HEAD path without a file extension → index.html, 200 (the SPA's router)
 *   /missing.js        a path with an extension that is not a file → 404
 *   /v1/ /oauth/ /.well-known/ /webhooks/   never the app: 404 (the gateway routes them elsewhere)
 *   /healthz           200 (the container's health check)
 *   other methods      405
 *
 * Files come from sirv, which indexes the dist once at start and serves the precompressed `.br` /
 * `.gz` sibling the client accepts (`Vary: Accept-Encoding`); nothing is compressed per request,
 * and the gateway must not compress again. Every response carries the security headers.
 */
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import sirv from 'sirv';

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'no-cache';

/** Paths that belong to the API and the services' plain-HTTP endpoints, never to the app. */
export const RESERVED_PREFIXES = ['/v1/', '/oauth/', '/.well-known/', '/webhooks/'];
/** App pages under a reserved prefix: identity's /oauth/authorize sends the browser to the consent page. */
export const APP_PAGES_UNDER_RESERVED = ['/oauth/consent'];

/**
 * The CSP a React SPA with hls.js needs: its own scripts and styles only (Vite emits no inline
 * script), media and images from the stream/image hosts, XHR/fetch to the API (same origin) and to
 * the stream hosts (hls.js loads playlists and segments itself, into MSE blob: URLs), and a worker
 * that hls.js may start from a blob: URL.
 */
export function contentSecurityPolicy(mediaOrigins: readonly string[]): string {
  const media = mediaOrigins.length ? ` ${mediaOrigins.join(' ')}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data: blob:${media}`,
    `media-src 'self' blob:${media}`,
    `connect-src 'self'${media}`,
    "worker-src 'self' blob:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Features a video app uses (fullscreen, picture-in-picture, autoplay, EME) on its own origin
 * only; device and sensor features nobody here needs are off. Only names Chromium recognises:
 * an unknown one is logged as an error in every page's console.
 */
export const PERMISSIONS_POLICY = [
  'fullscreen=(self)',
  'picture-in-picture=(self)',
  'autoplay=(self)',
  'encrypted-media=(self)',
  'accelerometer=()',
  'camera=()',
  'geolocation=()',
  'gyroscope=()',
  'magnetometer=()',
  'microphone=()',
  'midi=()',
  'payment=()',
  'usb=()',
].join(', ');

export function securityHeaders(mediaOrigins: readonly string[]): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(mediaOrigins),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'strict-origin-when-cross-origin',
    'X-Frame-Options': 'DENY',
    'Permissions-Policy': PERMISSIONS_POLICY,
  };
}

export interface WebHandlerOptions {
  /** The built app: index.html at its root, hashed files under assets/. */
  dist: string;
  mediaOrigins: readonly string[];
  /** Told about a file that failed while being sent (e.g. deleted under a running server). */
  onError?: (err: Error, path: string) => void;
}

const isReserved = (path: string) => !APP_PAGES_UNDER_RESERVED.includes(path) && RESERVED_PREFIXES.some((p) => path === p.slice(0, -1) || path.startsWith(p));
/** The last segment has a dot: the request names a file (`/assets/x.js`, `/robots.txt`). */
const hasExtension = (path: string) => /\.[^/]*$/.test(path.slice(path.lastIndexOf('/') + 1));

function sendText(req: IncomingMessage, res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(req.method === 'HEAD' ? undefined : text);
}

export function createWebHandler(options: WebHandlerOptions): RequestListener {
  const security = Object.entries(securityHeaders(options.mediaOrigins));
  // Not sirv's `single`: which paths fall back to index.html is decided below, and sirv's own
  // Cache-Control (maxAge) would apply to every file alike.
  const files = sirv(options.dist, { etag: true, brotli: true, gzip: true, dotfiles: false });

  return (req, res) => {
    for (const [name, value] of security) res.setHeader(name, value);
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://web').pathname;
    } catch {
      return sendText(req, res, 400, 'Bad Request');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(req, res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
    if (path === '/healthz') return sendText(req, res, 200, 'ok', { 'Cache-Control': 'no-store' });
    if (isReserved(path)) return sendText(req, res, 404, 'Not Found', { 'Cache-Control': REVALIDATE });

    // Whole files only: sirv's Range handling misreads suffix ranges (`bytes=-500`), and ignoring
    // Range is always allowed (RFC 9110 §14.2); the assets are small.
    delete req.headers.range;
    // sirv streams the file into the response after its headers are out; a file that vanished
    // (a rebuild under a running server) must end this response, not the process.
    res.once('pipe', (source: Readable) =>
      source.once('error', (err) => {
        options.onError?.(err, path);
        res.destroy(err);
      }),
    );
    // Set before sirv runs so it also goes out on its 304s (sirv keeps headers already set).
    res.setHeader('Cache-Control', path.startsWith('/assets/') ? IMMUTABLE : REVALIDATE);
    files(req, res, () => {
      if (hasExtension(path) || path.startsWith('/assets/')) return sendText(req, res, 404, 'Not Found');
      // An app route: the SPA's index.html, whose router takes it from there.
      req.url = '/';
      files(req, res, () => sendText(req, res, 404, 'Not Found'));
    });
  };
}

export interface WebServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens with the handler; `close` stops accepting, lets requests in flight finish (at most `graceMs`). */
export async function startWebServer(options: WebHandlerOptions & { port?: number; host?: string; graceMs?: number }): Promise<WebServer> {
  const server = createServer(createWebHandler(options));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), options.graceMs ?? 10_000);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
