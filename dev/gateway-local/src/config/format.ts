/**
 * Envoy substitution format strings (access logs, local reply bodies): the command operators the
 * local gateway can evaluate. Anything else fails at load time.
 */
import { EnvoyConfigError, isPlainObject, Node } from './reader.js';

/** What one request looked like, for formatting. */
export interface FormatContext {
  startTime: Date;
  protocol: string;
  requestHeaders: Record<string, string | string[] | undefined>;
  method: string;
  path: string;
  responseHeaders: Record<string, string | string[] | number | undefined>;
  responseCode: number;
  responseFlags: readonly string[];
  responseCodeDetails: string;
  bytesReceived: number;
  bytesSent: number;
  durationMs: number;
  upstreamHost?: string;
  upstreamCluster?: string;
  routeName?: string;
  localReplyBody?: string;
  downstreamAddress: string;
  downstreamPort: number;
}

type Value = string | number | null;
type Operator = (ctx: FormatContext) => Value;

interface Piece {
  literal?: string;
  op?: Operator;
}

/** A compiled format string. A lone numeric operator keeps its type in JSON output, as in Envoy. */
interface CompiledString {
  pieces: Piece[];
}

export type JsonTemplate = CompiledString | number | JsonTemplate[] | { [key: string]: JsonTemplate };

export type BodyFormat =
  | { kind: 'json'; template: { [key: string]: JsonTemplate }; contentType: string; omitEmpty: boolean }
  | { kind: 'text'; template: CompiledString; contentType: string };

function header(h: Record<string, string | string[] | number | undefined>, name: string): string | undefined {
  const lower = name.toLowerCase();
  const v = h[lower];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : String(v);
}

function requestHeader(ctx: FormatContext, name: string): string | undefined {
  switch (name.toLowerCase()) {
    case ':method':
      return ctx.method;
    case ':path':
      return ctx.path;
    case ':authority':
      return header(ctx.requestHeaders, 'host');
    case ':scheme':
      return 'http';
  }
  return header(ctx.requestHeaders, name);
}

function compileOperator(name: string, arg: string | undefined, maxLen: number | undefined, where: string): Operator {
  const truncate = (v: string | undefined): Value => (v === undefined ? null : maxLen === undefined ? v : v.slice(0, maxLen));
  const pick = (lookup: (n: string) => string | undefined): Value => {
    // %REQ(A?B)% falls back to B when A is absent.
    const [first, second] = (arg ?? '').split('?');
    return truncate(lookup(first!) ?? (second === undefined ? undefined : lookup(second)));
  };
  switch (name) {
    case 'REQ':
    case 'REQUEST_HEADER':
      return (ctx) => pick((n) => requestHeader(ctx, n));
    case 'RESP':
    case 'RESPONSE_HEADER':
      return (ctx) => pick((n) => header(ctx.responseHeaders, n));
    case 'START_TIME':
      return (ctx) => ctx.startTime.toISOString();
    case 'PROTOCOL':
      return (ctx) => ctx.protocol;
    case 'RESPONSE_CODE':
      return (ctx) => ctx.responseCode;
    case 'RESPONSE_FLAGS':
      return (ctx) => (ctx.responseFlags.length ? ctx.responseFlags.join(',') : '-');
    case 'RESPONSE_CODE_DETAILS':
      return (ctx) => ctx.responseCodeDetails || null;
    case 'BYTES_RECEIVED':
      return (ctx) => ctx.bytesReceived;
    case 'BYTES_SENT':
      return (ctx) => ctx.bytesSent;
    case 'DURATION':
      return (ctx) => ctx.durationMs;
    case 'UPSTREAM_HOST':
      return (ctx) => ctx.upstreamHost ?? null;
    case 'UPSTREAM_CLUSTER':
      return (ctx) => ctx.upstreamCluster ?? null;
    case 'ROUTE_NAME':
      return (ctx) => ctx.routeName ?? null;
    case 'LOCAL_REPLY_BODY':
      return (ctx) => ctx.localReplyBody ?? '';
    case 'DOWNSTREAM_REMOTE_ADDRESS':
      return (ctx) => `${ctx.downstreamAddress}:${ctx.downstreamPort}`;
    case 'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT':
      return (ctx) => ctx.downstreamAddress;
  }
  throw new EnvoyConfigError(`${where}: format operator %${name}% is not supported by the local gateway`);
}

