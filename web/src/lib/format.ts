/** Formatting a viewer reads: prices, positions, runtimes, countdowns. */

interface MoneyLike {
  amountMinor: string;
  currency: string;
}

const fractionDigits = (currency: string): number => {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
};

/** "$3.99" from {amountMinor: "399", currency: "USD"} (int64 arrives as a string in proto3 JSON). */
export function formatMoney(money: MoneyLike | undefined, locale?: string): string {
  if (!money || !money.currency) return '';
  const digits = fractionDigits(money.currency);
  const amount = Number(money.amountMinor) / 10 ** digits;
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency: money.currency }).format(amount);
  } catch {
    return `${amount.toFixed(digits)} ${money.currency}`;
  }
}

/** A player position: "4:05", or "1:02:09" past an hour. */
export function formatPosition(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** "1h 52m" / "48m". */
export function formatRuntime(minutes: number): string {
  if (!minutes) return '';
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h > 0 ? (m > 0 ? `${h}h ${m}m` : `${h}h`) : `${m}m`;
}

/** "2 days 3 h left", "5 h 12 min left", "12 min left", "expired". */
export function formatCountdown(until: Date, now: Date): string {
  const ms = until.getTime() - now.getTime();
  if (ms <= 0) return 'expired';
  const minutes = Math.floor(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  if (days > 0) return `${days} day${days === 1 ? '' : 's'}${hours ? ` ${hours} h` : ''} left`;
  if (hours > 0) return `${hours} h ${mins} min left`;
  if (minutes > 0) return `${mins} min left`;
  return 'less than a minute left';
}

export function formatDate(iso: string | undefined, locale?: string): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleDateString(locale, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function formatDateTime(iso: string | undefined, locale?: string): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
}

const MATURITY_LABELS: Record<string, string> = {
  MATURITY_RATING_G: 'G',
  MATURITY_RATING_PG: 'PG',
  MATURITY_RATING_PG13: 'PG-13',
  MATURITY_RATING_R: 'R',
  MATURITY_RATING_NC17: 'NC-17',
};

export const maturityLabel = (rating: string): string => MATURITY_LABELS[rating] ?? '';

/** "PLAN_TIER_PREMIUM" → "Premium"; enum names read as words. */
export function enumLabel(value: string, prefix: string): string {
  const rest = value.startsWith(prefix) ? value.slice(prefix.length) : value;
  return rest
    .toLowerCase()
    .split('_')
    .map((w, i) => (i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w))
    .join(' ');
}

const LANGUAGES: Record<string, string> = {};
/** "fr" → "French" (the browser's own names). */
export function languageName(code: string): string {
  if (!code) return '';
  if (LANGUAGES[code]) return LANGUAGES[code];
  let name = code;
  try {
    name = new Intl.DisplayNames(['en'], { type: 'language' }).of(code) ?? code;
  } catch {
    // Not a valid tag: show it as it is.
  }
  LANGUAGES[code] = name;
  return name;
}
