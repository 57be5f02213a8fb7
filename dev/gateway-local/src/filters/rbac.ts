/**
 * The RBAC HTTP filter (envoy.extensions.filters.http.rbac.v3.RBAC), the subset the gateway uses:
 * `rules` with ALLOW or DENY, policies of permissions and principals built from any / and / or /
 * not, header, url_path and dynamic-metadata matchers. Evaluated as Envoy's RBAC engine does:
 * a policy matches when one of its permissions AND one of its principals match; policies are
 * tried in lexicographic order of their names and the first match names the effective policy.
 */
import { EnvoyConfigError, Node } from '../config/reader.js';
import { type HeaderMatcher, type MatchInput, matchHeader, matchString, parseHeaderMatcher, parseStringMatcher, pathWithoutQuery, type StringMatcher } from '../config/matchers.js';

/** envoy.type.matcher.v3.ValueMatcher, for google.protobuf.Value found in dynamic metadata. */
export type ValueMatcher =
  | { kind: 'null' }
  | { kind: 'string'; matcher: StringMatcher }
  | { kind: 'bool'; value: boolean }
  | { kind: 'present'; present: boolean }
  | { kind: 'list'; oneOf: ValueMatcher }
  | { kind: 'or'; matchers: ValueMatcher[] };

/** envoy.type.matcher.v3.MetadataMatcher. */
export interface MetadataMatcher {
  filter: string;
  path: string[];
  value: ValueMatcher;
  invert: boolean;
}

/**
 * A permission (config.rbac.v3.Permission) or a principal (Principal): Envoy spells their
 * combinators differently (and_rules/rules/not_rule vs and_ids/ids/not_id) but they match alike.
 */
export type RbacMatcher =
  | { kind: 'any' }
  | { kind: 'and' | 'or'; all: RbacMatcher[] }
  | { kind: 'not'; matcher: RbacMatcher }
  | { kind: 'header'; matcher: HeaderMatcher }
  | { kind: 'url_path'; matcher: StringMatcher }
  | { kind: 'metadata'; matcher: MetadataMatcher };

export interface RbacPolicy {
  name: string;
  permissions: RbacMatcher[];
  principals: RbacMatcher[];
}

export interface RbacRules {
  action: 'ALLOW' | 'DENY';
  /** Sorted by name, the order Envoy evaluates them in. */
  policies: RbacPolicy[];
}

/** Filter namespace → that filter's dynamic metadata (a google.protobuf.Struct as plain JSON). */
export type DynamicMetadata = Map<string, Record<string, unknown>>;

/** What the matchers look at: the request as it reached the filter, and earlier filters' metadata. */
export interface RbacInput {
  request: MatchInput;
  metadata: DynamicMetadata;
}

// ------------------------------------------------------------------------------------- parsing

function parseValueMatcher(n: Node): ValueMatcher {
  n.only(['null_match', 'string_match', 'bool_match', 'present_match', 'list_match', 'or_match']);
  if (n.raw('null_match') !== undefined) return { kind: 'null' };
  const s = n.obj('string_match');
  if (s) return { kind: 'string', matcher: parseStringMatcher(s) };
  if (n.raw('bool_match') !== undefined) return { kind: 'bool', value: n.bool('bool_match') };
  if (n.raw('present_match') !== undefined) return { kind: 'present', present: n.bool('present_match') };
  const list = n.obj('list_match');
  if (list) return { kind: 'list', oneOf: parseValueMatcher(list.only(['one_of']).reqObj('one_of')) };
  const or = n.obj('or_match');
  if (or) return { kind: 'or', matchers: or.only(['value_matchers']).list('value_matchers').map(parseValueMatcher) };
  throw new EnvoyConfigError(`${n.path}: a value matcher needs null_match, string_match, bool_match, present_match, list_match or or_match`);
}

export function parseMetadataMatcher(n: Node): MetadataMatcher {
  n.only(['filter', 'path', 'value', 'invert']);
  const path = n.list('path').map((seg) => seg.only(['key']).str('key'));
  if (path.length === 0) throw new EnvoyConfigError(`${n.at('path')}: at least one key is required`);
  return { filter: n.str('filter'), path, value: parseValueMatcher(n.reqObj('value')), invert: n.bool('invert') };
}

/** envoy.type.matcher.v3.PathMatcher: `path` is a string matcher on the path without its query. */
function parsePathMatcher(n: Node): StringMatcher {
  return parseStringMatcher(n.only(['path']).reqObj('path'));
}

