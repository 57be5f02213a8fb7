/**
 * The HTTP face of the origin, the URL shapes of stream.mux.com and image.mux.com on one host:
 *   GET /{playbackId}.m3u8?token=                     master playlist            aud v
 *   GET /{playbackId}/{rendition}.m3u8?token=         rendition playlist         aud v
 *   GET /{playbackId}/{rendition}/seg000.ts?token=    segment                    aud v
 *   GET /{playbackId}/thumbnail.jpg?token=            poster frame               aud t
 *   GET /{playbackId}/storyboard.vtt?token=           storyboard cues            aud s
 *   GET /{playbackId}/storyboard.jpg?token=           storyboard sprite          aud s
 *   GET /{playbackId}/animated.gif?token=             first seconds as a gif     aud g
 *   GET /_origin/health
 * Every playback id plays the same test stream, but only with a token for that id; anything
 * else is 403 with `{"error":{"type":<reason>,"messages":[…]}}` (Mux answers 403, not 401).
 * CORS is open (`*`) so a browser player on any local page can fetch it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { join, relative } from 'node:path';
import { rewritePlaylist, rewriteStoryboard, withToken } from './playlists.js';
import type { TestStream } from './test-stream.js';
import { KeySourceUnavailableError, type Audience, type PlaybackTokenVerifier } from './tokens.js';
import type { Logger } from './types.js';

export interface OriginHandlerOptions {
  stream: TestStream;
  verifier: PlaybackTokenVerifier;
  logger: Logger;
}

const PLAYBACK_ID = '([A-Za-z0-9_-]{1,128})';
const NAME = '([a-z0-9]{1,16})';

interface Route {
  pattern: RegExp;
  aud: Audience;
  /** Key of the file in the stream directory, from the matched groups after the playback id. */
  file: (groups: string[]) => string;
  kind: 'master' | 'rendition' | 'storyboard' | 'binary';
}

const ROUTES: Route[] = [
  { pattern: new RegExp(`^/${PLAYBACK_ID}\\.m3u8$`), aud: 'v', file: () => 'master.m3u8', kind: 'master' },
  { pattern: new RegExp(`^/${PLAYBACK_ID}/${NAME}\\.m3u8$`), aud: 'v', file: ([r]) => `${r}/index.m3u8`, kind: 'rendition' },
  { pattern: new RegExp(`^/${PLAYBACK_ID}/${NAME}/(seg\\d{1,5}\\.ts)$`), aud: 'v', file: ([r, s]) => `${r}/${s}`, kind: 'binary' },
  { pattern: new RegExp(`^/${PLAYBACK_ID}/thumbnail\\.jpg$`), aud: 't', file: () => 'thumbnail.jpg', kind: 'binary' },
  { pattern: new RegExp(`^/${PLAYBACK_ID}/storyboard\\.vtt$`), aud: 's', file: () => 'storyboard.vtt', kind: 'storyboard' },
  { pattern: new RegExp(`^/${PLAYBACK_ID}/storyboard\\.jpg$`), aud: 's', file: () => 'storyboard.jpg', kind: 'binary' },
  { pattern: new RegExp(`^/${PLAYBACK_ID}/animated\\.gif$`), aud: 'g', file: () => 'animated.gif', kind: 'binary' },
];

const CONTENT_TYPES: Record<string, string> = {
  m3u8: 'application/vnd.apple.mpegurl',
  ts: 'video/mp2t',
  jpg: 'image/jpeg',
  gif: 'image/gif',
  vtt: 'text/vtt; charset=utf-8',
};

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'content-length, content-range, accept-ranges',
  'timing-allow-origin': '*',
};

/** The stream is a few MB: held in memory, so a request is a map lookup. */
function readStream(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path).split('\\').join('/'), readFileSync(path));
    }
  };
  walk(dir);
  return files;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, { ...CORS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers })
    .end(text);
}

const sendError = (res: ServerResponse, status: number, type: string, message: string, headers?: Record<string, string>) =>
  sendJson(res, status, { error: { type, messages: [message] } }, headers);

