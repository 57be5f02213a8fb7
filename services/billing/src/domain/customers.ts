import { requireUser, type Principal } from '@flix/auth';
import { DomainError, Violations } from '@flix/errors';
import { checkUrl, insertOnce, type BillingDeps } from './common.js';

/** Each account's Stripe customer, and the Stripe portal where the customer manages payment details. */
export class Customers {
  constructor(private readonly deps: Pick<BillingDeps, 'store' | 'stripe' | 'clock' | 'settings'>) {}

  /**
   * The account's Stripe customer, created once: the unique index on the user decides between
   * racing callers, and the Stripe idempotency key makes a retried create return the same customer.
   */
  async ensure(userId: string, email: string): Promise<string> {
    const { store, stripe } = this.deps;
    const existing = await store.customer(userId);
    if (existing) {
      if (email && existing.email !== email) await stripe.updateCustomerEmail(existing.stripeCustomerId, email);
      return existing.stripeCustomerId;
    }
    const customerId = await stripe.createCustomer({ userId, email }, email ? `flix-customer-${userId}` : `flix-customer-${userId}-lazy`);
    const inserted = await insertOnce(
      store,
      (tx) => tx.insertCustomer({ userId, stripeCustomerId: customerId, email, createdAt: this.deps.clock.now() }),
      [{ subject: 'billing.customer.created', userId, customerId }],
    );
    if (inserted) return customerId;
    return (await store.customer(userId))!.stripeCustomerId;
  }

  /** A Stripe billing-portal session for the caller's customer; its URL is where the caller goes. */
  async portal(principal: Principal | undefined, returnUrl: string): Promise<string> {
    const user = requireUser(principal);
    const v = new Violations();
    checkUrl(v, 'returnUrl', returnUrl);
    v.throwIfAny();
    const customer = await this.deps.store.customer(user.subject);
    if (!customer) throw new DomainError('failed_precondition', 'NO_BILLING_ACCOUNT', 'this account has no billing history yet');
    return this.deps.stripe.createPortalSession(customer.stripeCustomerId, returnUrl || this.deps.settings.defaultReturnUrl);
  }
}
