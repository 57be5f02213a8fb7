/**
 * Envoy's string, header and route matchers: parsed from the YAML and evaluated exactly as Envoy
 * evaluates them (first match wins, paths compared without the query string).
 */
import { EnvoyConfigError, Node } from './reader.js';

export interface StringMatcher {
  kind: 'exact' | 'prefix' | 'suffix' | 'contains' | 'regex';
  value: string;
  regex?: RegExp;
  ignoreCase: boolean;
}

export interface HeaderMatcher {
  name: string;
  invert: boolean;
  /** present_match: true means "must be present", false "must be absent". */
  present?: boolean;
  string?: StringMatcher;
}

export interface PathMatcher {
  kind: 'prefix' | 'path' | 'regex' | 'path_separated_prefix';
  value: string;
  regex?: RegExp;
}

export interface RouteMatch {
  path: PathMatcher;
  caseSensitive: boolean;
  headers: HeaderMatcher[];
}

/** The request as matchers see it: lower-case header names, pseudo-headers included. */
export interface MatchInput {
  method: string;
  /** The :path, query string included. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  authority: string;
}

function compileRegex(re: string, path: string, flags = ''): RegExp {
  try {
    // RE2 patterns are fully anchored in Envoy's safe_regex matchers.
    return new RegExp(`^(?:${re})$`, flags);
  } catch (err) {
    throw new EnvoyConfigError(`${path}: regex ${JSON.stringify(re)} is not usable here: ${(err as Error).message}`);
  }
}

function parseSafeRegex(n: Node, flags = ''): RegExp {
  n.only(['regex'], ['google_re2']);
  return compileRegex(n.str('regex'), n.at('regex'), flags);
}

export function parseStringMatcher(n: Node): StringMatcher {
  n.only(['exact', 'prefix', 'suffix', 'contains', 'safe_regex', 'ignore_case']);
  const ignoreCase = n.bool('ignore_case');
  for (const kind of ['exact', 'prefix', 'suffix', 'contains'] as const) {
    const v = n.optStr(kind);
    if (v !== undefined) return { kind, value: v, ignoreCase };
  }
  const re = n.obj('safe_regex');
  if (re) return { kind: 'regex', value: re.str('regex'), regex: parseSafeRegex(re, ignoreCase ? 'i' : ''), ignoreCase };
  throw new EnvoyConfigError(`${n.path}: a string matcher needs exact, prefix, suffix, contains or safe_regex`);
}

export function matchString(m: StringMatcher, input: string): boolean {
  if (m.kind === 'regex') return m.regex!.test(input);
  const a = m.ignoreCase ? input.toLowerCase() : input;
  const b = m.ignoreCase ? m.value.toLowerCase() : m.value;
  switch (m.kind) {
    case 'exact':
      return a === b;
    case 'prefix':
      return a.startsWith(b);
    case 'suffix':
      return a.endsWith(b);
    case 'contains':
      return a.includes(b);
  }
}

export function parseHeaderMatcher(n: Node): HeaderMatcher {
  n.only(['name', 'invert_match', 'present_match', 'string_match', 'exact_match', 'prefix_match', 'suffix_match', 'contains_match']);
  const m: HeaderMatcher = { name: n.str('name').toLowerCase(), invert: n.bool('invert_match') };
  if (n.raw('present_match') !== undefined) m.present = n.bool('present_match');
  else if (n.has('string_match')) m.string = parseStringMatcher(n.reqObj('string_match'));
  else {
    const legacy = (['exact', 'prefix', 'suffix', 'contains'] as const).find((k) => n.has(`${k}_match`));
    if (legacy) m.string = { kind: legacy, value: n.str(`${legacy}_match`), ignoreCase: false };
    else m.present = true; // A bare name means "present" in Envoy.
  }
  return m;
}

function headerValue(input: MatchInput, name: string): string | undefined {
  switch (name) {
    case ':method':
      return input.method;
    case ':path':
      return input.path;
    case ':authority':
    case 'host':
      return input.authority;
    case ':scheme':
      return 'http';
  }
  const v = input.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

export function matchHeader(m: HeaderMatcher, input: MatchInput): boolean {
  const value = headerValue(input, m.name);
  if (value === undefined) {
    // Envoy: a missing header only satisfies "must be absent" (or its inversion of "present").
    return m.invert ? m.present === true : m.present === false;
  }
  const matched = m.string ? matchString(m.string, value) : m.present !== false;
  return matched !== m.invert;
}

export function parseRouteMatch(n: Node): RouteMatch {
  n.only(['prefix', 'path', 'safe_regex', 'path_separated_prefix', 'case_sensitive', 'headers']);
  const caseSensitive = n.bool('case_sensitive', true);
  let path: PathMatcher | undefined;
  for (const kind of ['prefix', 'path', 'path_separated_prefix'] as const) {
    const v = n.optStr(kind);
    if (v !== undefined) path = { kind, value: v };
  }
  const re = n.obj('safe_regex');
  if (re) path = { kind: 'regex', value: re.str('regex'), regex: parseSafeRegex(re, caseSensitive ? '' : 'i') };
  if (!path) throw new EnvoyConfigError(`${n.path}: needs prefix, path, path_separated_prefix or safe_regex`);
  return { path, caseSensitive, headers: n.list('headers').map(parseHeaderMatcher) };
}

export function pathWithoutQuery(path: string): string {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

export function matchRoute(m: RouteMatch, input: MatchInput): boolean {
  const p = pathWithoutQuery(input.path);
  const path = m.caseSensitive ? p : p.toLowerCase();
  const v = m.caseSensitive ? m.path.value : m.path.value.toLowerCase();
  let ok: boolean;
  switch (m.path.kind) {
    case 'prefix':
      ok = path.startsWith(v);
      break;
    case 'path':
      ok = path === v;
      break;
    case 'path_separated_prefix':
      ok = path === v || path.startsWith(`${v}/`);
      break;
    case 'regex':
      ok = m.path.regex!.test(p);
      break;
  }
  return ok && m.headers.every((h) => matchHeader(h, input));
}
