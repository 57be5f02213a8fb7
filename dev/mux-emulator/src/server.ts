/**
 * The HTTP face of the emulator. Three surfaces:
 *  - Mux's API (`/video/v1/…`, `/system/v1/…`): Basic auth when credentials are configured,
 *    `{ data }` envelopes, Mux's error shape, and its pagination (page/limit; cursor for assets).
 *  - The upload URL (`PUT /upload/{id}`), standing in for the Google Cloud Storage URL Mux hands
 *    out: no auth, any bytes, CORS per the upload's cors_origin, resumable chunks via
 *    Content-Range (308 until the last chunk, as GCS answers UpChunk).
 *  - `/_emulator/…`: test and operator controls for an emulator running in another process.
 * New routes are one `route(…)` line.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { readBody, Router, type RouteParams } from '@flix/emulator-kit';
import { MuxApiError, type CompleteUploadOptions, type MuxEngine } from './engine.js';
import type { Logger } from './types.js';

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  params: RouteParams;
  query: URLSearchParams;
  body: () => Promise<unknown>;
}
type Handler = (ctx: Ctx) => Promise<void> | void;
interface Route {
  auth: boolean;
  handler: Handler;
}

export interface ServerOptions {
  engine: MuxEngine;
  tokenId?: string;
  tokenSecret?: string;
  logger: Logger;
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  send(res, status, { error: { type, messages: [message] } });
}

const JSON_LIMIT = { maxBytes: 1 << 20, tooLarge: () => new MuxApiError(413, 'invalid_parameters', 'The request body is too large.') };

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req, JSON_LIMIT);
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new MuxApiError(400, 'invalid_parameters', 'The request body is not valid JSON.');
  }
}

function pageParams(q: URLSearchParams): { limit: number; page: number } {
  const limit = q.has('limit') ? Number(q.get('limit')) : 25;
  const page = q.has('page') ? Number(q.get('page')) : 1;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new MuxApiError(400, 'invalid_parameters', 'limit must be an integer between 1 and 100.');
  if (!Number.isInteger(page) || page < 1) throw new MuxApiError(400, 'invalid_parameters', 'page must be a positive integer.');
  return { limit, page };
}

/** The opaque asset cursor is the offset of the next item, base64url-encoded. */
const encodeCursor = (offset: number): string => Buffer.from(`o:${offset}`).toString('base64url');
function decodeCursor(cursor: string): number {
  const m = /^o:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new MuxApiError(400, 'invalid_parameters', 'cursor is not valid.');
  return Number(m[1]);
}

/** The Access-Control-Allow-Origin an upload's cors_origin grants this request, if any. */
function allowedOrigin(corsOrigin: string, requestOrigin: string | undefined): string | undefined {
  if (corsOrigin === '*') return '*';
  if (corsOrigin !== '' && requestOrigin === corsOrigin) return corsOrigin;
  return undefined;
}

function uploadCorsHeaders(corsOrigin: string, req: IncomingMessage): Record<string, string> {
  const origin = allowedOrigin(corsOrigin, req.headers.origin);
  if (!origin) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'PUT, OPTIONS',
    'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'content-type, content-range, content-length',
    'access-control-expose-headers': 'range',
    'access-control-max-age': '3600',
    vary: 'Origin',
  };
}

function drain(req: IncomingMessage): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => resolve(n));
    req.on('error', reject);
  });
}

