/** Secret-key auth as Stripe does it: Bearer (or Basic with the key as user name), test-mode keys only. */
import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { StripeApiError } from '../errors.js';

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

/** Checks a request's key: the configured one when there is one, else any test-mode key; throws Stripe's 401. */
export function keyChecker(apiKey: string | undefined): (req: IncomingMessage) => void {
  const expected = apiKey ? Buffer.from(apiKey) : null;
  return (req) => {
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
}
