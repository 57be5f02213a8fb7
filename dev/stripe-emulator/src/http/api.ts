/**
 * One v1 API request: auth, params (query string for GET/DELETE, form body for POST) checked
 * against the route's schema, `Idempotency-Key` replay, the operation run through the engine with
 * `expand[]` applied, and Stripe's error shape; responses carry `request-id` and `stripe-version`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteParams } from '@flix/emulator-kit';
import type { StripeEngine } from '../engine.js';
import { invalidRequest, StripeApiError } from '../errors.js';
import { canonical, decodeForm, parseFormBody, type FormObject } from '../form.js';
import { stripeId } from '../model.js';
import { validateParams } from '../params.js';
import type { Logger } from '../types.js';
import type { ApiRoute } from './api-routes.js';
import { readBody, sendJson } from './io.js';

export interface ApiContext {
  engine: StripeEngine;
  apiVersion: string;
  logger: Logger;
  checkAuth: (req: IncomingMessage) => void;
}

export async function handleApi(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, route: ApiRoute, params: RouteParams, url: URL): Promise<void> {
  const { engine } = ctx;
  const requestId = `req_${stripeId('x', 14).slice(2)}`;
  const headers: Record<string, string> = { 'request-id': requestId, 'stripe-version': String(req.headers['stripe-version'] ?? ctx.apiVersion) };
  const key = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : null;
  if (key) headers['idempotency-key'] = key;
  try {
    ctx.checkAuth(req);
    // GET and DELETE carry params in the query string, POST in a form body (as the SDK sends them).
    const raw: FormObject = req.method === 'POST' ? parseFormBody(await readBody(req)) : decodeForm(url.searchParams.entries());
    if (req.method !== 'POST') await readBody(req);
    if (key && req.method === 'POST') {
      if (key.length > 255) throw invalidRequest('Idempotency-Key must be at most 255 characters long.', 'Idempotency-Key');
      const seen = engine.idempotency.get(key);
      if (seen) {
        if (seen.path !== url.pathname || seen.method !== req.method)
          throw new StripeApiError(400, {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${url.pathname}' vs '${seen.path}'). Try using a key other than '${key}' if you meant to execute a different request.`,
          });
        if (seen.params !== canonical(raw))
          throw new StripeApiError(400, {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          });
        // The same request again: the first answer, byte for byte.
        return sendJson(res, seen.status, seen.body, { ...headers, 'idempotent-replayed': 'true', 'original-request': seen.requestId });
      }
    }
    const p = validateParams(raw, route.schema);
    const expand = Array.isArray(p.expand) ? (p.expand as string[]) : undefined;
    let status = 200;
    let body: string;
    try {
      const result = engine.run({ id: requestId, idempotencyKey: key }, () => engine.expand(route.handler({ params, p }), expand), route.order);
      body = JSON.stringify(result, null, 2);
    } catch (e) {
      // Card errors come from an operation that ran (and is replayed like a success); others did not run.
      if (!(e instanceof StripeApiError) || e.status !== 402) throw e;
      status = 402;
      body = JSON.stringify(e.toJSON(), null, 2);
    }
    if (key && req.method === 'POST') engine.idempotency.remember(key, { method: req.method, path: url.pathname, params: canonical(raw), status, body, requestId, at: Date.now() });
    sendJson(res, status, body, headers);
  } catch (e) {
    if (res.headersSent) return;
    if (e instanceof StripeApiError) return sendJson(res, e.status, e.toJSON(), headers);
    ctx.logger.error({ err: e instanceof Error ? e.stack : String(e), path: url.pathname, requestId }, 'stripe-emulator: request failed');
    sendJson(res, 500, { error: { type: 'api_error', message: 'The emulator failed on this request.' } }, headers);
  }
}
