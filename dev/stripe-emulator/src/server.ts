/**
 * The HTTP face of the emulator. Three surfaces:
 *  - Stripe's v1 API (`/v1/…`, http/api-routes.ts and http/api.ts): Bearer (or Basic) secret-key
 *    auth, form-encoded params validated against the endpoint's schema, `Idempotency-Key`
 *    replay, `expand[]`, list pagination, and Stripe's error shape; responses carry `request-id`
 *    and `stripe-version`.
 *  - Hosted pages (http/hosted-routes.ts): checkout (`/checkout/{id}` with Pay/Decline form
 *    POSTs), the billing portal (`/p/session/{id}`), invoices and receipts.
 *  - `/_emulator/…` (http/control-routes.ts): JSON controls for tests and operators in another process.
 * New API routes are one line in the route table.
 */
import type { RequestListener } from 'node:http';
import { Router } from '@flix/emulator-kit';
import type { StripeEngine } from './engine.js';
import { StripeApiError, unrecognizedUrl } from './errors.js';
import { handleApi, type ApiContext } from './http/api.js';
import { apiRoutes } from './http/api-routes.js';
import { keyChecker } from './http/auth.js';
import { controlRoutes } from './http/control-routes.js';
import { hostedRoutes } from './http/hosted-routes.js';
import { readBody, sendJson, type RawRoute } from './http/io.js';
import type { Logger } from './types.js';

export interface ServerOptions {
  engine: StripeEngine;
  apiKey?: string;
  apiVersion: string;
  publicUrl: string;
  logger: Logger;
}

export function createStripeHandler(opts: ServerOptions): RequestListener {
  const { engine } = opts;
  const checkAuth = keyChecker(opts.apiKey);
  const api: ApiContext = { engine, apiVersion: opts.apiVersion, logger: opts.logger, checkAuth };
  const v1 = apiRoutes(engine, opts.publicUrl);
  const raw = new Router<RawRoute>();
  hostedRoutes(raw, engine);
  controlRoutes(raw, engine, opts.apiVersion);

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/v1/')) {
      const hit = v1.match(method, url.pathname);
      if (!hit.found) {
        const e = unrecognizedUrl(method, url.pathname);
        return sendJson(res, e.status, e.toJSON());
      }
      void handleApi(api, req, res, hit.handler, hit.params, url);
      return;
    }
    const hit = raw.match(method, url.pathname);
    if (!hit.found) return sendJson(res, hit.methodNotAllowed ? 405 : 404, { error: { type: 'invalid_request_error', message: `No route for ${method} ${url.pathname}.` } });
    const { handler: route, params } = hit;
    Promise.resolve()
      .then(() => {
        if (route.auth) checkAuth(req);
        return route.handler({ req, res, params, body: () => readBody(req) });
      })
      .catch((e: unknown) => {
        if (res.headersSent) return;
        if (e instanceof StripeApiError) return sendJson(res, e.status, e.toJSON());
        opts.logger.error({ err: e instanceof Error ? e.stack : String(e), path: url.pathname }, 'stripe-emulator: request failed');
        sendJson(res, 500, { error: { type: 'api_error', message: 'The emulator failed on this request.' } });
      });
  };
}
