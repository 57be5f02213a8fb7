/**
 * gateway-envoy/envoy.yaml → a typed description of what the gateway does. Only the constructs the
 * local gateway mirrors are accepted; everything else stops the load with the offending location.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { type BodyFormat, parseBodyFormat } from './format.js';
import {
  type HeaderMatcher,
  parseHeaderMatcher,
  parseRouteMatch,
  parseStringMatcher,
  type RouteMatch,
  type StringMatcher,
} from './matchers.js';
import { parseRbacRules, type RbacRules } from '../filters/rbac.js';
import { EnvoyConfigError, Node } from './reader.js';

export { EnvoyConfigError } from './reader.js';

// ------------------------------------------------------------------------------------------ types

export interface FractionalPercent {
  /** 0..1 */
  fraction: number;
  /** Envoy runtime key whose value (a percentage) overrides the default. */
  runtimeKey?: string;
}

export interface TokenBucket {
  maxTokens: number;
  tokensPerFill: number;
  fillIntervalMs: number;
}

/** One LocalRateLimitDescriptor: an empty value is a wildcard, one bucket per distinct value (Envoy v1.34+). */
export interface RateLimitDescriptorConfig {
  entries: { key: string; value: string }[];
  bucket: TokenBucket;
}

export interface LocalRateLimitConfig {
  statPrefix: string;
  bucket?: TokenBucket;
  enabled: FractionalPercent;
  enforced: FractionalPercent;
  status: number;
  responseHeadersToAdd: HeaderValue[];
  descriptors: RateLimitDescriptorConfig[];
  /** Which of the route's rate_limits this filter instance evaluates. */
  stage: number;
  /** false: the default bucket is only taken when no descriptor matched (Envoy's default: true). */
  alwaysConsumeDefault: boolean;
  /** Size of the LRU of per-value buckets (Envoy's default: 20). */
  maxDynamicDescriptors: number;
  /** enable_x_ratelimit_headers: DRAFT_VERSION_03. */
  xRateLimitHeaders: boolean;
}

/** A route's rate_limits action: each yields one descriptor entry, or none (the descriptor is dropped). */
export type RateLimitAction =
  | { kind: 'remote_address' }
  | { kind: 'request_headers'; headerName: string; descriptorKey: string; skipIfAbsent: boolean }
  | { kind: 'generic_key'; descriptorKey: string; value: string }
  | { kind: 'metadata'; descriptorKey: string; namespace: string; path: string[]; defaultValue?: string; skipIfAbsent: boolean };

export interface RateLimitPolicy {
  stage: number;
  actions: RateLimitAction[];
}

export interface CorsPolicy {
  allowOrigins: StringMatcher[];
  allowMethods?: string;
  allowHeaders?: string;
  exposeHeaders?: string;
  maxAge?: string;
  allowCredentials: boolean;
  forwardNotMatchingPreflights: boolean;
  enabled: FractionalPercent;
}

export type PerFilterConfig =
  | { type: 'cors'; policy: CorsPolicy }
  | { type: 'local_ratelimit'; config: LocalRateLimitConfig }
  /** envoy.config.route.v3.FilterConfig { disabled: true }: the filter is left out for the route. */
  | { type: 'disabled' };

export interface HeaderValue {
  key: string;
  value: string;
}

export type RouteAction =
  | { kind: 'route'; cluster: string; timeoutMs: number; prefixRewrite?: string; rateLimits: RateLimitPolicy[] }
  | { kind: 'direct'; status: number; body?: string };

export interface Route {
  name: string;
  match: RouteMatch;
  action: RouteAction;
  /** Keyed by HTTP filter name, as Envoy's typed_per_filter_config is. */
  perFilter: Map<string, PerFilterConfig>;
}

export interface VirtualHost {
  name: string;
  domains: string[];
  routes: Route[];
  perFilter: Map<string, PerFilterConfig>;
}

export type JwtRequirement =
  | { kind: 'provider'; provider: string; audiences?: string[] }
  | { kind: 'any'; requirements: JwtRequirement[] }
  | { kind: 'all'; requirements: JwtRequirement[] }
  | { kind: 'allow_missing' }
  | { kind: 'allow_missing_or_failed' };

export interface JwtProvider {
  name: string;
  issuer?: string;
  audiences: string[];
  forward: boolean;
  fromHeaders: { name: string; valuePrefix: string }[];
  fromParams: string[];
  jwks: { kind: 'remote'; uri: string; cluster: string; timeoutMs: number; cacheDurationMs: number } | { kind: 'local'; json: string };
  clockSkewSeconds: number;
  forwardPayloadHeader?: string;
  /** Key under which the verified payload goes into the jwt_authn filter's dynamic metadata. */
  payloadInMetadata?: string;
}

export interface JwtRule {
  match: RouteMatch;
  requires?: JwtRequirement;
}

export interface TranscoderConfig {
  services: string[];
  descriptorPath?: string;
  printOptions: { addWhitespace: boolean; alwaysPrintPrimitiveFields: boolean; alwaysPrintEnumsAsInts: boolean; preserveProtoFieldNames: boolean };
  convertGrpcStatus: boolean;
  autoMapping: boolean;
  matchIncomingRequestRoute: boolean;
  ignoredQueryParameters: string[];
  ignoreUnknownQueryParameters: boolean;
  rejectUnknownMethod: boolean;
  rejectUnknownQueryParameters: boolean;
  rejectBindingBodyFieldCollisions: boolean;
  urlUnescapeSpec: 'ALL_CHARACTERS_EXCEPT_RESERVED' | 'ALL_CHARACTERS_EXCEPT_SLASH' | 'ALL_CHARACTERS';
  queryParamUnescapePlus: boolean;
  matchUnregisteredCustomVerb: boolean;
  caseInsensitiveEnumParsing: boolean;
  maxRequestBodySize?: number;
}

/** A request-header predicate of an xds matcher (ExtensionWithMatcher). */
export type MatchPredicate =
  | { kind: 'header'; name: string; match: StringMatcher }
  | { kind: 'not'; predicate: MatchPredicate }
  | { kind: 'and' | 'or'; predicates: MatchPredicate[] };

/** ExtensionWithMatcher around a filter: the first predicate that matches decides; its action is SkipFilter or nothing. */
export interface FilterMatcher {
  matchers: { predicate: MatchPredicate; skip: boolean }[];
  onNoMatchSkip: boolean;
}

export interface HeaderMutationEntry {
  kind: 'append' | 'remove';
  key: string;
  value: string;
  action: 'OVERWRITE_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'APPEND_IF_EXISTS_OR_ADD';
}

