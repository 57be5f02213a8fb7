import { checkUserId, requireAdmin, requireUser, type Principal } from '@flix/auth';
import { pageOf, type BillingDeps, type Page, type PageRequest } from './common.js';
import type { PaymentRecord } from './model.js';

/** Receipts, newest first. The Stripe webhooks write them; here they are only read. */
export class Payments {
  constructor(private readonly deps: Pick<BillingDeps, 'store'>) {}

  /** The caller's receipts. */
  async list(principal: Principal | undefined, page: PageRequest): Promise<Page<PaymentRecord>> {
    return this.paymentsOf(requireUser(principal).subject, page);
  }

  /** Admin: another account's receipts. */
  async ofUser(principal: Principal | undefined, userId: string, page: PageRequest): Promise<Page<PaymentRecord>> {
    requireAdmin(principal);
    return this.paymentsOf(checkUserId(userId), page);
  }

  private async paymentsOf(userId: string, page: PageRequest): Promise<Page<PaymentRecord>> {
    return pageOf(await this.deps.store.listPayments(userId, { size: page.size + 1, after: page.after }), page.size);
  }
}
