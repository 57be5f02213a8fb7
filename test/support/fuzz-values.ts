/**
 * Values for contract fuzzing, per protobuf field kind: ones of the right JSON type but hostile
 * (edge-case unicode, operator-looking strings, extreme numbers), and ones of a wrong JSON type
 * that proto3 JSON parsing must refuse. Bodies are written as JSON text by `jsonText`, so a value
 * can also be a raw token JSON.stringify cannot produce (1e309, 99999999999999999999).
 */
import { type DescEnum, type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';
import fc from 'fast-check';

/** A JSON token written as is. */
export class Raw {
  constructor(readonly text: string) {}
}

export type FuzzValue = null | boolean | number | string | Raw | FuzzValue[] | { [key: string]: FuzzValue };

/** JSON text of a fuzz value; Raw tokens go in verbatim, keys may be anything (even "__proto__"). */
export function jsonText(v: FuzzValue): string {
  if (v instanceof Raw) return v.text;
  if (Array.isArray(v)) return `[${v.map(jsonText).join(',')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${jsonText(x)}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Strings that have broken parsers and filters elsewhere. */
export const EDGE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800', // lone high surrogate
  '\udfff', // lone low surrogate
  'x\ud83dy', // half an emoji
  '\u202eevil\u202c', // right-to-left override
  '\u200b\u200d\ufeff', // zero-width characters and a BOM
  '👩‍👩‍👧‍👦', // emoji ZWJ sequence
  'e\u0301\u0301\u0301\u0301', // stacked combining marks
  'Z̴̡̪͚͖͎̈́̅̽a̶̛͖͓l̷g̵o', // "zalgo"
  '𝕱𝖑𝖎𝖝',
  '\r\n\t',
  '%00',
  '%2e%2e%2f',
  '../../../../etc/passwd',
  '..\\..\\windows',
  '$where',
  '$gt',
  '{"$gt":""}',
  '{"$ne":null}',
  "'; db.dropDatabase(); '",
  'this.constructor.constructor("return process")()',
  '__proto__',
  '<script>alert(1)</script>',
];

/** Path segments (already percent-encoded) that can name no resource. */
export const HOSTILE_SEGMENTS = [
  '%24where',
  '$where',
  '$gt',
  '%7B%22%24gt%22%3A%22%22%7D',
  '%7B%22%24ne%22%3Anull%7D',
  '..%2F..%2Fadmin',
  '..%2f',
  '%2e%2e%2f',
  '%2e%2e%5c',
  '..%5C..%5C',
  'a%00b',
  '%00',
  '%ED%A0%80', // a lone surrogate as UTF-8: not valid UTF-8
  '%FF%FE',
  encodeURIComponent('\u202eevil'),
  encodeURIComponent('👩‍👩‍👧‍👦'),
  encodeURIComponent('e\u0301\u0301\u0301'),
  '%252e%252e', // double-encoded ..
  '%20',
  "'%20OR%201=1--",
  '%5B%5D',
  'null',
  'undefined',
  '99999999999999999999999',
  'NaN',
  'x'.repeat(3000),
] as const;

/** Whole path segments that normalize_path resolves (the request then names another path). */
export const DOT_SEGMENTS = ['..', '%2e%2e', '.%2e', '%2E%2E', '.'] as const;

const INT_LIMITS: Partial<Record<ScalarType, { min: bigint; max: bigint }>> = {
  [ScalarType.INT32]: { min: -(2n ** 31n), max: 2n ** 31n - 1n },
  [ScalarType.SINT32]: { min: -(2n ** 31n), max: 2n ** 31n - 1n },
  [ScalarType.SFIXED32]: { min: -(2n ** 31n), max: 2n ** 31n - 1n },
  [ScalarType.UINT32]: { min: 0n, max: 2n ** 32n - 1n },
  [ScalarType.FIXED32]: { min: 0n, max: 2n ** 32n - 1n },
  [ScalarType.INT64]: { min: -(2n ** 63n), max: 2n ** 63n - 1n },
  [ScalarType.SINT64]: { min: -(2n ** 63n), max: 2n ** 63n - 1n },
  [ScalarType.SFIXED64]: { min: -(2n ** 63n), max: 2n ** 63n - 1n },
  [ScalarType.UINT64]: { min: 0n, max: 2n ** 64n - 1n },
  [ScalarType.FIXED64]: { min: 0n, max: 2n ** 64n - 1n },
};

const isInt = (t: ScalarType) => INT_LIMITS[t] !== undefined;

const anyString = (): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...EDGE_STRINGS) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
    // Large but under the 1 MiB body limit, so the service sees it.
    { weight: 1, arbitrary: fc.constantFrom('x'.repeat(70_000), 'é'.repeat(20_000), '\u0000'.repeat(5_000)) },
  );

/** How far int64 noise goes: the whole range (beyond 2^53 was finding F1, now fixed). */
export const INT64_NOISE_LIMIT = 2n ** 64n;

/** Values of a scalar's own JSON type, at its edges. */
function scalarOfType(t: ScalarType): fc.Arbitrary<FuzzValue> {
  if (t === ScalarType.STRING) return anyString();
  if (t === ScalarType.BOOL) return fc.boolean();
  if (t === ScalarType.BYTES) return fc.constantFrom('', 'AAAA', '////', 'QUJD');
  if (t === ScalarType.DOUBLE || t === ScalarType.FLOAT) return fc.oneof(fc.double(), fc.constantFrom<FuzzValue>('NaN', 'Infinity', '-Infinity', -1, 0, 1e308, new Raw('-0')));
  const limits = INT_LIMITS[t]!;
  const min = limits.min < -INT64_NOISE_LIMIT ? -INT64_NOISE_LIMIT : limits.min;
  const max = limits.max > INT64_NOISE_LIMIT ? INT64_NOISE_LIMIT : limits.max;
  return fc.oneof(
    fc.constantFrom<FuzzValue>(-1, 0, 1, String(min), String(max), Number(max > 2n ** 53n ? 2n ** 53n - 1n : max)),
    fc.bigInt({ min, max }).map((n) => (n >= -(2n ** 53n) && n <= 2n ** 53n ? Number(n) : String(n))),
  );
}

function enumOfType(e: DescEnum): fc.Arbitrary<FuzzValue> {
  return fc.constantFrom<FuzzValue>(...e.values.map((v) => v.name), ...e.values.map((v) => v.number));
}

function wellKnown(m: DescMessage): fc.Arbitrary<FuzzValue> | undefined {
  switch (m.typeName) {
    case 'google.protobuf.Timestamp':
      return fc.constantFrom('1970-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '0001-01-01T00:00:00Z', '2026-01-01T00:00:00.123456789+14:00');
    case 'google.protobuf.Duration':
      return fc.constantFrom('0s', '-1s', '315576000000s');
    case 'google.protobuf.FieldMask':
      return fc.constantFrom('', 'id', 'displayName,email', 'roles');
  }
  return undefined;
}

/** A value of the field's JSON type (depth-limited for nested messages). */
export function valueOfType(f: DescField, depth = 0): fc.Arbitrary<FuzzValue> {
  const one = (): fc.Arbitrary<FuzzValue> => {
    if (f.fieldKind === 'scalar' || (f.fieldKind === 'list' && f.listKind === 'scalar')) return scalarOfType(f.scalar);
    if (f.fieldKind === 'enum' || (f.fieldKind === 'list' && f.listKind === 'enum')) return enumOfType(f.enum);
    if (f.fieldKind === 'message' || (f.fieldKind === 'list' && f.listKind === 'message')) return messageOfType(f.message, depth + 1);
    return fc.constant({});
  };
  if (f.fieldKind === 'list') return fc.array(one(), { maxLength: 3 });
  if (f.fieldKind === 'map') return fc.constant({});
  return one();
}

export function messageOfType(m: DescMessage, depth = 0): fc.Arbitrary<FuzzValue> {
  const wkt = wellKnown(m);
  if (wkt) return wkt;
  if (depth > 1 || m.typeName.startsWith('google.protobuf.')) return fc.constant({});
  const fields = Object.fromEntries(m.fields.map((f) => [f.jsonName, valueOfType(f, depth)]));
  return fc.record(fields, { requiredKeys: [] }) as fc.Arbitrary<FuzzValue>;
}

const NOT_A_LIST: FuzzValue[] = [42, 'x', { $gt: '' }, true];

/**
 * JSON values of a wrong type for the field: proto3 JSON parsing refuses every one of them, so
 * a request carrying one is invalid whatever else it holds.
 */
export function wrongValuesFor(f: DescField): FuzzValue[] {
  if (f.fieldKind === 'list') {
    const items = f.listKind === 'scalar' ? wrongScalar(f.scalar) : f.listKind === 'enum' ? WRONG_ENUM : wrongMessage(f.message);
    return [...NOT_A_LIST, ...items.slice(0, 3).map((x) => [x])];
  }
  if (f.fieldKind === 'map') return [42, 'x', ['$where'], true];
  if (f.fieldKind === 'enum') return WRONG_ENUM;
  if (f.fieldKind === 'message') return wrongMessage(f.message);
  return wrongScalar(f.scalar);
}

const WRONG_ENUM: FuzzValue[] = ['NOT_A_VALUE', '$where', true, { $gt: '' }, ['x'], 1.5, ''];

function wrongScalar(t: ScalarType): FuzzValue[] {
  if (t === ScalarType.STRING) return [42, -1, true, false, { $gt: '' }, { $where: 'sleep(1000)' }, ['$where'], new Raw('1e309')];
  if (t === ScalarType.BYTES) return [42, true, { $gt: '' }, '%%% not base64 %%%'];
  if (t === ScalarType.BOOL) return ['yes', 1, 0, { $gt: '' }, ['x'], 'maybe'];
  if (t === ScalarType.DOUBLE || t === ScalarType.FLOAT) return [true, { $gt: '' }, ['x'], 'abc', '$where', '1,5'];
  if (isInt(t)) {
    const { min, max } = INT_LIMITS[t]!;
    return [
      'abc',
      true,
      { $gt: 0 },
      [1],
      1.5,
      new Raw('1e309'),
      new Raw('-1e309'),
      String(max + 1n),
      String(min - 1n),
      new Raw('99999999999999999999999'),
      'NaN',
      '1e3', // a string int must be digits only
    ];
  }
  return [{ $gt: '' }];
}

function wrongMessage(m: DescMessage): FuzzValue[] {
  switch (m.typeName) {
    case 'google.protobuf.Timestamp':
      return ['not-a-time', '2026-13-45T99:00:00Z', 42, true, ['x'], { $gt: '' }];
    case 'google.protobuf.Duration':
      return ['abc', 42, true, ['x']];
    case 'google.protobuf.FieldMask':
      return [42, true, ['x'], { $gt: '' }];
    case 'google.protobuf.Int32Value':
    case 'google.protobuf.Int64Value':
    case 'google.protobuf.UInt32Value':
    case 'google.protobuf.UInt64Value':
      return ['abc', true, { $gt: 0 }, 1.5];
    case 'google.protobuf.BoolValue':
      return ['maybe', 1, { $gt: 0 }];
    case 'google.protobuf.StringValue':
      return [42, true, { $gt: '' }];
    case 'google.protobuf.Struct':
      return [42, 'x', ['x'], true];
    case 'google.protobuf.Value':
    case 'google.protobuf.ListValue':
    case 'google.protobuf.Any':
      return [];
  }
  return [42, 'x', true, ['$where'], -1];
}

/** Query-string values for a field that its type refuses ('' included: not a number, not a name). */
export function wrongQueryValuesFor(f: DescField): string[] {
  const kind = f.fieldKind === 'list' ? f.listKind : f.fieldKind;
  if (kind === 'enum') return ['NOT_A_VALUE', '%24where', '%7B%22%24gt%22%3A1%7D', '99999', '1.5'];
  if (kind === 'message') {
    const m = (f as { message: DescMessage }).message;
    if (m.typeName === 'google.protobuf.Timestamp') return ['not-a-time', '%24where', '2026-13-45T99%3A00%3A00Z', '1e309'];
    return [];
  }
  if (kind !== 'scalar') return [];
  const t = (f as { scalar: ScalarType }).scalar;
  if (t === ScalarType.BOOL) return ['maybe', '%24where', '2', '%00'];
  if (isInt(t)) {
    const { max } = INT_LIMITS[t]!;
    return ['abc', '1e309', '1.5', '%24where', String(max + 1n), '99999999999999999999999', 'NaN', '%00', '', '%7B%22%24gt%22%3A1%7D'];
  }
  return [];
}

/**
 * encodeURIComponent that does not throw on a lone surrogate: it is written as the three bytes
 * WTF-8 gives it (%ED%A0%80), which are not valid UTF-8 — what a raw client can send.
 */
export function pctEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const cu = s.charCodeAt(i);
    const next = s.charCodeAt(i + 1);
    if (cu >= 0xd800 && cu <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(s.slice(i, i + 2));
      i++;
    } else if (cu >= 0xd800 && cu <= 0xdfff) {
      out += [0xe0 | (cu >> 12), 0x80 | ((cu >> 6) & 0x3f), 0x80 | (cu & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(s[i]!);
  }
  return out;
}
