import type { BillingServiceService } from '@flix/proto/flix/billing/v1/billing_service';
import { DomainError } from '@flix/errors';
import type { ServiceHandlers } from '@flix/grpc';
import { decodePageToken, encodePageToken, pageSize } from '@flix/mongo';
import type { Billing } from '../domain/billing.js';
import { decisionToProto, entitlementToProto, offerToProto, paymentToProto, planInputFromProto, planMask, planToProto, rentalToProto, subscriptionToProto, tierFromProto } from './mappers.js';

const position = (token: string): { t: number; id: string } | undefined => {
  const p = decodePageToken(token);
  if (!p) return undefined;
  if (typeof p.t !== 'number' || typeof p.id !== 'string')
    throw new DomainError('invalid_argument', 'INVALID_PAGE_TOKEN', 'pageToken: not a token this API returned', [{ field: 'pageToken', description: 'not a token this API returned' }]);
  return { t: p.t, id: p.id };
};

/** The gRPC face of billing: translate messages, call the domain, translate back. */
export function billingHandlers(billing: Billing): ServiceHandlers<typeof BillingServiceService> {
  const grace = billing.settings.graceDays;
  const privileged = (roles: string[] | undefined) => !!roles?.includes('admin');
  return {
    async listPlans(req, ctx) {
      const all = await billing.plans.list(ctx.principal, req.includeInactive);
      const size = pageSize(req.pageSize, 50, 100);
      const start = Number(decodePageToken(req.pageToken)?.o ?? 0);
      const page = all.slice(start, start + size);
      const opts = { privileged: privileged(ctx.principal?.roles) };
      return { plans: page.map((p) => planToProto(p, opts)), nextPageToken: start + size < all.length ? encodePageToken({ o: start + size }) : '' };
    },
    async createPlan(req, ctx) {
      return planToProto(await billing.plans.create(ctx.principal, planInputFromProto(req.plan)), { privileged: true });
    },
    async updatePlan(req, ctx) {
      const mask = planMask(req.updateMask, req.plan);
      if (mask.unknown.length > 0)
        throw new DomainError('invalid_argument', 'INVALID_ARGUMENT', `updateMask: unknown field(s) ${mask.unknown.join(', ')}`, [{ field: 'updateMask', description: `unknown field(s) ${mask.unknown.join(', ')}` }]);
      return planToProto(await billing.plans.update(ctx.principal, req.plan?.id ?? '', planInputFromProto(req.plan), mask.fields), { privileged: true });
    },
    async deactivatePlan(req, ctx) {
      return planToProto(await billing.plans.deactivate(ctx.principal, req.planId), { privileged: true });
    },
    async createCheckoutSession(req, ctx) {
      const r = await billing.subscriptions.checkout(ctx.principal, { planId: req.planId, successUrl: req.successUrl, cancelUrl: req.cancelUrl });
      return { sessionId: r.sessionId, url: r.url, expireTime: r.expiresAt, appliedOffer: r.offer ? offerToProto(r.offer) : undefined, firstPeriodPrice: r.firstPeriodPrice };
    },
    async getSubscription(_req, ctx) {
      return subscriptionToProto(await billing.subscriptions.current(ctx.principal), grace);
    },
    async getUserSubscription(req, ctx) {
      return subscriptionToProto(await billing.subscriptions.ofUser(ctx.principal, req.userId), grace);
    },
    async listUserPayments(req, ctx) {
      const page = await billing.payments.ofUser(ctx.principal, req.userId, { size: pageSize(req.pageSize, 20, 100), after: position(req.pageToken) });
      return { payments: page.items.map(paymentToProto), nextPageToken: page.next ? encodePageToken(page.next) : '' };
    },
    async cancelSubscription(_req, ctx) {
      return subscriptionToProto(await billing.subscriptions.cancel(ctx.principal), grace);
    },
    async resumeSubscription(_req, ctx) {
      return subscriptionToProto(await billing.subscriptions.resume(ctx.principal), grace);
    },
    async changePlan(req, ctx) {
      return subscriptionToProto(await billing.subscriptions.changePlan(ctx.principal, req.planId), grace);
    },
    async createPortalSession(req, ctx) {
      return { url: await billing.customers.portal(ctx.principal, req.returnUrl) };
    },
    async listPayments(req, ctx) {
      const page = await billing.payments.list(ctx.principal, { size: pageSize(req.pageSize, 20, 100), after: position(req.pageToken) });
      return { payments: page.items.map(paymentToProto), nextPageToken: page.next ? encodePageToken(page.next) : '' };
    },
    async createRental(req, ctx) {
      const r = await billing.rentals.rent(ctx.principal, { movieId: req.movieId, successUrl: req.successUrl, cancelUrl: req.cancelUrl });
      return { rental: rentalToProto(r.rental), sessionId: r.sessionId, url: r.url };
    },
    async listRentals(req, ctx) {
      const page = await billing.rentals.list(ctx.principal, { size: pageSize(req.pageSize, 20, 100), after: position(req.pageToken) });
      return { rentals: page.items.map((r) => rentalToProto(billing.rentals.view(r))), nextPageToken: page.next ? encodePageToken(page.next) : '' };
    },
    async returnRental(req, ctx) {
      return rentalToProto(await billing.rentals.return(ctx.principal, req.rentalId));
    },
    async listOffers(_req, ctx) {
      return { offers: (await billing.offers.list(ctx.principal)).map(offerToProto) };
    },
    async checkEntitlement(req, ctx) {
      const d = await billing.entitlements.check(ctx.principal, {
        userId: req.userId,
        movieId: req.movieId,
        requiredTier: tierFromProto(req.requiredTier),
        startingPlayback: req.startingPlayback,
      });
      return decisionToProto(d);
    },
    async getEntitlement(req, ctx) {
      return entitlementToProto(await billing.entitlements.get(ctx.principal, req.movieId));
    },
  };
}
