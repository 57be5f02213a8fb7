import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// Mozilla's list of the 50,000 most common passwords (from breach corpora).
const commonPasswords = require('fxa-common-password-list') as { test(password: string): boolean };

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 128;

/** NIST 800-63B style: length and a blocklist, no composition rules. Returns the problem or null. */
export function passwordProblem(password: string, email: string): string | null {
  const length = [...password].length;
  if (length === 0) return 'is required';
  if (length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (commonPasswords.test(lower)) return 'is too common; choose a less guessable password';
  const local = email.split('@')[0] ?? '';
  if (local.length >= 4 && lower.includes(local)) return 'must not contain your e-mail address';
  if (/^(.)\1+$/.test(password)) return 'must not be one repeated character';
  return null;
}