export type HttpFilter = (
  | { kind: 'header_mutation'; name: string; request: HeaderMutationEntry[]; response: HeaderMutationEntry[] }
  | { kind: 'health_check'; name: string; headers: HeaderMatcher[]; clusterMinHealthyPercentages: Map<string, number> }
  | { kind: 'cors'; name: string }
  | { kind: 'local_ratelimit'; name: string; config: LocalRateLimitConfig }
  | {
      kind: 'jwt_authn';
      name: string;
      providers: Map<string, JwtProvider>;
      rules: JwtRule[];
      bypassCorsPreflight: boolean;
      stripFailureResponse: boolean;
    }
  /** rules absent: the filter enforces nothing (Envoy's behaviour for an RBAC without rules). */
  | { kind: 'rbac'; name: string; rules?: RbacRules }
  | { kind: 'buffer'; name: string; maxRequestBytes: number }
  | ({ kind: 'grpc_json_transcoder'; name: string } & TranscoderConfig)
  | { kind: 'router'; name: string }
) & { matcher?: FilterMatcher };

export type AccessLogFilter =
  | { kind: 'status'; op: 'EQ' | 'GE' | 'LE'; value: number }
  | { kind: 'header'; matcher: HeaderMatcher }
  | { kind: 'flags'; flags: string[] }
  | { kind: 'and' | 'or'; filters: AccessLogFilter[] };

export interface LocalReplyMapper {
  filter: AccessLogFilter;
  statusCode?: number;
  body?: string;
  headersToAdd: HeaderValue[];
  bodyFormat?: BodyFormat;
}

export interface LocalReplyConfig {
  mappers: LocalReplyMapper[];
  bodyFormat?: BodyFormat;
}

export interface AccessLog {
  name: string;
  format?: BodyFormat;
}

export interface HealthCheck {
  timeoutMs: number;
  intervalMs: number;
  noTrafficIntervalMs: number;
  unhealthyIntervalMs?: number;
  unhealthyThreshold: number;
  healthyThreshold: number;
  grpc: { serviceName: string; authority?: string };
}

/**
 * Envoy's passive health checking (`outlier_detection`), the part the local gateway runs:
 * locally originated failures (connect refused or timed out, reset, request timeout) in a row
 * eject a host; with active health checks, the next passing check brings it back.
 */
export interface OutlierDetection {
  /** consecutive_local_origin_failure (Envoy's default 5). */
  consecutiveLocalOriginFailure: number;
  /** enforcing_consecutive_local_origin_failure, percent (default 100). */
  enforcingLocalOriginPercent: number;
  /** base_ejection_time (default 30 s); the n-th ejection lasts n times as long, up to maxEjectionTimeMs. */
  baseEjectionTimeMs: number;
  maxEjectionTimeMs: number;
  /** max_ejection_percent (default 10; Envoy ejects at least one host whatever it says). */
  maxEjectionPercent: number;
  /** successful_active_health_check_uneject_host (default true). */
  unejectOnActiveSuccess: boolean;
}

export interface Cluster {
  name: string;
  connectTimeoutMs: number;
  endpoints: { host: string; port: number }[];
  http2: boolean;
  healthChecks: HealthCheck[];
  outlierDetection?: OutlierDetection;
}

/** The connection manager's timeouts (Envoy's defaults: none, except 5 min of stream idleness). */
export interface ConnectionTimeouts {
  /** request_headers_timeout: the whole header block must arrive within this (slowloris). */
  requestHeadersMs: number;
  /** request_timeout: the whole request, body included. */
  requestMs: number;
  /** common_http_protocol_options.idle_timeout: a connection with no request in flight is closed. */
  idleMs: number;
}

export interface ConnectionManager {
  timeouts: ConnectionTimeouts;
  statPrefix: string;
  serverName: string;
  useRemoteAddress: boolean;
  xffNumTrustedHops: number;
  skipXffAppend: boolean;
  normalizePath: boolean;
  mergeSlashes: boolean;
  generateRequestId: boolean;
  preserveExternalRequestId: boolean;
  alwaysSetRequestIdInResponse: boolean;
  accessLogs: AccessLog[];
  localReply: LocalReplyConfig;
  virtualHosts: VirtualHost[];
  filters: HttpFilter[];
}

/** envoy.filters.network.connection_limit in front of the HTTP connection manager. */
export interface ConnectionLimit {
  statPrefix: string;
  maxConnections: number;
  /** How long a connection over the limit is held before it is closed (Envoy's default: 0). */
  delayMs: number;
}

export interface GatewayConfig {
  source: string;
  listener: { name: string; address: string; port: number; connectionLimit?: ConnectionLimit };
  hcm: ConnectionManager;
  clusters: Map<string, Cluster>;
}

// ------------------------------------------------------------------------------------- helpers

function parsePercent(n: Node | undefined, fallback: number): FractionalPercent {
  if (!n) return { fraction: fallback };
  n.only(['default_value', 'runtime_key']);
  const d = n.obj('default_value');
  if (!d) return { fraction: fallback };
  d.only(['numerator', 'denominator']);
  const denominators = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 } as const;
  const den = denominators[d.enumValue('denominator', ['HUNDRED', 'TEN_THOUSAND', 'MILLION'] as const, 'HUNDRED')];
  return { fraction: Math.min(1, d.num('numerator', 0) / den), runtimeKey: n.optStr('runtime_key') || undefined };
}

function parseHeaderValueOptions(list: Node[]): HeaderValue[] {
  return list.map((o) => {
    o.only(['header', 'append_action'], []);
    const action = o.enumValue('append_action', ['OVERWRITE_IF_EXISTS_OR_ADD'] as const, 'OVERWRITE_IF_EXISTS_OR_ADD');
    void action;
    const h = o.reqObj('header').only(['key', 'value']);
    return { key: h.str('key').toLowerCase(), value: h.str('value', '') };
  });
}

function parseTokenBucket(tb: Node): TokenBucket {
  tb.only(['max_tokens', 'tokens_per_fill', 'fill_interval']);
  const fillIntervalMs = tb.optDurationMs('fill_interval');
  if (fillIntervalMs === undefined) throw new EnvoyConfigError(`${tb.at('fill_interval')}: required`);
  // Envoy refuses refills faster than every 50 ms.
  if (fillIntervalMs < 50) throw new EnvoyConfigError(`${tb.at('fill_interval')}: must be at least 50ms`);
  return { maxTokens: tb.num('max_tokens'), tokensPerFill: tb.num('tokens_per_fill', 1), fillIntervalMs };
}

