/**
 * HTTP request → binary gRPC request message, as Envoy's transcoder builds it: the JSON body goes
 * to the rule's body field (or the whole message), path variables and query parameters are woven
 * in with the same precedence, and values are checked with protobuf's proto3 JSON rules and error
 * messages ("<field>: Cannot find field.", "<field>: invalid value x for type TYPE_INT32").
 */
import {
  type DescEnum,
  type DescField,
  type DescMessage,
  fromJson,
  type JsonValue as PbJsonValue,
  type Registry,
  ScalarType,
  toBinary,
} from '@bufbuild/protobuf';
import { type JsonValue, JsonSyntaxError, parseJson } from './json-parser.js';

export class TranscodeError extends Error {
  override readonly name = 'TranscodeError';
  constructor(
    message: string,
    /** HTTP status of Envoy's local reply. */
    readonly status = 400,
  ) {
    super(message);
  }
}

export const HTTP_BODY = 'google.api.HttpBody';

/** A query parameter or path variable resolved to fields of the request message. */
export interface ResolvedBinding {
  fields: DescField[];
  value: string;
}

export interface RequestOptions {
  registry: Registry;
  caseInsensitiveEnumParsing: boolean;
}

const TYPE_NAMES: Record<ScalarType, string> = {
  [ScalarType.DOUBLE]: 'TYPE_DOUBLE',
  [ScalarType.FLOAT]: 'TYPE_FLOAT',
  [ScalarType.INT64]: 'TYPE_INT64',
  [ScalarType.UINT64]: 'TYPE_UINT64',
  [ScalarType.INT32]: 'TYPE_INT32',
  [ScalarType.FIXED64]: 'TYPE_FIXED64',
  [ScalarType.FIXED32]: 'TYPE_FIXED32',
  [ScalarType.BOOL]: 'TYPE_BOOL',
  [ScalarType.STRING]: 'TYPE_STRING',
  [ScalarType.BYTES]: 'TYPE_BYTES',
  [ScalarType.UINT32]: 'TYPE_UINT32',
  [ScalarType.SFIXED32]: 'TYPE_SFIXED32',
  [ScalarType.SFIXED64]: 'TYPE_SFIXED64',
  [ScalarType.SINT32]: 'TYPE_SINT32',
  [ScalarType.SINT64]: 'TYPE_SINT64',
};

const INT_RANGES: Partial<Record<ScalarType, [bigint, bigint]>> = {
  [ScalarType.INT32]: [-(2n ** 31n), 2n ** 31n - 1n],
  [ScalarType.SINT32]: [-(2n ** 31n), 2n ** 31n - 1n],
  [ScalarType.SFIXED32]: [-(2n ** 31n), 2n ** 31n - 1n],
  [ScalarType.UINT32]: [0n, 2n ** 32n - 1n],
  [ScalarType.FIXED32]: [0n, 2n ** 32n - 1n],
  [ScalarType.INT64]: [-(2n ** 63n), 2n ** 63n - 1n],
  [ScalarType.SINT64]: [-(2n ** 63n), 2n ** 63n - 1n],
  [ScalarType.SFIXED64]: [-(2n ** 63n), 2n ** 63n - 1n],
  [ScalarType.UINT64]: [0n, 2n ** 64n - 1n],
  [ScalarType.FIXED64]: [0n, 2n ** 64n - 1n],
};

const WRAPPERS: Record<string, ScalarType> = {
  'google.protobuf.DoubleValue': ScalarType.DOUBLE,
  'google.protobuf.FloatValue': ScalarType.FLOAT,
  'google.protobuf.Int64Value': ScalarType.INT64,
  'google.protobuf.UInt64Value': ScalarType.UINT64,
  'google.protobuf.Int32Value': ScalarType.INT32,
  'google.protobuf.UInt32Value': ScalarType.UINT32,
  'google.protobuf.BoolValue': ScalarType.BOOL,
  'google.protobuf.StringValue': ScalarType.STRING,
  'google.protobuf.BytesValue': ScalarType.BYTES,
};

/** Well-known types whose JSON form is a string (or a scalar), so a URL value can set them. */
const STRING_FORM_WKT = new Set(['google.protobuf.Timestamp', 'google.protobuf.Duration', 'google.protobuf.FieldMask', 'google.protobuf.Value']);

const isWkt = (m: DescMessage) => m.typeName.startsWith('google.protobuf.');

export function findField(message: DescMessage, name: string): DescField | undefined {
  return message.fields.find((f) => f.name === name || f.jsonName === name);
}