/** A single `bytes=` range of `size` bytes, or null for the whole body; 'unsatisfiable' → 416. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'unsatisfiable' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // multi-range or junk: whole body, as RFC 9110 allows
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

function sendBody(req: IncomingMessage, res: ServerResponse, body: Buffer, contentType: string, cacheControl: string): void {
  const base = { ...CORS, 'content-type': contentType, 'cache-control': cacheControl, 'accept-ranges': 'bytes' };
  const range = parseRange(req.headers.range, body.length);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...base, 'content-range': `bytes */${body.length}` }).end();
    return;
  }
  const slice = range ? body.subarray(range.start, range.end + 1) : body;
  const headers = { ...base, 'content-length': String(slice.length), ...(range ? { 'content-range': `bytes ${range.start}-${range.end}/${body.length}` } : {}) };
  res.writeHead(range ? 206 : 200, headers);
  res.end(req.method === 'HEAD' ? undefined : slice);
}

export function createOriginHandler(opts: OriginHandlerOptions): RequestListener {
  const files = readStream(opts.stream.dir);
  const { verifier, logger } = opts;

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://origin');
    if (req.method === 'OPTIONS') {
      res
        .writeHead(204, {
          ...CORS,
          'access-control-allow-methods': 'GET, HEAD, OPTIONS',
          'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'range',
          'access-control-max-age': '86400',
        })
        .end();
      return;
    }
    if (url.pathname === '/_origin/health') return sendJson(res, 200, { ok: true, stream: { durationSeconds: opts.stream.durationSeconds, renditions: opts.stream.renditions.map((r) => r.name) } });

    let route: Route | undefined;
    let groups: string[] = [];
    for (const r of ROUTES) {
      const m = r.pattern.exec(url.pathname);
      if (m) {
        route = r;
        groups = m.slice(1);
        break;
      }
    }
    if (!route) return sendError(res, 404, 'not_found', `No such resource: ${url.pathname}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'method_not_allowed', `${req.method} is not supported; use GET.`, { allow: 'GET, HEAD, OPTIONS' });

    const [playbackId, ...rest] = groups;
    const token = url.searchParams.get('token');
    const r = route;
    verifier
      .check(token, playbackId, r.aud)
      .then((check) => {
        if (!check.ok) {
          logger.info({ path: url.pathname, playbackId, reason: check.reason }, 'video-origin: refused');
          return sendError(res, 403, check.reason, check.message);
        }
        const key = r.file(rest);
        const body = files.get(key);
        if (!body) return sendError(res, 404, 'not_found', `No such resource: ${url.pathname}`);
        const contentType = CONTENT_TYPES[key.slice(key.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
        const tokenOf = (uri: string) => withToken(uri, token!);
        switch (r.kind) {
          case 'master':
            // Rendition URIs relative to /{id}.m3u8 must name the id: `{id}/{rendition}.m3u8`.
            return sendBody(req, res, Buffer.from(rewritePlaylist(body.toString('utf8'), (u) => tokenOf(`${playbackId}/${u}`))), contentType, 'private, max-age=60');
          case 'rendition':
            // Relative to /{id}/{rendition}.m3u8: `{rendition}/seg000.ts`.
            return sendBody(req, res, Buffer.from(rewritePlaylist(body.toString('utf8'), (u) => tokenOf(`${rest[0]}/${u}`))), contentType, 'private, max-age=60');
          case 'storyboard':
            return sendBody(req, res, Buffer.from(rewriteStoryboard(body.toString('utf8'), tokenOf)), contentType, 'private, max-age=60');
          case 'binary':
            return sendBody(req, res, body, contentType, 'private, max-age=3600');
        }
      })
      .catch((e: unknown) => {
        if (res.headersSent) return;
        if (e instanceof KeySourceUnavailableError) {
          logger.warn({ err: e.message }, 'video-origin: cannot check tokens');
          return sendError(res, 503, 'key_source_unavailable', `Cannot check the token right now: ${e.message}`);
        }
        logger.error({ err: e instanceof Error ? e.stack : String(e), path: url.pathname }, 'video-origin: request failed');
        sendError(res, 500, 'internal_error', 'The origin failed on this request.');
      });
  };
}