const OPERATOR = /%([A-Z_]+)(?:\(([^)]*)\))?(?::(\d+))?%/g;

export function compileFormatString(format: string, where: string): CompiledString {
  const pieces: Piece[] = [];
  let last = 0;
  for (const m of format.matchAll(OPERATOR)) {
    if (m.index! > last) pieces.push({ literal: format.slice(last, m.index) });
    pieces.push({ op: compileOperator(m[1]!, m[2], m[3] === undefined ? undefined : Number(m[3]), where) });
    last = m.index! + m[0].length;
  }
  if (last < format.length) pieces.push({ literal: format.slice(last) });
  return { pieces };
}

function isCompiled(t: JsonTemplate): t is CompiledString {
  return typeof t === 'object' && t !== null && !Array.isArray(t) && 'pieces' in t && Array.isArray((t as CompiledString).pieces);
}

function compileJson(value: unknown, where: string): JsonTemplate {
  if (typeof value === 'string') return compileFormatString(value, where);
  if (typeof value === 'number') return value;
  if (Array.isArray(value)) return value.map((v, i) => compileJson(v, `${where}[${i}]`));
  if (isPlainObject(value)) {
    const out: { [key: string]: JsonTemplate } = {};
    for (const [k, v] of Object.entries(value)) out[k] = compileJson(v, `${where}.${k}`);
    return out;
  }
  // Envoy itself refuses booleans and nulls in structured formats.
  throw new EnvoyConfigError(`${where}: only strings, numbers, lists and maps are allowed in json_format`);
}

/** Parses a SubstitutionFormatString. */
export function parseBodyFormat(n: Node): BodyFormat {
  n.only(['json_format', 'text_format', 'text_format_source', 'content_type', 'omit_empty_values'], ['json_format_options']);
  const json = n.raw('json_format');
  if (json !== undefined) {
    if (!isPlainObject(json)) throw new EnvoyConfigError(`${n.at('json_format')}: expected a map`);
    return {
      kind: 'json',
      template: compileJson(json, n.at('json_format')) as { [key: string]: JsonTemplate },
      contentType: n.str('content_type', 'application/json'),
      omitEmpty: n.bool('omit_empty_values'),
    };
  }
  let text = n.optStr('text_format');
  const source = n.obj('text_format_source');
  if (source) text = source.only(['inline_string']).str('inline_string');
  if (text === undefined) throw new EnvoyConfigError(`${n.path}: needs json_format, text_format or text_format_source`);
  return { kind: 'text', template: compileFormatString(text, n.path), contentType: n.str('content_type', 'text/plain') };
}

function renderString(t: CompiledString, ctx: FormatContext): Value {
  // A lone operator keeps its type (numbers stay numbers, absent values become null).
  if (t.pieces.length === 1 && t.pieces[0]!.op) return t.pieces[0]!.op(ctx);
  return t.pieces.map((p) => (p.op ? (p.op(ctx) ?? '-') : p.literal)).join('');
}

type Rendered = Value | Rendered[] | { [key: string]: Rendered };

function renderJson(t: JsonTemplate, ctx: FormatContext, omitEmpty: boolean): Rendered {
  if (typeof t === 'number') return t;
  if (isCompiled(t)) return renderString(t, ctx);
  if (Array.isArray(t)) return t.map((v) => renderJson(v, ctx, omitEmpty));
  const out: { [key: string]: Rendered } = {};
  for (const [k, v] of Object.entries(t)) {
    const r = renderJson(v, ctx, omitEmpty);
    if (omitEmpty && (r === null || r === '')) continue;
    out[k] = r;
  }
  return out;
}

export function renderBody(format: BodyFormat, ctx: FormatContext): { body: string; contentType: string } {
  if (format.kind === 'json') {
    // Envoy's JSON formatter ends the document with a newline.
    return { body: `${JSON.stringify(renderJson(format.template, ctx, format.omitEmpty))}\n`, contentType: format.contentType };
  }
  const v = renderString(format.template, ctx);
  return { body: v === null ? '-' : String(v), contentType: format.contentType };
}

export function renderRecord(format: BodyFormat, ctx: FormatContext): Record<string, unknown> | string {
  if (format.kind === 'json') return renderJson(format.template, ctx, format.omitEmpty) as Record<string, unknown>;
  return String(renderString(format.template, ctx) ?? '-');
}
