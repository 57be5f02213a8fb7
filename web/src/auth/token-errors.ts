import { ApiError, Code } from '../api/errors';
import { fieldErrorOf } from '../ui/form-errors';

/**
 * Whether a refusal is about the link's token (expired, already used, unknown or mangled) rather
 * than what the person typed: such a link cannot work again, the page offers a new one instead.
 */
export function isTokenRefusal(err: unknown): boolean {
  if (!(err instanceof ApiError)) return false;
  if (fieldErrorOf(err, 'token')) return true;
  if (err.reason && /TOKEN/.test(err.reason)) return true;
  const otherFields = err.fieldViolations.length > 0;
  return !otherFields && (err.code === Code.FAILED_PRECONDITION || err.code === Code.NOT_FOUND || err.code === Code.UNAUTHENTICATED || err.code === Code.PERMISSION_DENIED);
}
