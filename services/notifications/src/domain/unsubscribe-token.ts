import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from '@flix/errors';
import { isOptionalCategory, type OptionalCategory } from './model.js';

/**
 * One-click unsubscribe tokens: `<userId>.<category>.<HMAC-SHA256(secret, userId.category)>`,
 * base64url. Anyone holding the e-mail can turn that one category off for that one account, and
 * nothing else — no login needed (RFC 8058), nothing to guess, no state to store. The tokens do
 * not expire: an unsubscribe link in an old e-mail must keep working.
 */
export class UnsubscribeTokens {
  constructor(private readonly secret: string) {
    if (secret.length < 32) throw new Error('the unsubscribe secret must be at least 32 characters');
  }

  issue(userId: string, category: OptionalCategory): string {
    const body = `${userId}.${category}`;
    return Buffer.from(`${body}.${this.mac(body)}`).toString('base64url');
  }

  /** The account and category a token names; a token this service did not sign is refused. */
  verify(token: string): { userId: string; category: OptionalCategory } {
    const invalid = () => new DomainError('invalid_argument', 'INVALID_UNSUBSCRIBE_TOKEN', 'token: not an unsubscribe link this service sent', [{ field: 'token', description: 'not an unsubscribe link this service sent' }]);
    if (!token || token.length > 512 || !/^[A-Za-z0-9_-]+$/.test(token)) throw invalid();
    const parts = Buffer.from(token, 'base64url').toString('utf8').split('.');
    if (parts.length !== 3) throw invalid();
    const [userId, category, mac] = parts as [string, string, string];
    const expected = Buffer.from(this.mac(`${userId}.${category}`));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected) || !isOptionalCategory(category)) throw invalid();
    return { userId, category };
  }

  private mac(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}
