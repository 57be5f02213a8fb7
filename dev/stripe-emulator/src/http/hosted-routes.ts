/** The hosted pages: checkout (Pay/Decline form posts), the billing portal, invoices and receipts. */
import { CHECKOUT_ORDER, type StripeEngine } from '../engine.js';
import { StripeApiError } from '../errors.js';
import { checkoutPage, invoicePage, messagePage, portalPage, receiptPage } from '../pages.js';
import type { Router } from '@flix/emulator-kit';
import { rawRouteAdder, redirect, sendHtml, type RawRoute } from './io.js';

/** Adds the hosted pages' routes to `router`. */
export function hostedRoutes(router: Router<RawRoute>, engine: StripeEngine): void {
  const raw = rawRouteAdder(router);
  const { db } = engine;
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
}