function render(v: JsonValue): string {
  // JSON.stringify writes Infinity (from 1e309) as "null", which would misreport what was sent.
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return typeof v === 'string' ? v : JSON.stringify(v);
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

// -------------------------------------------------------------------------- value validation

/** Checks one JSON value against a field's type; returns the value in the form protobuf-es takes. */
class Normalizer {
  constructor(private readonly opts: RequestOptions) {}

  message(desc: DescMessage, v: JsonValue, path: string): JsonValue {
    if (v === null) return null;
    const wrapped = WRAPPERS[desc.typeName];
    if (wrapped !== undefined) return this.scalar(wrapped, v, path);
    if (isWkt(desc)) {
      // The remaining well-known types keep their special JSON forms; check them here so the
      // error names the field.
      try {
        fromJson(desc, v as PbJsonValue, { registry: this.opts.registry });
      } catch {
        throw new TranscodeError(`${path}: invalid value ${render(v)} for type ${desc.typeName}`);
      }
      return v;
    }
    if (typeof v !== 'object' || Array.isArray(v)) throw new TranscodeError(`${path}: invalid value ${render(v)} for type TYPE_MESSAGE`);
    const out: { [key: string]: JsonValue } = {};
    for (const [key, value] of Object.entries(v)) {
      const field = findField(desc, key);
      if (!field) throw new TranscodeError(`${join(path, key)}: Cannot find field.`);
      out[key] = this.field(field, value, join(path, key));
    }
    return out;
  }

  field(f: DescField, v: JsonValue, path: string): JsonValue {
    if (v === null) return null;
    switch (f.fieldKind) {
      case 'scalar':
        return this.scalar(f.scalar, v, path);
      case 'enum':
        return this.enumValue(f.enum, v, path);
      case 'message':
        return this.message(f.message, v, path);
      case 'list': {
        if (!Array.isArray(v)) throw new TranscodeError(`${path}: invalid value ${render(v)} for type TYPE_LIST`);
        return v.map((item, i) => {
          const p = `${path}[${i}]`;
          if (f.listKind === 'scalar') return this.scalar(f.scalar, item, p);
          if (f.listKind === 'enum') return this.enumValue(f.enum, item, p);
          return this.message(f.message, item, p);
        });
      }
      case 'map': {
        if (typeof v !== 'object' || Array.isArray(v)) throw new TranscodeError(`${path}: invalid value ${render(v)} for type TYPE_MAP`);
        const out: { [key: string]: JsonValue } = {};
        for (const [k, item] of Object.entries(v)) {
          const p = `${path}[${k}]`;
          out[k] = f.mapKind === 'scalar' ? this.scalar(f.scalar, item, p) : f.mapKind === 'enum' ? this.enumValue(f.enum, item, p) : this.message(f.message, item, p);
        }
        return out;
      }
    }
  }

  scalar(type: ScalarType, v: JsonValue, path: string): JsonValue {
    const bad = (): never => {
      throw new TranscodeError(`${path}: invalid value ${render(v)} for type ${TYPE_NAMES[type]}`);
    };
    if (v === null) return null;
    switch (type) {
      case ScalarType.STRING:
        return typeof v === 'string' ? v : bad();
      case ScalarType.BYTES:
        return typeof v === 'string' && /^[A-Za-z0-9+/_=-]*$/.test(v) ? v : bad();
      case ScalarType.BOOL:
        if (typeof v === 'boolean') return v;
        if (v === 'true' || v === 'false') return v === 'true';
        return bad();
      case ScalarType.DOUBLE:
      case ScalarType.FLOAT:
        if (typeof v === 'number') return v;
        if (typeof v === 'string' && /^(NaN|-?Infinity|-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)$/.test(v)) return v;
        return bad();
      default: {
        const [min, max] = INT_RANGES[type]!;
        let n: bigint;
        if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
        else if (typeof v === 'string' && /^-?\d+$/.test(v)) n = BigInt(v);
        else return bad();
        if (n < min || n > max) return bad();
        return v;
      }
    }
  }

  enumValue(e: DescEnum, v: JsonValue, path: string): JsonValue {
    if (v === null) return null;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (typeof v === 'string') {
      const byName =
        e.values.find((x) => x.name === v) ?? (this.opts.caseInsensitiveEnumParsing ? e.values.find((x) => x.name.toLowerCase() === v.toLowerCase()) : undefined);
      if (byName) return byName.name;
      // A defined number sent as a string is accepted too.
      if (/^-?\d+$/.test(v) && e.values.some((x) => x.number === Number(v))) return Number(v);
    }
    throw new TranscodeError(`${path}: invalid value ${render(v)} for type TYPE_ENUM`);
  }
}

// -------------------------------------------------------------------------------- bindings

/** The JSON a URL value stands for in a leaf field; checked later like any body value. */
function bindingValue(leaf: DescField, value: string): JsonValue {
  const fromScalar = (type: ScalarType): JsonValue => {
    if (type !== ScalarType.BOOL) return value;
    // protobuf's safe_strtob spellings.
    const lower = value.toLowerCase();
    if (['true', 't', 'yes', 'y', '1'].includes(lower)) return true;
    if (['false', 'f', 'no', 'n', '0'].includes(lower)) return false;
    return value;
  };
  const msg = leaf.fieldKind === 'message' || (leaf.fieldKind === 'list' && leaf.listKind === 'message') ? leaf.message : undefined;
  if (msg) {
    const wrapped = WRAPPERS[msg.typeName];
    if (wrapped !== undefined) return fromScalar(wrapped);
    if (STRING_FORM_WKT.has(msg.typeName)) return value;
    throw new TranscodeError(`${leaf.name}: invalid value ${value} for type TYPE_MESSAGE`);
  }
  const scalar = leaf.fieldKind === 'scalar' || (leaf.fieldKind === 'list' && leaf.listKind === 'scalar') ? leaf.scalar : undefined;
  return scalar === undefined ? value : fromScalar(scalar);
}

function keyFor(obj: { [key: string]: JsonValue }, f: DescField): string | undefined {
  if (Object.hasOwn(obj, f.name)) return f.name;
  if (Object.hasOwn(obj, f.jsonName)) return f.jsonName;
  return undefined;
}

/**
 * Weaves one binding into the request JSON with Envoy's precedence: a singular field the body set
 * under its proto name keeps the body's value; set under its JSON name, the binding wins (Envoy
 * compares proto names); repeated fields get the binding values appended.
 */
function weave(root: { [key: string]: JsonValue }, b: ResolvedBinding): void {
  let node = root;
  let bindingWins = false;
  for (const f of b.fields.slice(0, -1)) {
    const key = keyFor(node, f);
    const cur = key === undefined ? undefined : node[key];
    if (key !== undefined && cur !== null && typeof cur === 'object' && !Array.isArray(cur)) {
      if (key !== f.name) bindingWins = true;
      node = cur;
    } else {
      const next: { [key: string]: JsonValue } = {};
      node[f.name] = next;
      node = next;
    }
  }
  const leaf = b.fields.at(-1)!;
  const value = bindingValue(leaf, b.value);
  const key = keyFor(node, leaf);
  if (leaf.fieldKind === 'list') {
    const cur = key === undefined ? undefined : node[key];
    if (Array.isArray(cur)) cur.push(value);
    else node[key ?? leaf.name] = [value];
    return;
  }
  if (key === leaf.name && node[key] !== null && !bindingWins) return; // the body wins
  if (key !== undefined) delete node[key];
  node[leaf.name] = value;
}

// ----------------------------------------------------------------------------------- entry

export interface RequestInput {
  input: DescMessage;
  /** Fields the HTTP body maps to: [] for the whole message ("*", or no body rule). */
  bodyFields: DescField[];
  bindings: ResolvedBinding[];
  body: Buffer;
  contentType: string | undefined;
}

export function isHttpBody(m: DescMessage | undefined): boolean {
  return m?.typeName === HTTP_BODY;
}

/** Builds the binary request message or throws TranscodeError (a 400 with Envoy's message). */
export function buildRequest(req: RequestInput, opts: RequestOptions): Uint8Array {
  const bodyTarget = req.bodyFields.length ? req.bodyFields.at(-1)!.message : req.input;
  const rawBody = isHttpBody(bodyTarget) && (req.bodyFields.length === 0 || req.bodyFields.at(-1)!.fieldKind === 'message');

  let parsed: JsonValue = {};
  if (rawBody) {
    // google.api.HttpBody takes the bytes as they came, with their content type.
    parsed = { content_type: req.contentType ?? '', data: req.body.toString('base64') };
  } else {
    const text = req.body.toString('utf8');
    // An empty body is an empty message, as in Envoy.
    if (text.trim().length > 0) {
      try {
        parsed = parseJson(text);
      } catch (err) {
        if (err instanceof JsonSyntaxError) throw new TranscodeError(err.message);
        throw err;
      }
    }
  }
  let root: { [key: string]: JsonValue } = {};
  if (req.bodyFields.length === 0) {
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TranscodeError('Root element must be a message.');
    root = parsed;
  } else {
    let node = root;
    for (const f of req.bodyFields.slice(0, -1)) {
      const next: { [key: string]: JsonValue } = {};
      node[f.name] = next;
      node = next;
    }
    node[req.bodyFields.at(-1)!.name] = parsed;
  }
  for (const b of req.bindings) weave(root, b);

  const normalized = new Normalizer(opts).message(req.input, root, '');
  try {
    const message = fromJson(req.input, normalized as PbJsonValue, { registry: opts.registry, ignoreUnknownFields: false });
    return toBinary(req.input, message);
  } catch (err) {
    throw new TranscodeError(cleanProtobufEsMessage((err as Error).message));
  }
}

/** protobuf-es says "cannot decode field x.Y.z from JSON: …"; Envoy names the field path. */
function cleanProtobufEsMessage(message: string): string {
  const m = /cannot decode (?:field|message) ([\w.]+) from JSON: (.*)$/s.exec(message);
  if (!m) return message;
  const field = m[1]!.split('.').at(-1);
  return `${field}: ${m[2]}`;
}