export function createMuxHandler(opts: ServerOptions): RequestListener {
  const { engine } = opts;
  const expectedAuth =
    opts.tokenId && opts.tokenSecret ? Buffer.from(`Basic ${Buffer.from(`${opts.tokenId}:${opts.tokenSecret}`).toString('base64')}`) : null;

  const authorized = (req: IncomingMessage): boolean => {
    if (!expectedAuth) return true;
    const got = Buffer.from(req.headers.authorization ?? '');
    return got.length === expectedAuth.length && timingSafeEqual(got, expectedAuth);
  };

  const router = new Router<Route>();
  const route = (method: string, path: string, handler: Handler, auth = true): void => void router.add(method, path, { auth, handler });
  // ---- Mux API: direct uploads ----
  route('POST', '/video/v1/uploads', async ({ res, body }) => send(res, 201, { data: engine.createUpload(await body()) }));
  route('GET', '/video/v1/uploads', ({ res, query }) => {
    const { limit, page } = pageParams(query);
    send(res, 200, { data: engine.listUploads(limit, page) });
  });
  route('GET', '/video/v1/uploads/:id', ({ res, params }) => send(res, 200, { data: engine.getUpload(params.id) }));
  route('PUT', '/video/v1/uploads/:id/cancel', ({ res, params }) => send(res, 200, { data: engine.cancelUpload(params.id) }));
  // ---- assets and playback ids ----
  route('GET', '/video/v1/assets', ({ res, query }) => {
    const { limit, page } = pageParams(query);
    const offset = query.has('cursor') ? decodeCursor(query.get('cursor')!) : (page - 1) * limit;
    const { data, nextOffset } = engine.listAssets({ uploadId: query.get('upload_id') ?? undefined }, limit, offset);
    send(res, 200, { data, ...(nextOffset !== null ? { next_cursor: encodeCursor(nextOffset) } : {}) });
  });
  route('GET', '/video/v1/assets/:id', ({ res, params }) => send(res, 200, { data: engine.getAsset(params.id) }));
  route('DELETE', '/video/v1/assets/:id', ({ res, params }) => {
    engine.deleteAsset(params.id);
    send(res, 204);
  });
  route('POST', '/video/v1/assets/:id/playback-ids', async ({ res, params, body }) =>
    send(res, 201, { data: engine.createAssetPlaybackId(params.id, await body()) }),
  );
  route('GET', '/video/v1/assets/:id/playback-ids/:pid', ({ res, params }) =>
    send(res, 200, { data: engine.getAssetPlaybackId(params.id, params.pid) }),
  );
  route('DELETE', '/video/v1/assets/:id/playback-ids/:pid', ({ res, params }) => {
    engine.deleteAssetPlaybackId(params.id, params.pid);
    send(res, 204);
  });
  route('GET', '/video/v1/playback-ids/:pid', ({ res, params }) => send(res, 200, { data: engine.playbackIdOwner(params.pid) }));
  // ---- signing keys ----
  route('POST', '/system/v1/signing-keys', async ({ res }) => send(res, 201, { data: await engine.createSigningKey() }));
  route('GET', '/system/v1/signing-keys', ({ res, query }) => {
    const { limit, page } = pageParams(query);
    send(res, 200, { data: engine.listSigningKeys(limit, page) });
  });
  route('GET', '/system/v1/signing-keys/:id', ({ res, params }) => send(res, 200, { data: engine.getSigningKey(params.id) }));
  route('DELETE', '/system/v1/signing-keys/:id', ({ res, params }) => {
    engine.deleteSigningKey(params.id);
    send(res, 204);
  });

  // ---- the upload URL (stands in for Mux's signed storage URL: no API credentials) ----
  route(
    'OPTIONS',
    '/upload/:id',
    ({ req, res, params }) => {
      const u = engine.uploadExists(params.id);
      if (!u) return send(res, 404);
      send(res, 200, undefined, uploadCorsHeaders(u.cors_origin, req));
    },
    false,
  );
  route(
    'PUT',
    '/upload/:id',
    async ({ req, res, params }) => {
      const known = engine.uploadExists(params.id);
      const cors = known ? uploadCorsHeaders(known.cors_origin, req) : {};
      const u = engine.writableUpload(params.id);
      const bytes = await drain(req);
      if (!u) return send(res, 404, { error: { code: 404, message: 'No such upload, or it no longer accepts data.' } }, cors);
      // Resumable chunk "bytes a-b/total": not the last one → 308 Resume Incomplete with the range held so far.
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(req.headers['content-range'] ?? ''));
      if (range && (range[3] === '*' || Number(range[2]) + 1 < Number(range[3]))) {
        u.bytesReceived += bytes;
        return send(res, 308, undefined, { ...cors, range: `bytes=0-${range[2]}` });
      }
      engine.bytesReceived(u, bytes);
      send(res, 200, undefined, cors);
    },
    false,
  );

  // ---- controls ----
  route('GET', '/_emulator/health', ({ res }) => send(res, 200, { ok: true }), false);
  // Mux's half of a signing key, for a stand-in of stream.mux.com (dev/video-origin) to check
  // playback tokens with. A public key is no secret, so no auth: the origin needs no API creds.
  route(
    'GET',
    '/_emulator/signing-keys/:id/public',
    ({ res, params }) => {
      const k = engine.signingKeys.get(params.id);
      if (!k) throw new MuxApiError(404, 'not_found', `no signing key ${params.id}`);
      send(res, 200, { data: { id: k.id, created_at: String(Math.floor(k.createdAtMs / 1000)), public_key_pem: k.publicKeyPem } });
    },
    false,
  );
  route('GET', '/_emulator/deliveries', ({ res }) => send(res, 200, { data: engine.dispatcher.snapshot() }));
  route('POST', '/_emulator/uploads/:id/complete', async ({ res, params, body }) =>
    send(res, 200, { data: engine.completeUpload(params.id, (await body()) as CompleteUploadOptions) }),
  );
  route('POST', '/_emulator/uploads/:id/fail', async ({ res, params, body }) => {
    const b = (await body()) as { message?: unknown };
    send(res, 200, { data: engine.failUpload(params.id, typeof b.message === 'string' ? b.message : undefined) });
  });
  route('POST', '/_emulator/deliveries/:id/redeliver', async ({ res, params }) => {
    const known = engine.dispatcher.snapshot().some((d) => d.id === params.id);
    if (!known) throw new MuxApiError(404, 'not_found', `no webhook delivery ${params.id}`);
    send(res, 200, { data: await engine.dispatcher.redeliver(params.id) });
  });

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const hit = router.match(req.method, url.pathname);
    if (!hit.found) {
      if (hit.methodNotAllowed) return sendError(res, 405, 'method_not_allowed', `${req.method} is not supported on ${url.pathname}.`);
      // A Mux API path the emulator does not implement: say so plainly rather than 404.
      if (/^\/(video|system|data)\/v1\//.test(url.pathname))
        return sendError(res, 501, 'not_implemented', `${req.method} ${url.pathname} is not emulated (dev/mux-emulator/src/server.ts).`);
      return sendError(res, 404, 'not_found', `No route for ${req.method} ${url.pathname}.`);
    }
    const { auth, handler } = hit.handler;
    if (auth && !authorized(req)) return sendError(res, 401, 'unauthorized', 'Unauthorized request');
    const ctx: Ctx = { req, res, params: hit.params, query: url.searchParams, body: () => readJson(req) };
    Promise.resolve()
      .then(() => handler(ctx))
      .catch((e: unknown) => {
        if (res.headersSent) return;
        if (e instanceof MuxApiError) return sendError(res, e.status, e.type, e.message);
        opts.logger.error({ err: e instanceof Error ? e.stack : String(e), path: url.pathname }, 'mux-emulator: request failed');
        sendError(res, 500, 'internal_error', 'The emulator failed on this request.');
      });
  };
}
