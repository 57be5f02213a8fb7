/**
 * The HTTP face of the emulator. Three surfaces:
 *  - Stripe's v1 API (`/v1/…`): Bearer (or Basic) secret-key auth, form-encoded params validated
 *    against the endpoint's schema, `Idempotency-Key` replay, `expand[]`, list pagination, and
 *    Stripe's error shape; responses carry `request-id` and `stripe-version`.
 *  - Hosted pages: checkout (`/checkout/{id}` with Pay/Decline form POSTs), the billing portal
 *    (`/p/session/{id}`), invoices and receipts.
 *  - `/_emulator/…`: JSON controls for tests and operators in another process.
 * New API routes are one line in the route table.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { CHECKOUT_ORDER, type StripeEngine } from './engine.js';
import { invalidRequest, StripeApiError, unrecognizedUrl } from './errors.js';
import { canonical, decodeForm, parseFormBody, type FormObject } from './form.js';
import { stripeId } from './model.js';
import { checkoutPage, invoicePage, messagePage, portalPage, receiptPage } from './pages.js';
import { LIST, validateParams, type ParamObject, type Schema } from './params.js';
import * as S from './schemas.js';
import type { Logger } from './types.js';
import type { ReleaseOrder, SignatureMode } from './webhooks.js';

type Params = Record<string, string>;

interface ApiCtx {
  params: Params;
  /** The validated, coerced request params. */
  p: ParamObject;
}
/** An API handler returns the object to send (expanded afterwards per `expand[]`). */
type ApiHandler = (ctx: ApiCtx) => object;

interface ApiRoute {
  method: string;
  pattern: RegExp;
  keys: string[];
  schema: Schema;
  handler: ApiHandler;
  /** Event order for the operation's batch, when it is not simply the order things happened. */
  order?: readonly string[];
}

interface RawCtx {
  req: IncomingMessage;
  res: ServerResponse;
  params: Params;
  body: () => Promise<string>;
}
type RawHandler = (ctx: RawCtx) => Promise<void> | void;
interface RawRoute {
  method: string;
  pattern: RegExp;
  keys: string[];
  auth: boolean;
  handler: RawHandler;
}

export interface ServerOptions {
  engine: StripeEngine;
  apiKey?: string;
  apiVersion: string;
  publicUrl: string;
  logger: Logger;
}

const MAX_BODY_BYTES = 1 << 20;

function compile(path: string): { pattern: RegExp; keys: string[] } {
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

function readBody(req: IncomingMessage): Promise<string> {
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

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  // Stripe pretty-prints its JSON; so does the emulator.
  const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-cache, no-store', ...headers }).end(text);
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html), 'cache-control': 'no-store' }).end(html);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, 'content-length': 0 }).end();
}

function maskKey(key: string): string {
  return key.length <= 12 ? `${key.slice(0, 3)}****` : `${key.slice(0, 8)}${'*'.repeat(key.length - 12)}${key.slice(-4)}`;
}

/** The secret key of a request: `Authorization: Bearer sk_…`, or Basic with the key as user name. */
function requestKey(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  if (/^bearer /i.test(h)) return h.slice(7).trim() || null;
  if (/^basic /i.test(h)) return Buffer.from(h.slice(6).trim(), 'base64').toString('utf8').split(':')[0] || null;
  return null;
}

const authError = (message: string): StripeApiError => new StripeApiError(401, { type: 'invalid_request_error', message });

