/** Plumbing shared by the emulator's HTTP surfaces: the raw-route table, bodies, JSON/HTML responses. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody as readLimitedBody, type BodyLimit, type RouteParams, type Router } from '@flix/emulator-kit';
import { invalidRequest } from '../errors.js';

/** A hosted page or control route: it reads the body itself and writes its own response. */
export interface RawCtx {
  req: IncomingMessage;
  res: ServerResponse;
  params: RouteParams;
  body: () => Promise<string>;
}
export type RawHandler = (ctx: RawCtx) => Promise<void> | void;
export interface RawRoute {
  /** Whether the route wants the API key, as the v1 API does. */
  auth: boolean;
  handler: RawHandler;
}

/** `add(method, path, handler, auth?)` onto a router of raw routes. */
export function rawRouteAdder(router: Router<RawRoute>): (method: string, path: string, handler: RawHandler, auth?: boolean) => void {
  return (method, path, handler, auth = false) => void router.add(method, path, { auth, handler });
}

/** Stripe refuses a body over 1 MiB with its own invalid_request error. */
const BODY_LIMIT: BodyLimit = { maxBytes: 1 << 20, tooLarge: () => invalidRequest('The request body is too large.') };

/** The request body as text; a body over 1 MiB is refused. */
export function readBody(req: IncomingMessage): Promise<string> {
  return readLimitedBody(req, BODY_LIMIT);
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