/** How a permission or a principal names its combinators. */
const PERMISSION_KEYS = { what: 'permission', and: 'and_rules', or: 'or_rules', list: 'rules', not: 'not_rule' } as const;
const PRINCIPAL_KEYS = { what: 'principal', and: 'and_ids', or: 'or_ids', list: 'ids', not: 'not_id' } as const;
type MatcherKeys = typeof PERMISSION_KEYS | typeof PRINCIPAL_KEYS;

function parseMatcher(n: Node, keys: MatcherKeys): RbacMatcher {
  n.only(['any', keys.and, keys.or, keys.not, 'header', 'url_path', 'metadata']);
  if (n.raw('any') !== undefined) {
    if (!n.bool('any')) throw new EnvoyConfigError(`${n.at('any')}: must be true`);
    return { kind: 'any' };
  }
  for (const [key, kind] of [[keys.and, 'and'], [keys.or, 'or']] as const) {
    const set = n.obj(key);
    if (set) {
      const all = set.only([keys.list]).list(keys.list).map((x) => parseMatcher(x, keys));
      if (all.length === 0) throw new EnvoyConfigError(`${set.at(keys.list)}: at least one is required`);
      return { kind, all };
    }
  }
  const not = n.obj(keys.not);
  if (not) return { kind: 'not', matcher: parseMatcher(not, keys) };
  const header = n.obj('header');
  if (header) return { kind: 'header', matcher: parseHeaderMatcher(header) };
  const urlPath = n.obj('url_path');
  if (urlPath) return { kind: 'url_path', matcher: parsePathMatcher(urlPath) };
  const metadata = n.obj('metadata');
  if (metadata) return { kind: 'metadata', matcher: parseMetadataMatcher(metadata) };
  throw new EnvoyConfigError(`${n.path}: empty ${keys.what}`);
}

/** config.rbac.v3.RBAC (the `rules` of the HTTP filter). */
export function parseRbacRules(n: Node): RbacRules {
  n.only(['action', 'policies']);
  const action = n.enumValue('action', ['ALLOW', 'DENY'] as const, 'ALLOW');
  const policies = n
    .entries('policies')
    .map(([name, value]) => {
      const p = Node.of(value, `${n.at('policies')}.${name}`).only(['permissions', 'principals']);
      const permissions = p.list('permissions').map((x) => parseMatcher(x, PERMISSION_KEYS));
      const principals = p.list('principals').map((x) => parseMatcher(x, PRINCIPAL_KEYS));
      if (permissions.length === 0 || principals.length === 0) throw new EnvoyConfigError(`${p.path}: needs at least one permission and one principal`);
      return { name, permissions, principals };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { action, policies };
}

// ---------------------------------------------------------------------------------- evaluation

function matchValue(m: ValueMatcher, v: unknown): boolean {
  switch (m.kind) {
    case 'null':
      return v === null;
    case 'string':
      return typeof v === 'string' && matchString(m.matcher, v);
    case 'bool':
      return v === m.value;
    case 'present':
      // An absent value never counts as present; present_match: false matches nothing.
      return m.present && v !== undefined;
    case 'list':
      return Array.isArray(v) && v.some((item) => matchValue(m.oneOf, item));
    case 'or':
      return m.matchers.some((x) => matchValue(x, v));
  }
}

export function matchMetadata(m: MetadataMatcher, metadata: DynamicMetadata): boolean {
  let v: unknown = metadata.get(m.filter);
  for (const key of m.path) {
    v = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[key] : undefined;
  }
  return matchValue(m.value, v) !== m.invert;
}

function matchRbac(m: RbacMatcher, input: RbacInput): boolean {
  switch (m.kind) {
    case 'any':
      return true;
    case 'and':
      return m.all.every((x) => matchRbac(x, input));
    case 'or':
      return m.all.some((x) => matchRbac(x, input));
    case 'not':
      return !matchRbac(m.matcher, input);
    case 'header':
      return matchHeader(m.matcher, input.request);
    case 'url_path':
      return matchString(m.matcher, pathWithoutQuery(input.request.path));
    case 'metadata':
      return matchMetadata(m.matcher, input.metadata);
  }
}

export interface RbacDecision {
  allowed: boolean;
  /** The first matching policy, as Envoy reports it in rbac_access_denied_matched_policy[…]. */
  policy?: string;
}

export function evaluateRbac(rules: RbacRules, input: RbacInput): RbacDecision {
  const matched = rules.policies.find((p) => p.permissions.some((x) => matchRbac(x, input)) && p.principals.some((x) => matchRbac(x, input)));
  return { allowed: rules.action === 'ALLOW' ? matched !== undefined : matched === undefined, policy: matched?.name };
}