function parseLocalRateLimit(n: Node): LocalRateLimitConfig {
  n.expectType('envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit');
  n.only(
    [
      'stat_prefix',
      'token_bucket',
      'filter_enabled',
      'filter_enforced',
      'status',
      'response_headers_to_add',
      'descriptors',
      'stage',
      'always_consume_default_token_bucket',
      'max_dynamic_descriptors',
      'enable_x_ratelimit_headers',
    ],
    [],
  );
  const tb = n.obj('token_bucket');
  const status = n.obj('status');
  const descriptors = n.list('descriptors').map((d) => {
    d.only(['entries', 'token_bucket']);
    const entries = d.list('entries').map((e) => {
      e.only(['key', 'value']);
      return { key: e.str('key'), value: e.str('value', '') };
    });
    if (entries.length === 0) throw new EnvoyConfigError(`${d.at('entries')}: at least one entry`);
    return { entries, bucket: parseTokenBucket(d.reqObj('token_bucket')) };
  });
  const stage = n.num('stage', 0);
  if (stage > 10) throw new EnvoyConfigError(`${n.at('stage')}: 0..10`);
  return {
    statPrefix: n.str('stat_prefix'),
    bucket: tb ? parseTokenBucket(tb) : undefined,
    // Envoy's defaults: enabled for 0% and enforced for 0% of requests unless configured.
    enabled: parsePercent(n.obj('filter_enabled'), 0),
    enforced: parsePercent(n.obj('filter_enforced'), 0),
    status: status ? status.only(['code']).num('code') : 429,
    responseHeadersToAdd: parseHeaderValueOptions(n.list('response_headers_to_add')),
    descriptors,
    stage,
    alwaysConsumeDefault: n.bool('always_consume_default_token_bucket', true),
    maxDynamicDescriptors: n.num('max_dynamic_descriptors', 20),
    xRateLimitHeaders: n.enumValue('enable_x_ratelimit_headers', ['OFF', 'DRAFT_VERSION_03'] as const, 'OFF') === 'DRAFT_VERSION_03',
  };
}

function parseRateLimitAction(n: Node): RateLimitAction {
  n.only(['remote_address', 'request_headers', 'generic_key', 'metadata']);
  if (n.raw('remote_address') !== undefined) return { kind: 'remote_address' };
  const rh = n.obj('request_headers');
  if (rh) {
    rh.only(['header_name', 'descriptor_key', 'skip_if_absent']);
    return { kind: 'request_headers', headerName: rh.str('header_name').toLowerCase(), descriptorKey: rh.str('descriptor_key'), skipIfAbsent: rh.bool('skip_if_absent') };
  }
  const gk = n.obj('generic_key');
  if (gk) {
    gk.only(['descriptor_value', 'descriptor_key']);
    return { kind: 'generic_key', descriptorKey: gk.str('descriptor_key', 'generic_key'), value: gk.str('descriptor_value') };
  }
  const md = n.obj('metadata');
  if (md) {
    md.only(['descriptor_key', 'metadata_key', 'default_value', 'source', 'skip_if_absent']);
    md.enumValue('source', ['DYNAMIC'] as const, 'DYNAMIC');
    const key = md.reqObj('metadata_key').only(['key', 'path']);
    return {
      kind: 'metadata',
      descriptorKey: md.str('descriptor_key'),
      namespace: key.str('key'),
      path: key.list('path').map((p) => p.only(['key']).str('key')),
      defaultValue: md.optStr('default_value') || undefined,
      skipIfAbsent: md.bool('skip_if_absent'),
    };
  }
  throw new EnvoyConfigError(`${n.path}: the local gateway supports remote_address, request_headers, generic_key and metadata actions`);
}

function parseRateLimitPolicy(n: Node): RateLimitPolicy {
  n.only(['stage', 'actions']);
  const actions = n.list('actions').map(parseRateLimitAction);
  if (actions.length === 0) throw new EnvoyConfigError(`${n.at('actions')}: at least one action`);
  return { stage: n.num('stage', 0), actions };
}

function parseCorsPolicy(n: Node): CorsPolicy {
  n.expectType('envoy.extensions.filters.http.cors.v3.CorsPolicy');
  n.only([
    'allow_origin_string_match',
    'allow_methods',
    'allow_headers',
    'expose_headers',
    'max_age',
    'allow_credentials',
    'forward_not_matching_preflights',
    'filter_enabled',
  ]);
  return {
    allowOrigins: n.list('allow_origin_string_match').map(parseStringMatcher),
    allowMethods: n.optStr('allow_methods'),
    allowHeaders: n.optStr('allow_headers'),
    exposeHeaders: n.optStr('expose_headers'),
    maxAge: n.optStr('max_age'),
    allowCredentials: n.bool('allow_credentials'),
    forwardNotMatchingPreflights: n.bool('forward_not_matching_preflights', true),
    enabled: parsePercent(n.obj('filter_enabled'), 1),
  };
}

