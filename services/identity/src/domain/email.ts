import { invalidArgument } from '@flix/errors';

// Pragmatic shape check (RFC 5322 is far looser); the real proof is the confirmation mail.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/** Trims and lower-cases; rejects what cannot be an address. */
export function normaliseEmail(raw: string, field = 'email'): string {
  const email = raw.trim().toLowerCase();
  if (email === '') throw invalidArgument(field, 'is required');
  if (email.length > 254 || !EMAIL_SHAPE.test(email)) throw invalidArgument(field, 'is not a valid e-mail address');
  return email;
}
