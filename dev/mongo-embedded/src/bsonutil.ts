import { Binary, ObjectId, type Long, type Timestamp, type Decimal128 } from 'bson';
import { cloneDeep } from 'mingo/util';
import type { Doc } from './types.js';

/** Marks a field that is absent (as opposed to present with value null). */
export const MISSING: unique symbol = Symbol('missing');
export type Missing = typeof MISSING;

export function isPlainObject(v: unknown): v is Doc {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function bsonTypeOf(v: object): string | undefined {
  const t = (v as { _bsontype?: unknown })._bsontype;
  return typeof t === 'string' ? t : undefined;
}

/**
 * A canonical string for a value such that two values get the same string exactly when MongoDB
 * treats them as the same index key (1 == 1.0 == Long(1); null == missing; field order of
 * embedded documents matters). Strings are JSON-quoted so the parts of compound keys never blur.
 */
export function keyOf(v: unknown): string {
  if (v === undefined || v === null || v === MISSING) return 'z';
  switch (typeof v) {
    case 'number':
      return Number.isNaN(v) ? 'nNaN' : `n${v === 0 ? 0 : v}`;
    case 'string':
      return `s${JSON.stringify(v)}`;
    case 'boolean':
      return v ? 'b1' : 'b0';
    case 'bigint':
      return `n${v}`;
    default:
      break;
  }
  if (v instanceof Date) return `d${v.getTime()}`;
  if (v instanceof RegExp) return `r${JSON.stringify(v.source)}/${v.flags}`;
  if (Array.isArray(v)) return `[${v.map(keyOf).join(',')}]`;
  if (typeof v === 'object') {
    switch (bsonTypeOf(v)) {
      case 'ObjectId':
        return `o${(v as ObjectId).toHexString()}`;
      case 'Long': {
        const l = v as Long;
        const n = l.toNumber();
        return Number.isSafeInteger(n) ? `n${n}` : `n${l.toString()}`;
      }
      case 'Int32':
      case 'Double':
        return keyOf((v as { value: number }).value);
      case 'Decimal128': {
        const n = Number((v as Decimal128).toString());
        return Number.isFinite(n) ? keyOf(n) : `D${(v as Decimal128).toString()}`;
      }
      case 'Binary':
        return `x${(v as Binary).sub_type}:${Buffer.from((v as Binary).buffer).toString('base64')}`;
      case 'Timestamp':
        return `t${(v as Timestamp).toString()}`;
      case 'MinKey':
        return 'm-';
      case 'MaxKey':
        return 'm+';
      case 'BSONRegExp': {
        const r = v as { pattern: string; options: string };
        return `r${JSON.stringify(r.pattern)}/${r.options}`;
      }
      default:
        break;
    }
    const parts: string[] = [];
    for (const [k, val] of Object.entries(v as Doc)) parts.push(`${JSON.stringify(k)}:${keyOf(val)}`);
    return `{${parts.join(',')}}`;
  }
  return `u${String(v)}`;
}

/**
 * Renders a value the way mongod prints keys in E11000 messages, e.g. `{ email: "a@b.c" }`,
 * `ObjectId('…')`, `new Date(1700000000000)`.
 */
export function formatValue(v: unknown): string {
  if (v === undefined || v === MISSING) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if (v instanceof RegExp) return `/${v.source}/${v.flags}`;
  if (Array.isArray(v)) return v.length ? `[ ${v.map(formatValue).join(', ')} ]` : '[]';
  if (typeof v === 'object') {
    switch (bsonTypeOf(v)) {
      case 'ObjectId':
        return `ObjectId('${(v as ObjectId).toHexString()}')`;
      case 'Binary': {
        const b = v as Binary;
        if (b.sub_type === Binary.SUBTYPE_UUID) return `UUID("${b.toUUID().toHexString()}")`;
        return `BinData(${b.sub_type}, ${Buffer.from(b.buffer).toString('hex').toUpperCase()})`;
      }
      case 'Long':
      case 'Decimal128':
      case 'Int32':
      case 'Double':
        return String(v);
      case 'Timestamp': {
        const t = v as Timestamp;
        return `Timestamp(${t.high}, ${t.low})`;
      }
      case 'MinKey':
        return 'MinKey';
      case 'MaxKey':
        return 'MaxKey';
      default:
        break;
    }
    const entries = Object.entries(v as Doc);
    if (!entries.length) return '{}';
    return `{ ${entries.map(([k, val]) => `${k}: ${formatValue(val)}`).join(', ')} }`;
  }
  return String(v);
}

/**
 * Every value a dotted path reaches in a document, fanning out over arrays like MongoDB's index
 * key generation does; an array at the end contributes its elements (multikey). MISSING marks
 * an absent field; an empty array yields the empty array itself (its own key, like mongod's).
 */
export function valuesAtPath(doc: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  collect(doc, path.split('.'), 0, out);
  return out;
}

function collect(value: unknown, parts: string[], i: number, out: unknown[]): void {
  if (i === parts.length) {
    if (Array.isArray(value)) {
      if (value.length === 0) out.push(value);
      else for (const el of value) out.push(el);
    } else {
      out.push(value);
    }
    return;
  }
  if (Array.isArray(value)) {
    if (/^\d+$/.test(parts[i])) {
      collect(value[Number(parts[i])] ?? MISSING, parts, i + 1, out);
      return;
    }
    if (value.length === 0) {
      out.push(MISSING);
      return;
    }
    for (const el of value) collect(el, parts, i, out);
    return;
  }
  if (isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, parts[i])) {
    collect(value[parts[i]], parts, i + 1, out);
    return;
  }
  out.push(MISSING);
}

/** The value at a dotted path without array fan-out (MISSING when absent). */
export function getPath(doc: Doc, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (isPlainObject(cur) && Object.prototype.hasOwnProperty.call(cur, part)) cur = cur[part];
    else if (Array.isArray(cur) && /^\d+$/.test(part) && Number(part) < cur.length) cur = cur[Number(part)];
    else return MISSING;
  }
  return cur;
}

/** Deep copy of a stored document: plain objects/arrays copied, BSON value objects shared (immutable). */
export function cloneDoc<T extends Doc>(doc: T): T {
  return cloneDeep(doc) as T;
}

/** Puts _id first, as mongod stores it. */
export function idFirst(doc: Doc): Doc {
  const keys = Object.keys(doc);
  if (keys[0] === '_id' || !('_id' in doc)) return doc;
  const out: Doc = { _id: doc._id };
  for (const k of keys) if (k !== '_id') out[k] = doc[k];
  return out;
}

export function newObjectId(): ObjectId {
  return new ObjectId();
}
