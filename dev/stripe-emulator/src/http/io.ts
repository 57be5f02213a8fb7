/** Plumbing shared by the emulator's HTTP surfaces: path patterns, bodies, JSON/HTML responses. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidRequest } from '../errors.js';

/** The `:name` parts of a matched path. */
export type Params = Record<string, string>;

/** A hosted page or control route: it reads the body itself and writes its own response. */
export interface RawCtx {
  req: IncomingMessage;
  res: ServerResponse;
  params: Params;
  body: () => Promise<string>;
}
export type RawHandler = (ctx: RawCtx) => Promise<void> | void;
export interface RawRoute {
  method: string;
  pattern: RegExp;
  keys: string[];
  /** Whether the route wants the API key, as the v1 API does. */
  auth: boolean;
  handler: RawHandler;
}

/** Collects raw routes: `add(method, path, handler, auth?)`. */
export function rawRoutes(): { routes: RawRoute[]; add: (method: string, path: string, handler: RawHandler, auth?: boolean) => void } {
  const routes: RawRoute[] = [];
  return { routes, add: (method, path, handler, auth = false) => void routes.push({ method, ...compile(path), auth, handler }) };
}

/** A route path (`/v1/customers/:id`) as a pattern and its parameter names. */
export function compile(path: string): { pattern: RegExp; keys: string[] } {
  const keys: string[] = [];
  const pattern = new RegExp(
    '^' +
      path.replace(/:([a-zA-Z]+)/g, (_, k: string) => {
        keys.push(k);
        return '([^/]+)';
      }) +
      '$',
  );
  return { pattern, keys };
}

/** The route (of those whose pattern matches `path`) for `method`, with its path params; `pathMatched` tells 405 from 404. */
export function matchRoute<R extends { method: string; pattern: RegExp; keys: string[] }>(routes: readonly R[], method: string, path: string): { route: R; params: Params } | { route: null; pathMatched: boolean } {
  const matching = routes.map((r) => ({ r, m: r.pattern.exec(path) })).filter((x) => x.m);
  const hit = matching.find((x) => x.r.method === method);
  if (!hit) return { route: null, pathMatched: matching.length > 0 };
  const params: Params = {};
  hit.r.keys.forEach((k, i) => (params[k] = decodeURIComponent(hit.m![i + 1])));
  return { route: hit.r, params };
}

const MAX_BODY_BYTES = 1 << 20;

/** The request body as text; a body over 1 MiB is refused. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(invalidRequest('The request body is too large.'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  // Stripe pretty-prints its JSON; so does the emulator.
  const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-cache, no-store', ...headers }).end(text);
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html), 'cache-control': 'no-store' }).end(html);
}

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, 'content-length': 0 }).end();
}

/** A JSON control request's body: an object, or empty. */
export function jsonObject(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw invalidRequest('The request body is not valid JSON.');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalidRequest('The request body must be a JSON object.');
  return v as Record<string, unknown>;
}
