import { DomainError, notFound, Violations } from '@flix/errors';
import { requireUser, type Principal } from '@flix/auth';
import type { IdentityEvent } from './events.js';
import type { RequestMeta, UserRecord } from './model.js';
import type { Clock, UserRepository } from './ports.js';

/** What the person types to confirm: deletion cannot be undone. */
export const DELETE_CONFIRMATION = 'DELETE MY ACCOUNT';

/**
 * Checks the account's password, throttled like sign-in (guessing it here is as slow as through
 * Login); a wrong one is INVALID_ARGUMENT (WRONG_PASSWORD) naming currentPassword.
 */
export type PasswordCheck = (user: UserRecord, password: string, meta: RequestMeta) => Promise<void>;

/** Storage for closing an account (storage/account-erasure.ts). */
export interface AccountErasure {
  /**
   * In one transaction: removes the account (compare-and-set on its version), every refresh
   * token and every other record identity keeps about it, writes the tombstone (a pseudonym of
   * the id, no e-mail) and the events. Throws CONCURRENT_MODIFICATION when the account changed.
   */
  erase(user: UserRecord, at: Date, events: IdentityEvent[]): Promise<void>;
  /** When the account was deleted, from its tombstone; null when it never was (or long ago). */
  erasedAt(userId: string): Promise<Date | null>;
}

/**
 * Closing an account. The account is gone the moment the transaction commits: its refresh
 * tokens with it, its access tokens refused by identity at once and by every other service
 * once it has processed identity.user.deleted (emitted through the outbox in that transaction),
 * which is also what makes every service erase or anonymise what it holds.
 */
export class AccountDeletion {
  constructor(private readonly deps: { users: UserRepository; checkPassword: PasswordCheck; erasure: AccountErasure; clock: Clock }) {}

  async delete(principal: Principal | undefined, input: { currentPassword: string; confirmation: string }, meta: RequestMeta): Promise<{ deletedAt: Date }> {
    const p = requireUser(principal);
    const v = new Violations();
    if (input.currentPassword === '') v.add('currentPassword', 'is required');
    if (input.confirmation !== DELETE_CONFIRMATION) v.add('confirmation', `must be exactly "${DELETE_CONFIRMATION}"`);
    v.throwIfAny();
    for (let attempt = 0; ; attempt++) {
      const user = await this.deps.users.findById(p.subject);
      if (!user) {
        // A repeat (a retry whose first answer was lost) with a token issued before the deletion:
        // the same answer. The password cannot be checked any more, and needs no checking: the
        // token proves who asks, and there is nothing left to delete.
        const deletedAt = await this.deps.erasure.erasedAt(p.subject);
        if (deletedAt) return { deletedAt };
        throw notFound('user', p.subject);
      }
      // Once: a retry after a lost race must not count as another guess.
      if (attempt === 0) await this.deps.checkPassword(user, input.currentPassword, meta);
      const deletedAt = this.deps.clock.now();
      try {
        await this.deps.erasure.erase(user, deletedAt, [
          { subject: 'identity.user.deleted', payload: { userId: user.id, email: user.email, displayName: user.displayName } },
        ]);
        return { deletedAt };
      } catch (e) {
        if (!(e instanceof DomainError && e.reason === 'CONCURRENT_MODIFICATION') || attempt >= 3) throw e;
      }
    }
  }
}
