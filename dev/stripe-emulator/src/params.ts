/**
 * Request param schemas: each endpoint declares the params Stripe accepts (names from the SDK's
 * `*Params` types). A name Stripe does not know is rejected as Stripe rejects it ("Received
 * unknown parameter"), so a typo in billing fails here as it would in production; a known param
 * the emulator does not act on is accepted and ignored (`any`). Leaves arrive as strings and are
 * coerced here; an empty string is Stripe's "unset" and becomes null.
 */
import { invalidRequest, unknownParam } from './errors.js';
import type { FormObject, FormValue } from './form.js';

export type Spec =
  | 'string'
  | 'integer'
  | 'boolean'
  | 'metadata'
  /** unix seconds, or the word `now` (trial_end, proration_date). */
  | 'timestamp'
  | 'expand'
  | 'any'
  | { enum: readonly string[] }
  | { object: Schema }
  | { array: Spec }
  /** `{gt,gte,lt,lte}` or a bare integer, as list filters on `created` take. */
  | 'range';
export type Schema = { readonly [key: string]: Spec };

export type ParamValue = string | number | boolean | null | 'now' | string[] | ParamObject | ParamValue[] | Record<string, string> | RangeFilter;
export interface ParamObject {
  [key: string]: ParamValue | undefined;
}
export interface RangeFilter {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

const name = (prefix: string, key: string): string => (prefix ? `${prefix}[${key}]` : key);

function coerce(value: FormValue, spec: Spec, param: string): ParamValue {
  if (spec === 'any') return value as ParamValue;
  if (spec === 'expand') {
    if (typeof value === 'string') return [value];
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw invalidRequest('Invalid array', param);
    return value as string[];
  }
  if (spec === 'metadata') {
    if (value === '') return null; // `metadata=` clears all keys
    if (typeof value !== 'object' || Array.isArray(value)) throw invalidRequest('Invalid object', param);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== 'string') throw invalidRequest('Invalid string', `${param}[${k}]`);
      if (k.length > 40) throw invalidRequest(`Metadata keys must be at most 40 characters: ${k}`, param);
      if (v.length > 500) throw invalidRequest(`Metadata values must be at most 500 characters (key ${k})`, param);
      out[k] = v;
    }
    return out;
  }
  if (spec === 'range') {
    if (typeof value === 'string') return coerce(value, 'integer', param);
    if (typeof value !== 'object' || Array.isArray(value)) throw invalidRequest('Invalid object', param);
    const out: RangeFilter = {};
    for (const [k, v] of Object.entries(value)) {
      if (k !== 'gt' && k !== 'gte' && k !== 'lt' && k !== 'lte') throw unknownParam(`${param}[${k}]`);
      const n = coerce(v, 'integer', `${param}[${k}]`);
      if (typeof n === 'number') out[k] = n;
    }
    return out;
  }
  if (typeof spec === 'object' && 'object' in spec) {
    if (value === '') return null;
    if (typeof value !== 'object' || Array.isArray(value)) throw invalidRequest('Invalid object', param);
    return validateParams(value, spec.object, param);
  }
  if (typeof spec === 'object' && 'array' in spec) {
    if (value === '') return [];
    // A lone value where an array is expected (`lookup_keys=pro`) is what qs would give too.
    const list = Array.isArray(value) ? value : typeof value === 'string' ? [value] : null;
    if (!list) throw invalidRequest('Invalid array', param);
    return list.map((v, i) => coerce(v, spec.array, `${param}[${i}]`));
  }
  if (typeof value !== 'string') throw invalidRequest(`Invalid ${spec === 'string' || typeof spec === 'object' ? 'string' : spec}`, param);
  if (value === '') return null;
  if (spec === 'string') return value;
  if (spec === 'integer') {
    if (!/^-?\d+$/.test(value)) throw invalidRequest(`Invalid integer: ${value}`, param);
    return Number(value);
  }
  if (spec === 'boolean') {
    if (value !== 'true' && value !== 'false') throw invalidRequest(`Invalid boolean: ${value}`, param);
    return value === 'true';
  }
  if (spec === 'timestamp') {
    if (value === 'now') return 'now';
    if (!/^\d+$/.test(value)) throw invalidRequest(`Invalid timestamp: must be an integer Unix timestamp or "now"`, param);
    return Number(value);
  }
  if (!spec.enum.includes(value)) {
    const opts = spec.enum.length > 1 ? `${spec.enum.slice(0, -1).join(', ')}, or ${spec.enum[spec.enum.length - 1]}` : spec.enum[0];
    throw invalidRequest(`Invalid ${param.replace(/^.*\[([^\]]+)\]$/, '$1')}: must be one of ${opts}`, param);
  }
  return value;
}

/** Checks every key against the schema and coerces the values; throws Stripe's 400 on the first problem. */
export function validateParams(raw: FormObject, schema: Schema, prefix = ''): ParamObject {
  const out: ParamObject = {};
  for (const [key, value] of Object.entries(raw)) {
    const spec = schema[key];
    if (!spec) throw unknownParam(name(prefix, key));
    out[key] = coerce(value, spec, name(prefix, key));
  }
  return out;
}

export const LIST: Schema = { limit: 'integer', starting_after: 'string', ending_before: 'string', expand: 'expand', created: 'range' };
