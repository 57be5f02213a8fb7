/** Stripe's v1 API as the emulator serves it: one line per endpoint, with the params schema it accepts. */
import { Router, type RouteParams } from '@flix/emulator-kit';
import type { StripeEngine } from '../engine.js';
import { LIST, type ParamObject, type Schema } from '../params.js';
import * as S from '../schemas.js';

export interface ApiCtx {
  params: RouteParams;
  /** The validated, coerced request params. */
  p: ParamObject;
}
/** An API handler returns the object to send (expanded afterwards per `expand[]`). */
export type ApiHandler = (ctx: ApiCtx) => object;

export interface ApiRoute {
  schema: Schema;
  handler: ApiHandler;
  /** Event order for the operation's batch, when it is not simply the order things happened. */
  order?: readonly string[];
}

export function apiRoutes(engine: StripeEngine, publicUrl: string): Router<ApiRoute> {
  const routes = new Router<ApiRoute>();
  const api = (method: string, path: string, schema: Schema, handler: ApiHandler, order?: readonly string[]): void => {
    routes.add(method, path, { schema, handler, order });
  };
  // The schema checked the params; the handler's parameter type says what they are.
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
  api('POST', '/v1/checkout/sessions', S.CHECKOUT_CREATE, (c) => engine.checkout.create(p(c), publicUrl));
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

  return routes;
}
