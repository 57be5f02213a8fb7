/** `/_emulator/…`: JSON controls for tests and operators in another process (the clock, payments, webhooks). */
import { CHECKOUT_ORDER, type StripeEngine } from '../engine.js';
import { invalidRequest, StripeApiError } from '../errors.js';
import type { ReleaseOrder, SignatureMode } from '../webhooks.js';
import type { Router } from '@flix/emulator-kit';
import { jsonObject, rawRouteAdder, sendJson, type RawRoute } from './io.js';

/** Adds the control routes to `router`. */
export function controlRoutes(router: Router<RawRoute>, engine: StripeEngine, apiVersion: string): void {
  const raw = rawRouteAdder(router);
  const str = (v: unknown, name: string): string => {
    if (typeof v !== 'string' || v === '') throw invalidRequest(`${name} must be a non-empty string`, name);
    return v;
  };
  raw('GET', '/_emulator/health', ({ res }) => sendJson(res, 200, { ok: true, now: engine.now(), apiVersion }));
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
}
