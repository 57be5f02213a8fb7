/** Small rules shared by the resources: metadata merging, change diffs, validation, billing dates. */
import { createHash } from 'node:crypto';
import { invalidRequest, missingParam } from '../errors.js';
import type { Interval, Metadata, PlanJson, PriceJson } from '../model.js';

export const DAY = 86_400;

export function addInterval(ts: number, interval: Interval, count: number): number {
  if (interval === 'day') return ts + count * DAY;
  if (interval === 'week') return ts + count * 7 * DAY;
  const months = interval === 'year' ? 12 * count : count;
  const d = new Date(ts * 1000);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  // Jan 31 + 1 month is the last day of February, as Stripe anchors billing dates.
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return Date.UTC(y, m, Math.min(d.getUTCDate(), lastDay), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()) / 1000;
}

/** Top-level keys whose value changed, with their old values: an event's `previous_attributes`. */
export function previousAttributes(before: object, after: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  for (const k of Object.keys(b)) if (JSON.stringify(b[k]) !== JSON.stringify(a[k])) out[k] = b[k];
  return out;
}

export function mergeMetadata(current: Metadata, update: Record<string, string> | null | undefined): Metadata {
  if (update === undefined) return current;
  if (update === null) return {};
  const out = { ...current };
  // An empty value unsets the key, as in Stripe.
  for (const [k, v] of Object.entries(update)) if (v === '') delete out[k];
  else out[k] = v;
  return out;
}

export function validCurrency(c: string | null | undefined, param: string): string {
  if (!c) throw missingParam(param);
  if (!/^[a-zA-Z]{3}$/.test(c)) throw invalidRequest(`Invalid currency: ${c}. Stripe currently supports these currencies: usd, eur, gbp, …`, param);
  return c.toLowerCase();
}

export function validUrl(u: string | null | undefined, param: string): string | null {
  if (!u) return null;
  try {
    new URL(u.replace('{CHECKOUT_SESSION_ID}', 'x'));
    return u;
  } catch {
    throw invalidRequest('Not a valid URL', param, 'url_invalid');
  }
}

export const cardDetails = (last4: string) => ({
  brand: 'visa' as const,
  checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' as const },
  country: 'US' as const,
  exp_month: 12,
  exp_year: new Date().getUTCFullYear() + 3,
  fingerprint: createHash('sha256').update(last4).digest('base64url').slice(0, 16),
  funding: 'credit' as const,
  last4,
});

/** The legacy plan object subscription items still carry beside `price`. */
export function planOf(price: PriceJson): PlanJson {
  const rec = price.recurring ?? { interval: 'month' as Interval, interval_count: 1 };
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: String(price.unit_amount),
    billing_scheme: 'per_unit',
    created: price.created,
    currency: price.currency,
    interval: rec.interval,
    interval_count: rec.interval_count,
    livemode: false,
    metadata: { ...price.metadata },
    meter: null,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: 'licensed',
  };
}
