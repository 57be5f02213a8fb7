import { useEffect, type RefObject } from 'react';
import { ApiError } from '../api/errors';

/**
 * The API's message for a field, from the google.rpc.BadRequest violations of a failed call.
 * Services name fields in camelCase (`newPassword`) or as in the proto (`new_password`); both match.
 */
export function fieldErrorOf(err: unknown, field: string): string | undefined {
  if (!(err instanceof ApiError)) return undefined;
  const snake = field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return err.fieldError(field) ?? (snake !== field ? err.fieldError(snake) : undefined);
}

/** True when a failed call's violations name none of the form's fields: it needs a banner instead. */
export function needsBanner(err: unknown, fields: string[]): boolean {
  if (!err) return false;
  return !fields.some((f) => fieldErrorOf(err, f));
}

/**
 * After a refused submit, focus goes to the first field marked invalid, or to the form's alert:
 * a keyboard or screen-reader user lands on what to fix instead of staying on the button.
 */
export function useFocusFirstError(container: RefObject<HTMLElement | null>, error: unknown): void {
  useEffect(() => {
    if (!error || !container.current) return;
    const target = container.current.querySelector<HTMLElement>('[aria-invalid="true"], [role="alert"]');
    if (!target) return;
    if (target.getAttribute('role') === 'alert' && !target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
    target.focus();
  }, [container, error]);
}