function jsonObject(text: string): Record<string, unknown> {
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

export function createStripeHandler(opts: ServerOptions): RequestListener {
  const { engine } = opts;
  const expected = opts.apiKey ? Buffer.from(opts.apiKey) : null;

  const checkAuth = (req: IncomingMessage): void => {
    const key = requestKey(req);
    if (!key)
      throw authError(
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
      );
    if (expected) {
      const got = Buffer.from(key);
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw authError(`Invalid API Key provided: ${maskKey(key)}`);
    } else if (/^(sk|rk)_live_/.test(key)) {
      throw authError('The Stripe emulator only takes test-mode keys (sk_test_…); a live key must never be sent to it.');
    }
  };

  const apiRoutes: ApiRoute[] = [];
  const api = (method: string, path: string, schema: Schema, handler: ApiHandler, order?: readonly string[]): void => {
    apiRoutes.push({ method, ...compile(path), schema, handler, order });
  };
  const p = <T>(ctx: ApiCtx): T => ctx.p as unknown as T;

  const retrieve =
    <T extends object>(get: (id: string) => T) =>
    (c: ApiCtx): T =>
      engine.render(get(c.params.id));
  const { db } = engine;

  // ---- customers ----
  api('POST', '/v1/customers', S.CUSTOMER_CREATE, (c) => engine.customers.create(p(c)));
  api('GET', '/v1/customers', S.CUSTOMER_LIST, (c) => engine.customers.list(p(c)));
  api('GET', '/v1/customers/search', S.SEARCH, (c) => engine.customers.search(p(c)));
  api('GET', '/v1/customers/:id', S.RETRIEVE, retrieve((id) => db.customers.get(id)));
  api('POST', '/v1/customers/:id', S.CUSTOMER_UPDATE, (c) => engine.customers.update(c.params.id, p(c)));
  api('DELETE', '/v1/customers/:id', {}, (c) => engine.customers.delete(c.params.id));
  // ---- products, prices, coupons ----
  api('POST', '/v1/products', S.PRODUCT_CREATE, (c) => engine.products.create(p(c)));
  api('GET', '/v1/products', S.PRODUCT_LIST, (c) => engine.products.list(p(c)));
  api('GET', '/v1/products/:id', S.RETRIEVE, retrieve((id) => db.products.get(id)));
  api('POST', '/v1/products/:id', S.PRODUCT_UPDATE, (c) => engine.products.update(c.params.id, p(c)));
  api('POST', '/v1/prices', S.PRICE_CREATE, (c) => engine.prices.create(p(c)));
  api('GET', '/v1/prices', S.PRICE_LIST, (c) => engine.prices.list(p(c)));
  api('GET', '/v1/prices/:id', S.RETRIEVE, retrieve((id) => db.prices.get(id)));
  api('POST', '/v1/prices/:id', S.PRICE_UPDATE, (c) => engine.prices.update(c.params.id, p(c)));
  api('POST', '/v1/coupons', S.COUPON_CREATE, (c) => engine.coupons.create(p(c)));
  api('GET', '/v1/coupons', LIST, (c) => engine.coupons.list(p(c)));
  api('GET', '/v1/coupons/:id', S.RETRIEVE, retrieve((id) => engine.coupons.get(id)));
  api('DELETE', '/v1/coupons/:id', {}, (c) => engine.coupons.delete(c.params.id));
  // ---- checkout ----
  api('POST', '/v1/checkout/sessions', S.CHECKOUT_CREATE, (c) => engine.checkout.create(p(c), opts.publicUrl));
  api('GET', '/v1/checkout/sessions', S.CHECKOUT_LIST, (c) => engine.checkout.list(p(c)));
  api('GET', '/v1/checkout/sessions/:id', S.RETRIEVE, retrieve((id) => db.sessions.get(id)));
  api('GET', '/v1/checkout/sessions/:id/line_items', LIST, (c) => engine.checkout.lineItems(c.params.id, p(c)));
  api('POST', '/v1/checkout/sessions/:id/expire', S.RETRIEVE, (c) => engine.checkout.expire(c.params.id));
  // ---- subscriptions ----
  api('GET', '/v1/subscriptions', S.SUBSCRIPTION_LIST, (c) => engine.subscriptions.list(p(c)));
  api('GET', '/v1/subscriptions/:id', S.RETRIEVE, retrieve((id) => db.subscriptions.get(id)));
  api('POST', '/v1/subscriptions/:id', S.SUBSCRIPTION_UPDATE, (c) => engine.subscriptionChanges.update(c.params.id, p(c)));
  api('DELETE', '/v1/subscriptions/:id', S.SUBSCRIPTION_CANCEL, (c) => engine.subscriptions.cancel(c.params.id, p(c)));
  api('GET', '/v1/subscription_items', S.SUBSCRIPTION_ITEM_LIST, (c) => engine.subscriptions.listItems(p(c)));
  // ---- invoices and payments ----
  api('GET', '/v1/invoices', S.INVOICE_LIST, (c) => engine.invoices.list(p(c)));
  api('GET', '/v1/invoices/:id', S.RETRIEVE, retrieve((id) => db.invoices.get(id)));
  api('GET', '/v1/invoices/:id/lines', LIST, (c) => engine.invoices.lines(c.params.id, p(c)));
  api('POST', '/v1/invoices/:id/pay', S.INVOICE_PAY, (c) => engine.invoices.pay(c.params.id, p(c)));
  api('GET', '/v1/invoice_payments', S.INVOICE_PAYMENT_LIST, (c) => engine.invoices.listPayments(p(c)));
  api('GET', '/v1/invoiceitems', S.INVOICE_ITEM_LIST, (c) => engine.invoices.listItems(p(c)));
  api('GET', '/v1/payment_intents', S.PAYMENT_INTENT_LIST, (c) => engine.payments.listPaymentIntents(p(c)));
  api('GET', '/v1/payment_intents/:id', S.RETRIEVE, retrieve((id) => db.paymentIntents.get(id)));
  api('GET', '/v1/payment_methods/:id', S.RETRIEVE, retrieve((id) => db.paymentMethods.get(id)));
  api('GET', '/v1/charges', S.CHARGE_LIST, (c) => engine.payments.listCharges(p(c)));
  api('GET', '/v1/charges/:id', S.RETRIEVE, retrieve((id) => db.charges.get(id)));
  api('POST', '/v1/refunds', S.REFUND_CREATE, (c) => engine.refunds.create(p(c)));
  api('GET', '/v1/refunds', S.REFUND_LIST, (c) => engine.refunds.list(p(c)));
  api('GET', '/v1/refunds/:id', S.RETRIEVE, retrieve((id) => db.refunds.get(id)));
  // ---- billing portal, events ----
  api('POST', '/v1/billing_portal/sessions', S.PORTAL_CREATE, (c) => engine.portal.create(p(c)));
  api('GET', '/v1/events', S.EVENT_LIST, (c) => engine.events.list(p(c)));
  api('GET', '/v1/events/:id', S.RETRIEVE, retrieve((id) => db.events.get(id)));

  const handleApi = async (req: IncomingMessage, res: ServerResponse, route: ApiRoute, params: Params, url: URL): Promise<void> => {
    const requestId = `req_${stripeId('x', 14).slice(2)}`;
    const headers: Record<string, string> = { 'request-id': requestId, 'stripe-version': String(req.headers['stripe-version'] ?? opts.apiVersion) };
    const key = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : null;
    if (key) headers['idempotency-key'] = key;
    try {
      checkAuth(req);
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
      opts.logger.error({ err: e instanceof Error ? e.stack : String(e), path: url.pathname, requestId }, 'stripe-emulator: request failed');
      sendJson(res, 500, { error: { type: 'api_error', message: 'The emulator failed on this request.' } }, headers);
    }
  };

  // ---- hosted pages and controls ----
  const rawRoutes: RawRoute[] = [];
  const raw = (method: string, path: string, handler: RawHandler, auth = false): void => {
    rawRoutes.push({ method, ...compile(path), auth, handler });
  };
  const successUrlOf = (s: { id: string; success_url: string | null }): string | null => (s.success_url ? s.success_url.replace('{CHECKOUT_SESSION_ID}', s.id) : null);
  const checkoutHtml = (id: string): string | null => {
    const view = engine.checkout.view(id);
    return view ? checkoutPage(view) : null;
  };

  raw('GET', '/checkout/:id', ({ res, params }) => {
    engine.tick();
    const html = checkoutHtml(params.id);
    if (!html) return sendHtml(res, 404, messagePage('Not found', 'This checkout session does not exist.'));
    sendHtml(res, 200, html);
  });
  raw('POST', '/checkout/:id/pay', async ({ res, params, body }) => {
    await body();
    if (!db.sessions.has(params.id)) return sendHtml(res, 404, messagePage('Not found', 'This checkout session does not exist.'));
    try {
      const s = engine.run(null, () => engine.payCheckout(params.id), CHECKOUT_ORDER);
      const next = successUrlOf(s);
      if (next) return redirect(res, next);
      sendHtml(res, 200, messagePage('Thanks', 'Your payment is complete.', 'ok'));
    } catch (e) {
      if (!(e instanceof StripeApiError)) throw e;
      sendHtml(res, 410, checkoutHtml(params.id) ?? messagePage('Checkout', e.message));
    }
  });
  raw('POST', '/checkout/:id/decline', async ({ res, params, body }) => {
    await body();
    if (!db.sessions.has(params.id)) return sendHtml(res, 404, messagePage('Not found', 'This checkout session does not exist.'));
    try {
      engine.run(null, () => engine.declineCheckout(params.id));
      sendHtml(res, 402, checkoutHtml(params.id)!);
    } catch (e) {
      if (!(e instanceof StripeApiError)) throw e;
      sendHtml(res, 410, checkoutHtml(params.id) ?? messagePage('Checkout', e.message));
    }
  });
  raw('GET', '/p/session/:id', ({ res, params }) => {
    const view = engine.portal.view(params.id);
    if (!view) return sendHtml(res, 404, messagePage('Not found', 'This billing portal session does not exist.'));
    sendHtml(res, 200, portalPage(view, (id) => engine.products.nameOf(id)));
  });
  raw('POST', '/p/session/:id/subscriptions/:sub/:action', async ({ res, params, body }) => {
    await body();
    const view = engine.portal.view(params.id);
    const sub = view?.subscriptions.find((s) => s.id === params.sub);
    if (!view || !sub || (params.action !== 'cancel' && params.action !== 'renew')) return sendHtml(res, 404, messagePage('Not found', 'Nothing to do here.'));
    // The portal's default: cancel at the end of the period, and undo that.
    engine.run(null, () => engine.subscriptionChanges.update(sub.id, { cancel_at_period_end: params.action === 'cancel' }));
    redirect(res, `/p/session/${params.id}`);
  });
  raw('GET', '/invoice/:id', ({ res, params }) => {
    const inv = db.invoices.find(params.id);
    sendHtml(res, inv ? 200 : 404, inv ? invoicePage(inv) : messagePage('Not found', 'No such invoice.'));
  });
  raw('GET', '/invoice/:id/pdf', ({ res, params }) => {
    const inv = db.invoices.find(params.id);
    sendHtml(res, inv ? 200 : 404, inv ? invoicePage(inv) : messagePage('Not found', 'No such invoice.'));
  });
  raw('GET', '/receipts/:id', ({ res, params }) => {
    const ch = db.charges.find(params.id);
    sendHtml(res, ch ? 200 : 404, ch ? receiptPage(ch) : messagePage('Not found', 'No such receipt.'));
  });

  const str = (v: unknown, name: string): string => {
    if (typeof v !== 'string' || v === '') throw invalidRequest(`${name} must be a non-empty string`, name);
    return v;
  };
  raw('GET', '/_emulator/health', ({ res }) => sendJson(res, 200, { ok: true, now: engine.now(), apiVersion: opts.apiVersion }));
  raw('GET', '/_emulator/clock', ({ res }) => sendJson(res, 200, { now: engine.now() }), true);
  raw(
    'POST',
    '/_emulator/clock/advance',
    async ({ res, body }) => {
      const b = jsonObject(await body());
      if (typeof b.seconds !== 'number') throw invalidRequest('seconds must be a number', 'seconds');
      sendJson(res, 200, { now: engine.advanceClock(b.seconds) });
    },
    true,
  );
  raw(
    'POST',
    '/_emulator/checkout/:id/pay',
    async ({ res, params, body }) => {
      await body();
      sendJson(res, 200, { data: engine.run(null, () => engine.payCheckout(params.id), CHECKOUT_ORDER) });
    },
    true,
  );
  raw(
    'POST',
    '/_emulator/checkout/:id/decline',
    async ({ res, params, body }) => {
      await body();
      sendJson(res, 200, { data: engine.run(null, () => engine.declineCheckout(params.id)) });
    },
    true,
  );
  raw(
    'POST',
    '/_emulator/payments/fail',
    async ({ res, body }) => {
      const b = jsonObject(await body());
      const count = b.count === undefined ? 1 : b.count;
      if (typeof count !== 'number') throw invalidRequest('count must be a number', 'count');
      engine.failNextPayments(str(b.target, 'target'), count);
      sendJson(res, 200, { ok: true });
    },
    true,
  );
  raw(
    'POST',
    '/_emulator/payments/recover',
    async ({ res, body }) => {
      const b = jsonObject(await body());
      const paid = engine.run(null, () => engine.recoverPayments(str(b.target, 'target'), b.retryNow === true));
      sendJson(res, 200, { data: paid });
    },
    true,
  );
  raw('GET', '/_emulator/deliveries', ({ res }) => sendJson(res, 200, { data: engine.dispatcher.snapshot() }), true);
  raw(
    'POST',
    '/_emulator/deliveries/:id/redeliver',
    async ({ res, params, body }) => {
      await body();
      if (!engine.dispatcher.snapshot().some((d) => d.id === params.id)) throw new StripeApiError(404, { type: 'invalid_request_error', message: `No such delivery: '${params.id}'` });
      sendJson(res, 200, { data: await engine.dispatcher.redeliver(params.id) });
    },
    true,
  );
  raw(
    'POST',
    '/_emulator/deliveries/hold',
    async ({ res, body }) => {
      await body();
      engine.dispatcher.hold();
      sendJson(res, 200, { holding: true });
    },
    true,
  );
  raw(
    'POST',
    '/_emulator/deliveries/release',
    async ({ res, body }) => {
      const b = jsonObject(await body());
      const order = (b.order ?? 'asis') as ReleaseOrder;
      if (!['asis', 'reverse', 'shuffle'].includes(order)) throw invalidRequest('order must be one of asis, reverse, shuffle', 'order');
      sendJson(res, 200, { data: await engine.dispatcher.release(order) });
    },
    true,
  );
  raw(
    'POST',
    '/_emulator/deliver',
    async ({ res, body }) => {
      const b = jsonObject(await body());
      if (typeof b.event !== 'string' && (typeof b.event !== 'object' || b.event === null)) throw invalidRequest('event must be a JSON object or a string', 'event');
      const sig = (b.signature ?? 'valid') as SignatureMode;
      if (typeof sig === 'string' && !['valid', 'forged', 'stale', 'missing'].includes(sig)) throw invalidRequest('signature must be valid, forged, stale, missing or {header}', 'signature');
      sendJson(res, 200, { data: await engine.deliverRaw(b.event as string | object, sig) });
    },
    true,
  );
  raw(
    'POST',
    '/_emulator/idle',
    async ({ res, body }) => {
      await body();
      await engine.dispatcher.idle();
      sendJson(res, 200, { ok: true });
    },
    true,
  );
  raw(
    'POST',
    '/_emulator/webhook-url',
    async ({ res, body }) => {
      const b = jsonObject(await body());
      if (b.url !== null && typeof b.url !== 'string') throw invalidRequest('url must be a string or null', 'url');
      engine.setWebhookUrl((b.url as string | null) ?? undefined);
      sendJson(res, 200, { url: b.url ?? null });
    },
    true,
  );

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/v1/')) {
      const matching = apiRoutes.map((r) => ({ r, m: r.pattern.exec(url.pathname) })).filter((x) => x.m);
      const hit = matching.find((x) => x.r.method === method);
      if (!hit) {
        const e = unrecognizedUrl(method, url.pathname);
        return sendJson(res, e.status, e.toJSON());
      }
      const params: Params = {};
      hit.r.keys.forEach((k, i) => (params[k] = decodeURIComponent(hit.m![i + 1])));
      void handleApi(req, res, hit.r, params, url);
      return;
    }
    const matching = rawRoutes.map((r) => ({ r, m: r.pattern.exec(url.pathname) })).filter((x) => x.m);
    const hit = matching.find((x) => x.r.method === method);
    if (!hit) return sendJson(res, matching.length > 0 ? 405 : 404, { error: { type: 'invalid_request_error', message: `No route for ${method} ${url.pathname}.` } });
    const params: Params = {};
    hit.r.keys.forEach((k, i) => (params[k] = decodeURIComponent(hit.m![i + 1])));
    Promise.resolve()
      .then(() => {
        if (hit.r.auth) checkAuth(req);
        return hit.r.handler({ req, res, params, body: () => readBody(req) });
      })
      .catch((e: unknown) => {
        if (res.headersSent) return;
        if (e instanceof StripeApiError) return sendJson(res, e.status, e.toJSON());
        opts.logger.error({ err: e instanceof Error ? e.stack : String(e), path: url.pathname }, 'stripe-emulator: request failed');
        sendJson(res, 500, { error: { type: 'api_error', message: 'The emulator failed on this request.' } });
      });
  };
}