function parseOnePerFilter(cfg: Node): PerFilterConfig {
  const type = cfg.typeUrl() ?? '';
  if (type === 'type.googleapis.com/envoy.config.route.v3.FilterConfig') {
    cfg.only(['disabled', 'config'], ['is_optional']);
    if (cfg.bool('disabled')) return { type: 'disabled' };
    return parseOnePerFilter(cfg.reqObj('config'));
  }
  if (type === 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy') return { type: 'cors', policy: parseCorsPolicy(cfg) };
  if (type === 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit') {
    const config = parseLocalRateLimit(cfg);
    // As Envoy: a per-route config without a token bucket is refused at load.
    if (!config.bucket) throw new EnvoyConfigError(`${cfg.path}: a per-route LocalRateLimit needs a token_bucket`);
    return { type: 'local_ratelimit', config };
  }
  throw new EnvoyConfigError(`${cfg.path}: per-route config of type ${type || 'unknown'} is not supported by the local gateway`);
}

function parsePerFilter(n: Node, key: string): Map<string, PerFilterConfig> {
  const out = new Map<string, PerFilterConfig>();
  for (const [name, value] of n.entries(key)) out.set(name, parseOnePerFilter(Node.of(value, `${n.at(key)}.${name}`)));
  return out;
}

function parseRoute(n: Node, index: number): Route {
  n.only(['name', 'match', 'route', 'direct_response', 'typed_per_filter_config']);
  let action: RouteAction;
  const r = n.obj('route');
  const d = n.obj('direct_response');
  if (r) {
    r.only(['cluster', 'timeout', 'prefix_rewrite', 'rate_limits']);
    // Envoy's default route timeout is 15 s; 0 disables it.
    action = {
      kind: 'route',
      cluster: r.str('cluster'),
      timeoutMs: r.optDurationMs('timeout') ?? 15_000,
      prefixRewrite: r.optStr('prefix_rewrite'),
      rateLimits: r.list('rate_limits').map(parseRateLimitPolicy),
    };
  } else if (d) {
    d.only(['status', 'body']);
    const body = d.obj('body');
    action = { kind: 'direct', status: d.num('status'), body: body?.only(['inline_string']).str('inline_string') };
  } else {
    throw new EnvoyConfigError(`${n.path}: the local gateway supports route and direct_response actions only`);
  }
  return {
    name: n.optStr('name') ?? `route_${index}`,
    match: parseRouteMatch(n.reqObj('match')),
    action,
    perFilter: parsePerFilter(n, 'typed_per_filter_config'),
  };
}

function parseJwtRequirement(n: Node): JwtRequirement {
  n.only(['provider_name', 'provider_and_audiences', 'requires_any', 'requires_all', 'allow_missing', 'allow_missing_or_failed']);
  const provider = n.optStr('provider_name');
  if (provider !== undefined) return { kind: 'provider', provider };
  const pa = n.obj('provider_and_audiences');
  if (pa) {
    pa.only(['provider_name', 'audiences']);
    return { kind: 'provider', provider: pa.str('provider_name'), audiences: pa.strList('audiences') };
  }
  for (const [key, kind] of [['requires_any', 'any'], ['requires_all', 'all']] as const) {
    const list = n.obj(key);
    if (list) return { kind, requirements: list.only(['requirements']).list('requirements').map(parseJwtRequirement) };
  }
  if (n.raw('allow_missing') !== undefined) return { kind: 'allow_missing' };
  if (n.raw('allow_missing_or_failed') !== undefined) return { kind: 'allow_missing_or_failed' };
  throw new EnvoyConfigError(`${n.path}: empty JWT requirement`);
}

function parseJwtProvider(name: string, n: Node): JwtProvider {
  n.only(['issuer', 'audiences', 'forward', 'from_headers', 'from_params', 'remote_jwks', 'local_jwks', 'clock_skew_seconds', 'forward_payload_header', 'payload_in_metadata']);
  let jwks: JwtProvider['jwks'];
  const remote = n.obj('remote_jwks');
  const local = n.obj('local_jwks');
  if (remote) {
    remote.only(['http_uri', 'cache_duration']);
    const uri = remote.reqObj('http_uri').only(['uri', 'cluster', 'timeout']);
    jwks = {
      kind: 'remote',
      uri: uri.str('uri'),
      cluster: uri.str('cluster'),
      timeoutMs: uri.optDurationMs('timeout') ?? 1000,
      // Envoy's default cache duration is 10 minutes.
      cacheDurationMs: remote.optDurationMs('cache_duration') ?? 600_000,
    };
  } else if (local) {
    jwks = { kind: 'local', json: local.only(['inline_string']).str('inline_string') };
  } else {
    throw new EnvoyConfigError(`${n.path}: needs remote_jwks or local_jwks`);
  }
  const fromHeaders = n.list('from_headers').map((h) => {
    h.only(['name', 'value_prefix']);
    return { name: h.str('name').toLowerCase(), valuePrefix: h.str('value_prefix', '') };
  });
  const fromParams = n.strList('from_params');
  const defaults = fromHeaders.length === 0 && fromParams.length === 0;
  return {
    name,
    issuer: n.optStr('issuer') || undefined,
    audiences: n.strList('audiences'),
    forward: n.bool('forward'),
    // With no location configured Envoy looks at "Authorization: Bearer" and ?access_token=.
    fromHeaders: defaults ? [{ name: 'authorization', valuePrefix: 'Bearer ' }] : fromHeaders,
    fromParams: defaults ? ['access_token'] : fromParams,
    jwks,
    clockSkewSeconds: n.optNum('clock_skew_seconds') ?? 60,
    forwardPayloadHeader: n.optStr('forward_payload_header'),
    payloadInMetadata: n.optStr('payload_in_metadata') || undefined,
  };
}

function parseTranscoder(n: Node): TranscoderConfig {
  n.only(
    [
      'proto_descriptor',
      'proto_descriptor_bin',
      'services',
      'print_options',
      'convert_grpc_status',
      'auto_mapping',
      'match_incoming_request_route',
      'ignored_query_parameters',
      'ignore_unknown_query_parameters',
      'request_validation_options',
      'url_unescape_spec',
      'query_param_unescape_plus',
      'match_unregistered_custom_verb',
      'case_insensitive_enum_parsing',
      'max_request_body_size',
    ],
    [],
  );
  const print = n.obj('print_options');
  print?.only(['add_whitespace', 'always_print_primitive_fields', 'always_print_enums_as_ints', 'preserve_proto_field_names']);
  const validation = n.obj('request_validation_options');
  validation?.only(['reject_unknown_method', 'reject_unknown_query_parameters', 'reject_binding_body_field_collisions']);
  return {
    services: n.strList('services'),
    descriptorPath: n.optStr('proto_descriptor'),
    printOptions: {
      addWhitespace: print?.bool('add_whitespace') ?? false,
      alwaysPrintPrimitiveFields: print?.bool('always_print_primitive_fields') ?? false,
      alwaysPrintEnumsAsInts: print?.bool('always_print_enums_as_ints') ?? false,
      preserveProtoFieldNames: print?.bool('preserve_proto_field_names') ?? false,
    },
    convertGrpcStatus: n.bool('convert_grpc_status'),
    autoMapping: n.bool('auto_mapping'),
    matchIncomingRequestRoute: n.bool('match_incoming_request_route'),
    ignoredQueryParameters: n.strList('ignored_query_parameters'),
    ignoreUnknownQueryParameters: n.bool('ignore_unknown_query_parameters'),
    rejectUnknownMethod: validation?.bool('reject_unknown_method') ?? false,
    rejectUnknownQueryParameters: validation?.bool('reject_unknown_query_parameters') ?? false,
    rejectBindingBodyFieldCollisions: validation?.bool('reject_binding_body_field_collisions') ?? false,
    urlUnescapeSpec: n.enumValue(
      'url_unescape_spec',
      ['ALL_CHARACTERS_EXCEPT_RESERVED', 'ALL_CHARACTERS_EXCEPT_SLASH', 'ALL_CHARACTERS'] as const,
      'ALL_CHARACTERS_EXCEPT_RESERVED',
    ),
    queryParamUnescapePlus: n.bool('query_param_unescape_plus'),
    matchUnregisteredCustomVerb: n.bool('match_unregistered_custom_verb'),
    caseInsensitiveEnumParsing: n.bool('case_insensitive_enum_parsing'),
    maxRequestBodySize: n.optNum('max_request_body_size'),
  };
}

function parseHeaderMutations(list: Node[]): HeaderMutationEntry[] {
  return list.map((m) => {
    m.only(['append', 'remove']);
    const remove = m.optStr('remove');
    if (remove !== undefined) return { kind: 'remove', key: remove.toLowerCase(), value: '', action: 'OVERWRITE_IF_EXISTS_OR_ADD' };
    const o = m.reqObj('append').only(['header', 'append_action']);
    const h = o.reqObj('header').only(['key', 'value']);
    const value = h.str('value', '');
    // Header values are substitution format strings in Envoy; only literal values are mirrored.
    if (/%[A-Z_]+(\(|%)/.test(value)) throw new EnvoyConfigError(`${h.at('value')}: formatter commands are not supported by the local gateway`);
    return {
      kind: 'append',
      key: h.str('key').toLowerCase(),
      value,
      action: o.enumValue('append_action', ['OVERWRITE_IF_EXISTS_OR_ADD', 'ADD_IF_ABSENT', 'APPEND_IF_EXISTS_OR_ADD'] as const, 'APPEND_IF_EXISTS_OR_ADD'),
    };
  });
}

const SKIP_FILTER = 'type.googleapis.com/envoy.extensions.filters.common.matcher.action.v3.SkipFilter';

function parseMatchPredicate(n: Node): MatchPredicate {
  n.only(['single_predicate', 'not_matcher', 'and_matcher', 'or_matcher']);
  const single = n.obj('single_predicate');
  if (single) {
    single.only(['input', 'value_match']);
    const input = single.reqObj('input').only(['name', 'typed_config']);
    const cfg = input.reqObj('typed_config');
    cfg.expectType('envoy.type.matcher.v3.HttpRequestHeaderMatchInput');
    cfg.only(['header_name']);
    return { kind: 'header', name: cfg.str('header_name').toLowerCase(), match: parseStringMatcher(single.reqObj('value_match')) };
  }
  const not = n.obj('not_matcher');
  if (not) return { kind: 'not', predicate: parseMatchPredicate(not) };
  for (const [key, kind] of [['and_matcher', 'and'], ['or_matcher', 'or']] as const) {
    const l = n.obj(key);
    if (l) return { kind, predicates: l.only(['predicate']).list('predicate').map(parseMatchPredicate) };
  }
  throw new EnvoyConfigError(`${n.path}: empty predicate`);
}

/** An on_match / on_no_match: SkipFilter, or nothing (the filter runs). */
function parseOnMatchSkips(n: Node): boolean {
  n.only(['action']);
  const action = n.obj('action');
  if (!action) return false;
  action.only(['name', 'typed_config']);
  const t = action.reqObj('typed_config');
  if (t.typeUrl() !== SKIP_FILTER) throw new EnvoyConfigError(`${action.path}: only the SkipFilter action is supported by the local gateway`);
  return true;
}

function parseFilterMatcher(n: Node): FilterMatcher {
  n.only(['matcher_list', 'on_no_match']);
  const list = n.reqObj('matcher_list').only(['matchers']);
  const noMatch = n.obj('on_no_match');
  return {
    matchers: list.list('matchers').map((m) => {
      m.only(['predicate', 'on_match']);
      return { predicate: parseMatchPredicate(m.reqObj('predicate')), skip: parseOnMatchSkips(m.reqObj('on_match')) };
    }),
    onNoMatchSkip: noMatch ? parseOnMatchSkips(noMatch) : false,
  };
}

function parseHttpFilter(n: Node): HttpFilter {
  n.only(['name', 'typed_config']);
  const name = n.str('name');
  let cfg = n.reqObj('typed_config');
  let matcher: FilterMatcher | undefined;
  // ExtensionWithMatcher: the wrapped filter, skipped for requests its matcher says to skip.
  if (cfg.typeUrl() === 'type.googleapis.com/envoy.extensions.common.matching.v3.ExtensionWithMatcher') {
    cfg.only(['xds_matcher', 'extension_config']);
    matcher = parseFilterMatcher(cfg.reqObj('xds_matcher'));
    cfg = cfg.reqObj('extension_config').only(['name', 'typed_config']).reqObj('typed_config');
  }
  const filter = parseInnerHttpFilter(name, cfg, n);
  return matcher ? { ...filter, matcher } : filter;
}

function parseInnerHttpFilter(name: string, cfg: Node, n: Node): HttpFilter {
  const type = cfg.typeUrl() ?? '';
  const is = (t: string) => type === `type.googleapis.com/${t}`;
  if (is('envoy.extensions.filters.http.header_mutation.v3.HeaderMutation')) {
    cfg.only(['mutations']);
    const m = cfg.reqObj('mutations').only(['request_mutations', 'response_mutations']);
    return { kind: 'header_mutation', name, request: parseHeaderMutations(m.list('request_mutations')), response: parseHeaderMutations(m.list('response_mutations')) };
  }
  if (is('envoy.extensions.filters.http.health_check.v3.HealthCheck')) {
    cfg.only(['pass_through_mode', 'headers', 'cluster_min_healthy_percentages']);
    if (cfg.bool('pass_through_mode')) throw new EnvoyConfigError(`${cfg.at('pass_through_mode')}: only false is supported by the local gateway`);
    const pct = new Map<string, number>();
    for (const [cluster, v] of cfg.entries('cluster_min_healthy_percentages')) {
      pct.set(cluster, Node.of(v, `${cfg.at('cluster_min_healthy_percentages')}.${cluster}`).only(['value']).num('value'));
    }
    return { kind: 'health_check', name, headers: cfg.list('headers').map(parseHeaderMatcher), clusterMinHealthyPercentages: pct };
  }
  if (is('envoy.extensions.filters.http.cors.v3.Cors')) {
    cfg.only([]);
    return { kind: 'cors', name };
  }
  if (is('envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit')) {
    return { kind: 'local_ratelimit', name, config: parseLocalRateLimit(cfg) };
  }
  if (is('envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication')) {
    cfg.only(['providers', 'rules', 'bypass_cors_preflight', 'strip_failure_response']);
    const providers = new Map<string, JwtProvider>();
    for (const [pname, v] of cfg.entries('providers')) providers.set(pname, parseJwtProvider(pname, Node.of(v, `${cfg.at('providers')}.${pname}`)));
    const rules = cfg.list('rules').map((r) => {
      r.only(['match', 'requires']);
      const requires = r.obj('requires');
      return { match: parseRouteMatch(r.reqObj('match')), requires: requires ? parseJwtRequirement(requires) : undefined };
    });
    const check = (req: JwtRequirement | undefined, where: string): void => {
      if (!req) return;
      if (req.kind === 'provider' && !providers.has(req.provider)) throw new EnvoyConfigError(`${where}: unknown provider ${req.provider}`);
      if (req.kind === 'any' || req.kind === 'all') req.requirements.forEach((r) => check(r, where));
    };
    rules.forEach((r, i) => check(r.requires, `${cfg.at('rules')}[${i}]`));
    return {
      kind: 'jwt_authn',
      name,
      providers,
      rules,
      bypassCorsPreflight: cfg.bool('bypass_cors_preflight'),
      stripFailureResponse: cfg.bool('strip_failure_response'),
    };
  }
  if (is('envoy.extensions.filters.http.rbac.v3.RBAC')) {
    cfg.only(['rules'], ['rules_stat_prefix']);
    const rules = cfg.obj('rules');
    return { kind: 'rbac', name, rules: rules ? parseRbacRules(rules) : undefined };
  }
  if (is('envoy.extensions.filters.http.buffer.v3.Buffer')) {
    cfg.only(['max_request_bytes']);
    return { kind: 'buffer', name, maxRequestBytes: cfg.num('max_request_bytes') };
  }
  if (is('envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder')) {
    return { kind: 'grpc_json_transcoder', name, ...parseTranscoder(cfg) };
  }
  if (is('envoy.extensions.filters.http.router.v3.Router')) {
    cfg.only([], ['suppress_envoy_headers']);
    return { kind: 'router', name };
  }
  throw new EnvoyConfigError(`${n.path} (${name}): HTTP filter ${type || 'without @type'} is not supported by the local gateway`);
}

function parseAccessLogFilter(n: Node): AccessLogFilter {
  n.only(['status_code_filter', 'header_filter', 'response_flag_filter', 'and_filter', 'or_filter']);
  const status = n.obj('status_code_filter');
  if (status) {
    const cmp = status.only(['comparison']).reqObj('comparison').only(['op', 'value']);
    const value = cmp.reqObj('value').only(['default_value', 'runtime_key']);
    return { kind: 'status', op: cmp.enumValue('op', ['EQ', 'GE', 'LE'] as const, 'EQ'), value: value.num('default_value') };
  }
  const header = n.obj('header_filter');
  if (header) return { kind: 'header', matcher: parseHeaderMatcher(header.only(['header']).reqObj('header')) };
  const flags = n.obj('response_flag_filter');
  if (flags) return { kind: 'flags', flags: flags.only(['flags']).strList('flags') };
  for (const [key, kind] of [['and_filter', 'and'], ['or_filter', 'or']] as const) {
    const f = n.obj(key);
    if (f) return { kind, filters: f.only(['filters']).list('filters').map(parseAccessLogFilter) };
  }
  throw new EnvoyConfigError(`${n.path}: empty filter`);
}

function parseLocalReply(n: Node | undefined): LocalReplyConfig {
  if (!n) return { mappers: [] };
  n.only(['mappers', 'body_format']);
  const bodyFormat = n.obj('body_format');
  return {
    mappers: n.list('mappers').map((m) => {
      m.only(['filter', 'status_code', 'body', 'headers_to_add', 'body_format_override']);
      const body = m.obj('body');
      const fmt = m.obj('body_format_override');
      return {
        filter: parseAccessLogFilter(m.reqObj('filter')),
        statusCode: m.optNum('status_code'),
        body: body?.only(['inline_string']).str('inline_string'),
        headersToAdd: parseHeaderValueOptions(m.list('headers_to_add')),
        bodyFormat: fmt ? parseBodyFormat(fmt) : undefined,
      };
    }),
    bodyFormat: bodyFormat ? parseBodyFormat(bodyFormat) : undefined,
  };
}

function parseAccessLog(n: Node): AccessLog {
  n.only(['name', 'typed_config']);
  const cfg = n.reqObj('typed_config');
  cfg.expectType('envoy.extensions.access_loggers.stream.v3.StdoutAccessLog', 'envoy.extensions.access_loggers.stream.v3.StderrAccessLog');
  cfg.only(['log_format']);
  const fmt = cfg.obj('log_format');
  return { name: n.str('name'), format: fmt ? parseBodyFormat(fmt) : undefined };
}

function parseHcm(n: Node): ConnectionManager {
  n.expectType('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
  n.only(
    [
      'server_name',
      'use_remote_address',
      'xff_num_trusted_hops',
      'skip_xff_append',
      'normalize_path',
      'merge_slashes',
      'generate_request_id',
      'preserve_external_request_id',
      'always_set_request_id_in_response',
      'access_log',
      'local_reply_config',
      'route_config',
      'http_filters',
      'request_headers_timeout',
      'request_timeout',
      'common_http_protocol_options',
    ],
    // No effect a client can observe through the local gateway.
    ['stat_prefix', 'codec_type'],
  );
  const rc = n.reqObj('route_config').only(['name', 'virtual_hosts']);
  const virtualHosts = rc.list('virtual_hosts').map((vh) => {
    vh.only(['name', 'domains', 'routes', 'typed_per_filter_config']);
    return {
      name: vh.str('name'),
      domains: vh.strList('domains'),
      routes: vh.list('routes').map(parseRoute),
      perFilter: parsePerFilter(vh, 'typed_per_filter_config'),
    };
  });
  const filters = n.list('http_filters').map(parseHttpFilter);
  if (filters.at(-1)?.kind !== 'router') throw new EnvoyConfigError(`${n.at('http_filters')}: the last filter must be the router`);
  // Envoy applies typed_per_filter_config by filter name; a name no filter has would be dead config.
  const byName = new Map(filters.map((f) => [f.name, f.kind]));
  for (const vh of virtualHosts) {
    for (const [owner, per] of [[`virtual host ${vh.name}`, vh.perFilter], ...vh.routes.map((r) => [`route ${r.name}`, r.perFilter] as const)] as const) {
      for (const [name, cfg] of per) {
        const kind = byName.get(name);
        if (cfg.type === 'disabled' ? kind === undefined : kind !== cfg.type) {
          throw new EnvoyConfigError(`${owner}: typed_per_filter_config ${name} names no ${cfg.type === 'disabled' ? '' : `${cfg.type} `}filter in http_filters`);
        }
      }
    }
  }
  const protocol = n.obj('common_http_protocol_options')?.only(['idle_timeout']);
  return {
    timeouts: {
      requestHeadersMs: n.optDurationMs('request_headers_timeout') ?? 0,
      requestMs: n.optDurationMs('request_timeout') ?? 0,
      idleMs: protocol?.optDurationMs('idle_timeout') ?? 3_600_000,
    },
    statPrefix: n.str('stat_prefix', 'http'),
    serverName: n.str('server_name', 'envoy'),
    useRemoteAddress: n.bool('use_remote_address'),
    xffNumTrustedHops: n.num('xff_num_trusted_hops', 0),
    skipXffAppend: n.bool('skip_xff_append'),
    normalizePath: n.bool('normalize_path'),
    mergeSlashes: n.bool('merge_slashes'),
    generateRequestId: n.bool('generate_request_id', true),
    preserveExternalRequestId: n.bool('preserve_external_request_id'),
    alwaysSetRequestIdInResponse: n.bool('always_set_request_id_in_response'),
    accessLogs: n.list('access_log').map(parseAccessLog),
    localReply: parseLocalReply(n.obj('local_reply_config')),
    virtualHosts,
    filters,
  };
}

function parseCluster(n: Node): Cluster {
  n.only(['name', 'type', 'connect_timeout', 'load_assignment', 'typed_extension_protocol_options', 'health_checks', 'outlier_detection'], ['lb_policy', 'dns_lookup_family', 'dns_refresh_rate']);
  const name = n.str('name');
  n.enumValue('type', ['STRICT_DNS', 'LOGICAL_DNS', 'STATIC'] as const, 'STATIC');
  n.enumValue('lb_policy', ['ROUND_ROBIN'] as const, 'ROUND_ROBIN');
  const la = n.reqObj('load_assignment').only(['cluster_name', 'endpoints']);
  const endpoints = la.list('endpoints').flatMap((e) =>
    e.only(['lb_endpoints']).list('lb_endpoints').map((lb) => {
      const sa = lb.only(['endpoint']).reqObj('endpoint').only(['address']).reqObj('address').only(['socket_address']).reqObj('socket_address');
      sa.only(['address', 'port_value']);
      return { host: sa.str('address'), port: sa.num('port_value') };
    }),
  );
  let http2 = false;
  for (const [key, v] of n.entries('typed_extension_protocol_options')) {
    const o = Node.of(v, `${n.at('typed_extension_protocol_options')}.${key}`);
    o.expectType('envoy.extensions.upstreams.http.v3.HttpProtocolOptions');
    o.only(['explicit_http_config']);
    const explicit = o.reqObj('explicit_http_config').only(['http2_protocol_options', 'http_protocol_options']);
    http2 = explicit.raw('http2_protocol_options') !== undefined;
  }
  const healthChecks = n.list('health_checks').map((h) => {
    h.only(['timeout', 'interval', 'no_traffic_interval', 'unhealthy_interval', 'unhealthy_threshold', 'healthy_threshold', 'grpc_health_check']);
    const grpc = h.obj('grpc_health_check');
    if (!grpc) throw new EnvoyConfigError(`${h.path}: only grpc_health_check is supported by the local gateway`);
    grpc.only(['service_name', 'authority']);
    const interval = h.optDurationMs('interval') ?? 1000;
    return {
      timeoutMs: h.optDurationMs('timeout') ?? 1000,
      intervalMs: interval,
      // Envoy checks a cluster that has not carried traffic yet every 60 s unless told otherwise.
      noTrafficIntervalMs: h.optDurationMs('no_traffic_interval') ?? 60_000,
      unhealthyIntervalMs: h.optDurationMs('unhealthy_interval'),
      unhealthyThreshold: h.num('unhealthy_threshold'),
      healthyThreshold: h.num('healthy_threshold'),
      grpc: { serviceName: grpc.str('service_name', ''), authority: grpc.optStr('authority') },
    };
  });
  if (healthChecks.length && !http2) throw new EnvoyConfigError(`${n.path}: gRPC health checks need an HTTP/2 cluster`);
  const od = n.obj('outlier_detection');
  const outlierDetection = od ? parseOutlierDetection(od) : undefined;
  return { name, connectTimeoutMs: n.optDurationMs('connect_timeout') ?? 5000, endpoints, http2, healthChecks, ...(outlierDetection ? { outlierDetection } : {}) };
}

/**
 * Only locally originated ejection is run here, so a config must keep the rest switched off
 * rather than have the local gateway silently differ from Envoy: split_external_local_origin_errors
 * true and no 5xx / gateway-failure ejection. Success-rate ejection needs at least
 * success_rate_minimum_hosts (5) hosts and never applies to the local gateway's one host per cluster.
 */
function parseOutlierDetection(od: Node): OutlierDetection {
  od.only(
    [
      'split_external_local_origin_errors',
      'consecutive_local_origin_failure',
      'enforcing_consecutive_local_origin_failure',
      'enforcing_consecutive_5xx',
      'enforcing_consecutive_gateway_failure',
      'base_ejection_time',
      'max_ejection_time',
      'max_ejection_percent',
      'successful_active_health_check_uneject_host',
    ],
    ['interval', 'enforcing_success_rate', 'enforcing_local_origin_success_rate', 'success_rate_minimum_hosts'],
  );
  if (!od.bool('split_external_local_origin_errors')) {
    throw new EnvoyConfigError(`${od.at('split_external_local_origin_errors')}: the local gateway runs only locally originated ejection; set it to true`);
  }
  for (const key of ['enforcing_consecutive_5xx', 'enforcing_consecutive_gateway_failure']) {
    // Envoy's defaults: 5xx ejection on (100), gateway-failure ejection off (0).
    if (od.num(key, key === 'enforcing_consecutive_5xx' ? 100 : 0) !== 0) {
      throw new EnvoyConfigError(`${od.at(key)}: the local gateway does not eject on upstream 5xx answers; set it to 0`);
    }
  }
  const percent = (key: string, fallback: number) => {
    const v = od.num(key, fallback);
    if (v < 0 || v > 100) throw new EnvoyConfigError(`${od.at(key)}: a percentage, 0 to 100`);
    return v;
  };
  const consecutive = od.num('consecutive_local_origin_failure', 5);
  if (!Number.isInteger(consecutive) || consecutive < 1) throw new EnvoyConfigError(`${od.at('consecutive_local_origin_failure')}: a whole number of at least 1`);
  const baseEjectionTimeMs = od.optDurationMs('base_ejection_time') ?? 30_000;
  return {
    consecutiveLocalOriginFailure: consecutive,
    enforcingLocalOriginPercent: percent('enforcing_consecutive_local_origin_failure', 100),
    baseEjectionTimeMs,
    maxEjectionTimeMs: Math.max(baseEjectionTimeMs, od.optDurationMs('max_ejection_time') ?? 300_000),
    maxEjectionPercent: percent('max_ejection_percent', 10),
    unejectOnActiveSuccess: od.bool('successful_active_health_check_uneject_host', true),
  };
}

// ---------------------------------------------------------------------------------------- entry

/** Parses Envoy YAML text; `source` names it in error messages. */
export function parseEnvoyConfig(text: string, source = 'envoy.yaml'): GatewayConfig {
  let doc: unknown;
  try {
    // No merge keys (`<<`): Envoy's YAML loader does not support them, so neither do we.
    doc = parseYaml(text, { merge: false });
  } catch (err) {
    throw new EnvoyConfigError(`${source}: not valid YAML: ${(err as Error).message}`);
  }
  const root = Node.of(doc, source);
  root.only(['static_resources'], ['admin']);
  const sr = root.reqObj('static_resources').only(['listeners', 'clusters']);
  const listeners = sr.list('listeners');
  if (listeners.length !== 1) throw new EnvoyConfigError(`${sr.at('listeners')}: the local gateway mirrors exactly one listener`);
  const l = listeners[0]!.only(['name', 'address', 'filter_chains']);
  const sa = l.reqObj('address').only(['socket_address']).reqObj('socket_address').only(['address', 'port_value']);
  const chains = l.list('filter_chains');
  if (chains.length !== 1) throw new EnvoyConfigError(`${l.at('filter_chains')}: exactly one filter chain is supported`);
  const netFilters = chains[0]!.only(['filters']).list('filters');
  // Optionally a connection_limit filter, then the HTTP connection manager.
  let connectionLimit: ConnectionLimit | undefined;
  if (netFilters.length === 2) {
    const cl = netFilters[0]!.only(['name', 'typed_config']).reqObj('typed_config');
    cl.expectType('envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit');
    cl.only(['stat_prefix', 'max_connections', 'delay']);
    const maxConnections = cl.num('max_connections');
    if (maxConnections < 1) throw new EnvoyConfigError(`${cl.at('max_connections')}: at least 1`);
    connectionLimit = { statPrefix: cl.str('stat_prefix'), maxConnections, delayMs: cl.optDurationMs('delay') ?? 0 };
  } else if (netFilters.length !== 1) {
    throw new EnvoyConfigError(`${chains[0]!.at('filters')}: the HTTP connection manager, optionally after a connection_limit filter, is supported`);
  }
  const hcm = parseHcm(netFilters.at(-1)!.only(['name', 'typed_config']).reqObj('typed_config'));

  const clusters = new Map<string, Cluster>();
  for (const c of sr.list('clusters').map(parseCluster)) {
    if (clusters.has(c.name)) throw new EnvoyConfigError(`${source}: cluster ${c.name} is defined twice`);
    clusters.set(c.name, c);
  }
  // Everything that names a cluster must name one that exists, as Envoy checks at load.
  const need = (cluster: string, where: string) => {
    if (!clusters.has(cluster)) throw new EnvoyConfigError(`${where}: unknown cluster ${cluster}`);
  };
  for (const vh of hcm.virtualHosts) for (const r of vh.routes) if (r.action.kind === 'route') need(r.action.cluster, `route ${r.name}`);
  for (const f of hcm.filters) {
    if (f.kind === 'jwt_authn') for (const p of f.providers.values()) if (p.jwks.kind === 'remote') need(p.jwks.cluster, `jwt provider ${p.name}`);
  }
  return {
    source,
    listener: { name: l.str('name', 'listener'), address: sa.str('address'), port: sa.num('port_value'), connectionLimit },
    hcm,
    clusters,
  };
}

export function loadEnvoyConfig(path: string): GatewayConfig {
  return parseEnvoyConfig(readFileSync(path, 'utf8'), path);
}

// ------------------------------------------------------------------------------------- summary

/** The facts other code and tests ask about, without walking the whole tree. */
export interface GatewaySummary {
  transcodedServices: string[];
  grpcRoutes: { prefix: string; cluster: string }[];
  plainHttpRoutes: { match: string; cluster: string }[];
  jwt?: { providers: JwtProvider[]; rules: JwtRule[] };
  cors: CorsPolicy[];
  rateLimits: { where: string; bucket?: TokenBucket }[];
  maxRequestBytes?: number;
  healthCheckedClusters: string[];
  localReplyMappers: LocalReplyMapper[];
  /** The RBAC filters in chain order, with their position among all HTTP filters. */
  rbac: { name: string; index: number; rules?: RbacRules }[];
}

export function summarize(cfg: GatewayConfig): GatewaySummary {
  const filters = cfg.hcm.filters;
  const transcoder = filters.find((f) => f.kind === 'grpc_json_transcoder');
  const jwt = filters.find((f) => f.kind === 'jwt_authn');
  const routes = cfg.hcm.virtualHosts.flatMap((v) => v.routes);
  const grpcRoutes: GatewaySummary['grpcRoutes'] = [];
  const plain: GatewaySummary['plainHttpRoutes'] = [];
  for (const r of routes) {
    if (r.action.kind !== 'route') continue;
    const entry = { cluster: r.action.cluster };
    if (cfg.clusters.get(r.action.cluster)?.http2) grpcRoutes.push({ prefix: r.match.path.value, ...entry });
    else plain.push({ match: `${r.match.path.kind} ${r.match.path.value}`, ...entry });
  }
  const perFilter = [...cfg.hcm.virtualHosts.flatMap((v) => [...v.perFilter.values()]), ...routes.flatMap((r) => [...r.perFilter.values()])];
  const rateLimits: GatewaySummary['rateLimits'] = [];
  for (const f of filters) if (f.kind === 'local_ratelimit') rateLimits.push({ where: `filter ${f.name}`, bucket: f.config.bucket });
  for (const r of routes) {
    for (const p of r.perFilter.values()) if (p.type === 'local_ratelimit') rateLimits.push({ where: `route ${r.name}`, bucket: p.config.bucket });
  }
  return {
    transcodedServices: transcoder?.kind === 'grpc_json_transcoder' ? transcoder.services : [],
    grpcRoutes,
    plainHttpRoutes: plain,
    jwt: jwt?.kind === 'jwt_authn' ? { providers: [...jwt.providers.values()], rules: jwt.rules } : undefined,
    cors: perFilter.flatMap((p) => (p.type === 'cors' ? [p.policy] : [])),
    rateLimits,
    maxRequestBytes: filters.flatMap((f) => (f.kind === 'buffer' ? [f.maxRequestBytes] : []))[0],
    healthCheckedClusters: filters.flatMap((f) => (f.kind === 'health_check' ? [...f.clusterMinHealthyPercentages.keys()] : [])),
    localReplyMappers: cfg.hcm.localReply.mappers,
    rbac: filters.flatMap((f, index) => (f.kind === 'rbac' ? [{ name: f.name, index, rules: f.rules }] : [])),
  };
}
