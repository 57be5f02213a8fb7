import type { BillingEvent } from './events.js';
import type {
  CheckoutRecord,
  CustomerRecord,
  EntitlementRecord,
  Money,
  OfferRecord,
  PaymentRecord,
  PlanRecord,
  RentalRecord,
  SubscriptionRecord,
  Tier,
} from './model.js';
import type { StripeEvent, SubscriptionSnapshot } from './stripe-events.js';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** What billing asks of Stripe (implemented by src/stripe over the real SDK). */
export interface PaymentProvider {
  createCustomer(input: { userId: string; email: string }, idempotencyKey: string): Promise<string>;
  updateCustomerEmail(customerId: string, email: string): Promise<void>;
  /** Deletes the customer (Stripe cancels its subscriptions at once); a customer already gone is not an error. */
  deleteCustomer(customerId: string): Promise<void>;
  /** A product and a recurring price for the plan; returns their ids. */
  createPlanPrice(plan: PlanRecord, idempotencyKey: string, existingProductId?: string): Promise<{ productId: string; priceId: string }>;
  createCoupon(offer: OfferRecord): Promise<string>;
  createSubscriptionCheckout(
    input: { customerId: string; userId: string; plan: PlanRecord; successUrl: string; cancelUrl: string; couponId: string; offerId: string },
    idempotencyKey: string,
  ): Promise<{ sessionId: string; url: string; expiresAt: Date }>;
  createPaymentCheckout(
    input: { customerId: string; userId: string; rentalId: string; movieId: string; title: string; price: Money; successUrl: string; cancelUrl: string },
    idempotencyKey: string,
  ): Promise<{ sessionId: string; url: string; expiresAt: Date }>;
  expireCheckout(sessionId: string): Promise<void>;
  retrieveSubscription(subscriptionId: string): Promise<SubscriptionSnapshot>;
  /**
   * The payment that paid an invoice (webhook invoices carry no `payments` list: Stripe includes
   * it only when expanded). Empty strings when the invoice has no paid payment.
   */
  retrieveInvoicePayment(invoiceId: string): Promise<{ paymentIntentId: string; chargeId: string }>;
  /** The invoice a payment intent paid ('' when none: `charge.invoice` is gone since 2026-10-28). */
  findInvoiceForPaymentIntent(paymentIntentId: string): Promise<string>;
  setCancelAtPeriodEnd(subscriptionId: string, cancel: boolean): Promise<SubscriptionSnapshot>;
  /** Swaps the price of the subscription's item, prorated. */
  changePrice(subscriptionId: string, itemId: string, priceId: string): Promise<SubscriptionSnapshot>;
  createPortalSession(customerId: string, returnUrl: string): Promise<string>;
  /** Verifies the Stripe-Signature header over the raw body; throws a signature error when bad. */
  verifyWebhook(rawBody: string, signatureHeader: string | undefined): StripeEvent;
  /** Parses a stored (already verified) raw event. */
  parseEvent(rawBody: string): StripeEvent;
}

/** What billing asks of the catalog. */
export interface MovieDirectory {
  /** null when the title does not exist (or is not visible). */
  get(movieId: string): Promise<{ id: string; title: string; requiredTier: Tier | null; rentalPrice: Money | null } | null>;
}

/** One transaction's view of billing's state; every write joins the transaction, events go to the outbox. */
export interface BillingTx {
  findSubscription(id: string): Promise<SubscriptionRecord | null>;
  subscriptionsOf(userId: string): Promise<SubscriptionRecord[]>;
  /** Compare-and-set on `version` (0: insert); stores version + 1. */
  saveSubscription(rec: SubscriptionRecord): Promise<SubscriptionRecord>;
  findRental(id: string): Promise<RentalRecord | null>;
  /** Pending and active rentals, and those that ended recently. */
  rentalsOf(userId: string): Promise<RentalRecord[]>;
  saveRental(rec: RentalRecord): Promise<RentalRecord>;
  findPayment(id: string): Promise<PaymentRecord | null>;
  findPaymentByCharge(q: { paymentIntentId: string; chargeId: string; invoiceId: string }): Promise<PaymentRecord | null>;
  savePayment(rec: PaymentRecord): Promise<void>;
  findCheckout(id: string): Promise<CheckoutRecord | null>;
  /** Throws DuplicateRecordError (out of the transaction) when the slot is taken: a concurrent request won. */
  insertCheckout(rec: CheckoutRecord): Promise<void>;
  updateCheckout(id: string, patch: Partial<Pick<CheckoutRecord, 'status' | 'completedAt'>>): Promise<void>;
  redeemOffer(offerId: string, at: Date): Promise<void>;
  /** Throws DuplicateRecordError when it already exists. */
  insertOffer(offer: OfferRecord): Promise<void>;
  /** Throws DuplicateRecordError when the account already has a customer. */
  insertCustomer(rec: CustomerRecord): Promise<void>;
  /** Stores a verified Stripe event; throws DuplicateRecordError when its id is already stored. */
  insertStripeEvent(e: { id: string; type: string; created: Date; raw: string; receivedAt: Date }): Promise<void>;
  markStripeEvent(id: string, outcome: string, at: Date): Promise<void>;
  saveEntitlement(rec: EntitlementRecord): Promise<void>;
  emit(events: BillingEvent[]): Promise<void>;
}

/**
 * A unique key was already taken. Thrown out of `transact` (a duplicate aborts the whole
 * transaction, as in MongoDB), so callers catch it around the transaction, never inside it.
 */
export class DuplicateRecordError extends Error {
  override readonly name = 'DuplicateRecordError';
}

export interface BillingStore {
  transact<T>(fn: (tx: BillingTx) => Promise<T>): Promise<T>;
  plans(includeInactive: boolean): Promise<PlanRecord[]>;
  plan(id: string): Promise<PlanRecord | null>;
  planByPrice(priceId: string): Promise<PlanRecord | null>;
  insertPlan(plan: PlanRecord): Promise<boolean>;
  /** Compare-and-set on version. */
  replacePlan(plan: PlanRecord, expectedVersion: number): Promise<PlanRecord>;
  customer(userId: string): Promise<CustomerRecord | null>;
  customerByStripeId(customerId: string): Promise<CustomerRecord | null>;
  entitlement(userId: string): Promise<EntitlementRecord | null>;
  currentSubscription(userId: string): Promise<SubscriptionRecord | null>;
  openCheckouts(userId: string, kind: CheckoutRecord['kind']): Promise<CheckoutRecord[]>;
  /** Checkouts under this slot prefix that are completed, expired or past their expiry. */
  countSettledCheckouts(slotPrefix: string, now: Date): Promise<number>;
  checkoutBySlot(slot: string): Promise<CheckoutRecord | null>;
  checkoutsOfUser(userId: string, kind: CheckoutRecord['kind']): Promise<CheckoutRecord[]>;
  rental(id: string): Promise<RentalRecord | null>;
  listRentals(userId: string, page: { size: number; after?: { t: number; id: string } }): Promise<RentalRecord[]>;
  listPayments(userId: string, page: { size: number; after?: { t: number; id: string } }): Promise<PaymentRecord[]>;
  offersOf(userId: string): Promise<OfferRecord[]>;
  setOfferCoupon(offerId: string, couponId: string): Promise<void>;
  stripeEvent(id: string): Promise<{ id: string; raw: string; outcome: string } | null>;
  /** Active rentals whose end has passed. */
  rentalsEndedBy(now: Date, limit: number): Promise<RentalRecord[]>;
}
