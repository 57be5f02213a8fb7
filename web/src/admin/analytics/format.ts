/** How the dashboard writes the API's numbers (it never derives new ones). */
import { AlertKind } from '../../api/gen/flix/analytics/v1/resources';
import { currencyDigits } from '../admin';

const nf = new Intl.NumberFormat('en');
const nf1 = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

/** int64s arrive as strings in proto3 JSON. */
export const num = (v: string | number | undefined): number => Number(v ?? 0) || 0;

export const formatCount = (v: string | number | undefined): string => nf.format(num(v));
export const formatDecimal = (v: number | undefined): string => nf1.format(v ?? 0);

/** A 0..1 ratio as a percentage: "12.5%" ("0.25%" for small ones such as rebuffering). */
export function formatPercent(ratio: number | undefined): string {
  const p = (ratio ?? 0) * 100;
  const digits = p !== 0 && Math.abs(p) < 1 ? 2 : 1;
  return `${new Intl.NumberFormat('en', { maximumFractionDigits: digits }).format(p)}%`;
}

/** Watch time: "3 h 20 min", "45 min", "30 s". */
export function formatDuration(seconds: number | undefined): string {
  const s = Math.round(seconds ?? 0);
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h === 0) return `${m} min`;
  return m > 0 ? `${nf.format(h)} h ${m} min` : `${nf.format(h)} h`;
}

/** Minor units to the currency's major unit (for chart axes). */
export const majorUnits = (minor: string | number | undefined, currency: string): number => num(minor) / 10 ** currencyDigits(currency || 'USD');

/** "$1,234.50" from minor units and an ISO 4217 code. */
export function formatMoneyMinor(minor: string | number | undefined, currency: string, compact = false): string {
  const amount = majorUnits(minor, currency);
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: currency || 'USD', ...(compact ? { notation: 'compact', maximumFractionDigits: 1 } : {}) }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}

/** "3 Dec" from "2026-12-03" (UTC). */
export const formatDay = (day: string): string => new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));
/** "Thu 3 Dec 2026". */
export const formatLongDay = (day: string): string =>
  new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));
/** "December 2026" from "2026-12". */
export const formatMonth = (month: string): string => new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${month}-01T00:00:00Z`));
/** "3 Dec 2026, 14:05 UTC". */
export const formatTime = (iso: string | undefined): string =>
  iso ? `${new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' }).format(new Date(iso))} UTC` : '';

export const ALERT_LABEL: Record<AlertKind, string> = {
  [AlertKind.ALERT_KIND_UNSPECIFIED]: 'Alert',
  [AlertKind.ALERT_KIND_PAYMENT_FAILURE_RATE]: 'Payment failure rate',
  [AlertKind.ALERT_KIND_LOGIN_FAILURE_RATE]: 'Sign-in failure rate',
  [AlertKind.ALERT_KIND_DEAD_LETTERS]: 'Dead letters',
};

/** An alert's measured value or threshold in its own unit (a rate, or a message count). */
export const formatAlertValue = (kind: AlertKind, v: number): string => (kind === AlertKind.ALERT_KIND_DEAD_LETTERS ? formatCount(v) : formatPercent(v));
