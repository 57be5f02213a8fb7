/**
 * The code a TV shows (RFC 8628 user_code), as the viewer types it: letters only in identity's
 * alphabet, shown as XXXX-XXXX. Case, spaces and the dash do not matter.
 */
export const USER_CODE_LENGTH = 8;

/** What the person typed, normalised for display as they type: upper case, the dash after four. */
export function formatUserCode(input: string): string {
  const chars = input.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, USER_CODE_LENGTH);
  return chars.length > 4 ? `${chars.slice(0, 4)}-${chars.slice(4)}` : chars;
}

/** True once the code has all its characters. */
export const isCompleteUserCode = (formatted: string): boolean => formatted.replace(/-/g, '').length === USER_CODE_LENGTH;
