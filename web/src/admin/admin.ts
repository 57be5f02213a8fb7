/**
 * Flix Studio's server state: query keys and the words an operator reads for identity's and
 * billing's enums. Everything the console shows comes from TanStack Query over the typed client.
 */
import { Role } from '../api/gen/flix/identity/v1/resources';

export const adminKeys = {
  all: ['admin'] as const,
  users: (emailPrefix: string) => ['admin', 'users', emailPrefix] as const,
  usersAll: ['admin', 'users'] as const,
  plans: ['admin', 'plans'] as const,
};

/** The roles an operator can grant, in the order the checkboxes show them. */
export const ROLE_OPTIONS: { role: Role; label: string; hint: string }[] = [
  { role: Role.ROLE_VIEWER, label: 'Viewer', hint: 'Watches, rates and subscribes.' },
  { role: Role.ROLE_ADMIN, label: 'Admin', hint: 'Uses Flix Studio: titles, reviews, users, plans.' },
];

export const roleLabel = (role: Role | string): string => ROLE_OPTIONS.find((o) => o.role === role)?.label ?? String(role).replace(/^ROLE_/, '').toLowerCase();

/** Minor units per major unit of a currency (2 for USD, 0 for JPY); 2 when the code is unknown. */
export function currencyDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** "9.99" in USD → "999" (int64 travels as a string); undefined when it is not an amount. */
export function toMinorUnits(amount: string, currency: string): string | undefined {
  const text = amount.trim().replace(',', '.');
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
  const digits = currencyDigits(currency || 'USD');
  const [whole, fraction = ''] = text.split('.');
  if (fraction.length > digits) return undefined;
  return String(Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0'));
}
