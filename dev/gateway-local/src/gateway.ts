/**
 * The local gateway: a Node HTTP server that runs the HTTP filter chain of gateway-envoy/envoy.yaml
 * in its order (health check, CORS, rate limit, JWT, RBAC, buffer, transcoder, router), with Envoy's
 * local replies, header handling and routing. Cluster addresses come from `upstreams`.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createFileRegistry, fromBinary, type Registry } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { createLogger, type Logger } from '@flix/logging';
import {
  type AccessLogFilter,
  type CorsPolicy,
  type FractionalPercent,
  type GatewayConfig,
  type HttpFilter,
  type HeaderMutationEntry,
  type LocalRateLimitConfig,
  loadEnvoyConfig,
  type MatchPredicate,
  type PerFilterConfig,
  type Route,
  type VirtualHost,
} from './config/envoy-config.js';
import { type FormatContext, renderBody, renderRecord } from './config/format.js';
import { type MatchInput, matchHeader, matchRoute, matchString } from './config/matchers.js';
import { httpStatusFor, JWT_STATUS, JwksCache, JwtAuthenticator } from './filters/jwt.js';
import { type BucketState, LocalRateLimiter, populateDescriptors } from './filters/local-ratelimit.js';
import { type DynamicMetadata, evaluateRbac } from './filters/rbac.js';
import { mergeSlashes, normalizePath, splitTarget } from './http/path.js';
import { TranscodeError, type TranscodeMatch, Transcoder } from './transcoder/transcoder.js';
import { ClusterManager } from './upstream/clusters.js';
import { UpstreamFailure } from './upstream/h2.js';
import { Http1Pool } from './upstream/http1.js';

export interface LocalGatewayOptions {
  port: number;
  /** Interface to listen on; 127.0.0.1 when omitted. */
  host?: string;
  /** Path of the Envoy YAML to behave as (gateway-envoy/envoy.yaml). */
  envoyConfig: string;
  /** FileDescriptorSet the transcoder uses in place of the YAML's proto_descriptor path. */
  descriptorSet: Uint8Array;
  /** Cluster name → "host:port" for local runs; other clusters keep their YAML address. */
  upstreams: Record<string, string>;
  logger?: Logger;
  /**
   * Envoy runtime overrides, by runtime key: a percentage for a RuntimeFractionalPercent (e.g.
   * `{ 'flix.rate_limit.enforced': 0 }` counts but does not enforce the rate limits, as setting
   * that key in Envoy's runtime would).
   */
  runtime?: Record<string, number>;
}

export interface LocalGateway {
  url: string;
  port: number;
  config: GatewayConfig;
  close(): Promise<void>;
}

type Headers = Record<string, string | string[]>;

const JWT_AUTHN_NAMESPACE = 'envoy.filters.http.jwt_authn';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'te', 'expect']);

/** One request on its way through the filter chain. */
class Exchange {
  readonly startTime = new Date();
  readonly startMs = performance.now();
  method: string;
  path: string;
  query: string;
  readonly headers: Headers = {};
  readonly client: { address: string; port: number };
  /** The client address the gateway trusts (use_remote_address / xff_num_trusted_hops). */
  trustedAddress = '';
  /** What each rate limit filter (by index) reports in x-ratelimit-* headers. */
  readonly rateLimitState = new Map<number, BucketState>();
  vhost?: VirtualHost;
  route?: Route;
  body?: Buffer;
  transcode?: { transcoder: Transcoder; match: TranscodeMatch; message: Uint8Array };
  cors?: { origin: string; policy: CorsPolicy };
  /** Dynamic metadata filters leave for later ones (jwt_authn's payload_in_metadata for RBAC). */
  readonly metadata: DynamicMetadata = new Map();
  flags: string[] = [];
  details = '';
  upstreamCluster?: string;
  upstreamHost?: string;
  localReplyBody?: string;
  status = 0;
  responseHeaders: Headers = {};
  bytesReceived = 0;
  bytesSent = 0;
  responded = false;
  /** Filters the route turned off (envoy.config.route.v3.FilterConfig disabled). */
  readonly skipped = new Set<number>();

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
  ) {
    this.method = req.method ?? 'GET';
    const { path, query } = splitTarget(req.url ?? '/');
    this.path = path;
    this.query = query;
    for (const [k, v] of Object.entries(req.headersDistinct)) {
      if (v === undefined) continue;
      this.headers[k] = k === 'set-cookie' || v.length > 1 ? (k === 'cookie' ? v.join('; ') : v) : v[0]!;
    }
    const address = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    this.client = { address, port: req.socket.remotePort ?? 0 };
  }

  get fullPath(): string {
    return this.query ? `${this.path}?${this.query}` : this.path;
  }

  header(name: string): string | undefined {
    const v = this.headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  }

  get authority(): string {
    return this.header('host') ?? '';
  }

  matchInput(): MatchInput {
    return { method: this.method, path: this.fullPath, headers: this.headers, authority: this.authority };
  }

  /** Reads the whole body once; beyond `limit` bytes the rest is drained and dropped. */
  readBody(limit: number): Promise<'ok' | 'too_large'> {
    if (this.body) return Promise.resolve(this.body.length > limit ? 'too_large' : 'ok');
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      const onData = (c: Buffer) => {
        this.bytesReceived += c.length;
        if (over) return;
        size += c.length;
        if (size > limit) {
          over = true;
          resolve('too_large');
          return;
        }
        chunks.push(c);
      };
      this.req.on('data', onData);
      this.req.once('end', () => {
        this.body = Buffer.concat(chunks);
        if (!over) resolve('ok');
      });
      // A client that goes away mid-body gets nothing forwarded; the reply goes nowhere.
      this.req.once('error', () => resolve('too_large'));
      this.req.once('close', () => {
        if (!this.req.complete) resolve('too_large');
      });
    });
  }
}

interface LocalReplyOptions {
  headers?: Headers;
  /** Appended to the reply's message after local_reply_config (a local-gateway addition). */
  messageSuffix?: string;
  flag?: string;
  details: string;
  closeConnection?: boolean;
}

/** `ex` is absent for a codec error (no request was parsed): only status filters can match. */
function matchAccessLogFilter(f: AccessLogFilter, ex: Exchange | undefined, status: number): boolean {
  switch (f.kind) {
    case 'status':
      return f.op === 'EQ' ? status === f.value : f.op === 'GE' ? status >= f.value : status <= f.value;
    case 'header':
      return ex !== undefined && matchHeader(f.matcher, ex.matchInput());
    case 'flags':
      return ex !== undefined && (f.flags.length === 0 ? ex.flags.length > 0 : f.flags.some((fl) => ex.flags.includes(fl)));
    case 'and':
      return f.filters.every((x) => matchAccessLogFilter(x, ex, status));
    case 'or':
      return f.filters.some((x) => matchAccessLogFilter(x, ex, status));
  }
}

function matchPredicate(p: MatchPredicate, headers: Headers): boolean {
  switch (p.kind) {
    case 'header': {
      const v = headers[p.name];
      if (v === undefined) return false;
      return matchString(p.match, Array.isArray(v) ? v.join(',') : v);
    }
    case 'not':
      return !matchPredicate(p.predicate, headers);
    case 'and':
      return p.predicates.every((x) => matchPredicate(x, headers));
    case 'or':
      return p.predicates.some((x) => matchPredicate(x, headers));
  }
}

function applyMutations(list: readonly HeaderMutationEntry[], headers: Headers): void {
  for (const m of list) {
    const existing = headers[m.key];
    if (m.kind === 'remove') delete headers[m.key];
    else if (existing === undefined || m.action === 'OVERWRITE_IF_EXISTS_OR_ADD') headers[m.key] = m.value;
    else if (m.action === 'APPEND_IF_EXISTS_OR_ADD') headers[m.key] = [...(Array.isArray(existing) ? existing : [existing]), m.value];
  }
}

interface FilterRuntime {
  readonly name: string;
  /** True to continue with the next filter; false when the filter has answered. */
  decode(ex: Exchange): Promise<boolean>;
  encode?(ex: Exchange, status: number, headers: Headers): void;
}

class Gateway {
  readonly clusters: ClusterManager;
  private readonly http1 = new Http1Pool();
  private readonly filters: FilterRuntime[];
  private readonly limiters = new WeakMap<LocalRateLimitConfig, LocalRateLimiter>();

  constructor(
    readonly config: GatewayConfig,
    private readonly registry: Registry,
    upstreams: Record<string, string>,
    private readonly logger: Logger,
    private readonly runtime: Record<string, number> = {},
  ) {
    this.clusters = new ClusterManager(config.clusters, upstreams, logger);
    this.filters = config.hcm.filters.map((f, i) => this.buildFilter(f, i));
  }

  // ------------------------------------------------------------------------------ entry point

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const ex = new Exchange(req, res);
    res.once('close', () => this.accessLog(ex));
    void this.run(ex).catch((err: unknown) => {
      this.logger.error({ err, path: ex.path }, 'local gateway failure');
      if (!ex.responded) this.localReply(ex, 0, 500, 'internal error in the local gateway', { details: 'local_gateway_error' });
      else res.destroy();
    });
  };

  private async run(ex: Exchange): Promise<void> {
    const hcm = this.config.hcm;
    if (hcm.normalizePath) ex.path = normalizePath(ex.path);
    if (hcm.mergeSlashes) ex.path = mergeSlashes(ex.path);
    // Headers an edge Envoy owns: internal x-envoy-* are never taken from clients.
    for (const k of Object.keys(ex.headers)) if (k.startsWith('x-envoy-')) delete ex.headers[k];
    // The trusted client address, as Envoy derives it: the connection's peer, or the entry of
    // x-forwarded-for that the configured number of trusted proxies in front vouch for. A client
    // can write anything into x-forwarded-for; only entries added by trusted hops count.
    const xff = (ex.header('x-forwarded-for') ?? '').split(',').map((a) => a.trim()).filter(Boolean);
    const hops = hcm.xffNumTrustedHops;
    if (hcm.useRemoteAddress) {
      ex.trustedAddress = hops > 0 && xff.length >= hops ? xff[xff.length - hops]! : ex.client.address;
      if (!hcm.skipXffAppend) ex.headers['x-forwarded-for'] = [...xff, ex.client.address].join(', ');
      // An edge proxy owns x-forwarded-proto; only a trusted proxy in front may have set it.
      if (hops === 0 || !ex.header('x-forwarded-proto')) ex.headers['x-forwarded-proto'] = 'http';
      // Envoy's header for the trusted client address of an external request.
      ex.headers['x-envoy-external-address'] = ex.trustedAddress;
    } else {
      ex.trustedAddress = xff.length > hops ? xff[xff.length - 1 - hops]! : ex.client.address;
    }
    if (hcm.generateRequestId && (!ex.header('x-request-id') || !hcm.preserveExternalRequestId)) ex.headers['x-request-id'] = randomUUID();
    this.selectRoute(ex);
    // Like Envoy's route-based filter chain, the first route decides which filters take part.
    this.filters.forEach((f, i) => {
      if (this.perFilter(ex, f.name)?.type === 'disabled') ex.skipped.add(i);
      // ExtensionWithMatcher: the first matcher that matches decides, else on_no_match.
      const m = this.config.hcm.filters[i]!.matcher;
      if (m) {
        const hit = m.matchers.find((x) => matchPredicate(x.predicate, ex.headers));
        if (hit ? hit.skip : m.onNoMatchSkip) ex.skipped.add(i);
      }
    });
    for (const [i, f] of this.filters.entries()) {
      if (ex.skipped.has(i)) continue;
      if (!(await f.decode(ex))) return;
    }
  }

  private selectRoute(ex: Exchange): void {
    const host = ex.authority.toLowerCase();
    const vhosts = this.config.hcm.virtualHosts;
    const score = (d: string) =>
      d === host ? 4 : d.startsWith('*') && d !== '*' && host.endsWith(d.slice(1)) ? 3 : d.endsWith('*') && d !== '*' && host.startsWith(d.slice(0, -1)) ? 2 : d === '*' ? 1 : 0;
    let best: VirtualHost | undefined;
    let bestScore = 0;
    for (const vh of vhosts) {
      for (const d of vh.domains) {
        const s = score(d.toLowerCase());
        if (s > bestScore) {
          best = vh;
          bestScore = s;
        }
      }
    }
    ex.vhost = best;
    const input = ex.matchInput();
    ex.route = best?.routes.find((r) => matchRoute(r.match, input));
  }

  /** Whether this request falls in a RuntimeFractionalPercent, runtime overrides first. */
  private sampled(p: FractionalPercent): boolean {
    const override = p.runtimeKey !== undefined ? this.runtime[p.runtimeKey] : undefined;
    const fraction = override !== undefined ? Math.min(1, Math.max(0, override / 100)) : p.fraction;
    return fraction >= 1 || Math.random() < fraction;
  }

  private perFilter(ex: Exchange, name: string): PerFilterConfig | undefined {
    return ex.route?.perFilter.get(name) ?? ex.vhost?.perFilter.get(name);
  }

  // ------------------------------------------------------------------------------- responses

  /** Sends a response through the encode side of the filters before `upTo` (Envoy's order). */
  private send(ex: Exchange, upTo: number, status: number, headers: Headers, body: Buffer | IncomingMessage, opts: { closeConnection?: boolean } = {}): void {
    if (ex.responded) return;
    ex.responded = true;
    for (let i = upTo - 1; i >= 0; i--) if (!ex.skipped.has(i)) this.filters[i]!.encode?.(ex, status, headers);
    headers.server = this.config.hcm.serverName;
    const rid = ex.header('x-request-id');
    if (this.config.hcm.alwaysSetRequestIdInResponse && rid) headers['x-request-id'] = rid;
    if (opts.closeConnection) headers.connection = 'close';
    ex.status = status;
    ex.responseHeaders = headers;
    const res = ex.res;
    if (Buffer.isBuffer(body)) {
      if (status !== 204 && status !== 304) headers['content-length'] = String(body.length);
      res.writeHead(status, headers);
      res.end(ex.method === 'HEAD' ? undefined : body);
      ex.bytesSent = body.length;
      if (opts.closeConnection) {
        // Keep reading what the client still sends so it gets to see this reply.
        ex.req.resume();
      }
      return;
    }
    res.writeHead(status, headers);
    body.on('data', (c: Buffer) => {
      ex.bytesSent += c.length;
    });
    body.pipe(res);
    body.once('error', () => res.destroy());
  }

  /** Envoy's sendLocalReply: local_reply_config mappers, then the encode side of earlier filters. */
  localReply(ex: Exchange, from: number, code: number, body: string, opts: LocalReplyOptions): void {
    if (opts.flag) ex.flags.push(opts.flag);
    ex.details = opts.details;
    const lr = this.config.hcm.localReply;
    const mapper = lr.mappers.find((m) => matchAccessLogFilter(m.filter, ex, code));
    let text = body;
    let status = code;
    const headers: Headers = { ...opts.headers };
    let format = lr.bodyFormat;
    if (mapper) {
      if (mapper.body !== undefined) text = mapper.body;
      for (const h of mapper.headersToAdd) headers[h.key] = h.value;
      if (mapper.statusCode !== undefined) status = mapper.statusCode;
      format = mapper.bodyFormat ?? lr.bodyFormat;
    }
    if (opts.messageSuffix) text += opts.messageSuffix;
    ex.localReplyBody = text;
    let out = text;
    if (format) {
      const rendered = renderBody(format, { ...this.formatContext(ex), responseCode: status, localReplyBody: text });
      out = rendered.body;
      headers['content-type'] = rendered.contentType;
    } else if (text) headers['content-type'] = 'text/plain';
    this.send(ex, from, status, headers, Buffer.from(out), { closeConnection: opts.closeConnection });
  }

  /**
   * A reply to a request the HTTP codec refused (headers too large, malformed, too slow): Envoy
   * sends these as local replies too, through the status mappers of local_reply_config.
   */
  codecErrorReply(status: number, message: string): { headers: Record<string, string>; body: string } {
    const lr = this.config.hcm.localReply;
    const mapper = lr.mappers.find((m) => m.filter.kind === 'status' && matchAccessLogFilter(m.filter, undefined, status));
    const format = mapper?.bodyFormat ?? lr.bodyFormat;
    const headers: Record<string, string> = { server: this.config.hcm.serverName, connection: 'close' };
    for (const h of mapper?.headersToAdd ?? []) headers[h.key] = h.value;
    const text = mapper?.body ?? message;
    if (!format) return { headers: { ...headers, 'content-type': 'text/plain' }, body: text };
    const ctx: FormatContext = {
      startTime: new Date(),
      protocol: 'HTTP/1.1',
      requestHeaders: {},
      method: '',
      path: '',
      responseHeaders: {},
      responseCode: status,
      responseFlags: [],
      responseCodeDetails: 'codec_error',
      bytesReceived: 0,
      bytesSent: 0,
      durationMs: 0,
      localReplyBody: text,
      downstreamAddress: '',
      downstreamPort: 0,
    };
    const rendered = renderBody(format, ctx);
    return { headers: { ...headers, 'content-type': rendered.contentType }, body: rendered.body };
  }

  // --------------------------------------------------------------------------------- filters

  private buildFilter(f: HttpFilter, index: number): FilterRuntime {
    const reply = (ex: Exchange, code: number, body: string, opts: LocalReplyOptions) => this.localReply(ex, index, code, body, opts);
    switch (f.kind) {
      case 'header_mutation':
        return {
          name: f.name,
          decode: async (ex) => {
            applyMutations(f.request, ex.headers);
            return true;
          },
          encode: (_ex, _status, headers) => applyMutations(f.response, headers),
        };

      case 'health_check':
        return {
          name: f.name,
          decode: async (ex) => {
            const input = ex.matchInput();
            if (!f.headers.every((h) => matchHeader(h, input))) return true;
            const unhealthy: string[] = [];
            for (const [name, pct] of f.clusterMinHealthyPercentages) {
              const m = this.clusters.get(name)?.membership();
              if (!m || (m.total === 0 && pct > 0) || m.healthy < (m.total * pct) / 100) unhealthy.push(name);
            }
            if (unhealthy.length === 0) reply(ex, 200, '', { details: 'health_check_ok' });
            // Not Envoy's (its reply names nothing; its admin /clusters does): the message names
            // the clusters below their minimum, so an operator sees which part is down.
            else reply(ex, 503, '', { flag: 'LH', details: 'health_check_failed', messageSuffix: `: ${unhealthy.join(', ')}` });
            return false;
          },
        };

      case 'cors':
        return {
          name: f.name,
          decode: async (ex) => {
            const per = this.perFilter(ex, f.name);
            const origin = ex.header('origin');
            if (per?.type !== 'cors' || !origin || !this.sampled(per.policy.enabled)) return true;
            const policy = per.policy;
            const allowed = policy.allowOrigins.some((m) => matchString(m, origin) || (m.kind === 'exact' && m.value === '*'));
            if (!allowed) return true;
            ex.cors = { origin, policy };
            if (ex.method === 'OPTIONS' && ex.header('access-control-request-method')) {
              const headers: Headers = { 'access-control-allow-origin': origin };
              if (policy.allowCredentials) headers['access-control-allow-credentials'] = 'true';
              if (policy.allowMethods) headers['access-control-allow-methods'] = policy.allowMethods;
              if (policy.allowHeaders) headers['access-control-allow-headers'] = policy.allowHeaders;
              if (policy.maxAge) headers['access-control-max-age'] = policy.maxAge;
              ex.details = 'cors_response';
              this.send(ex, index, 200, headers, Buffer.alloc(0));
              return false;
            }
            return true;
          },
          encode: (ex, _status, headers) => {
            if (!ex.cors) return;
            headers['access-control-allow-origin'] = ex.cors.origin;
            if (ex.cors.policy.allowCredentials) headers['access-control-allow-credentials'] = 'true';
            if (ex.cors.policy.exposeHeaders) headers['access-control-expose-headers'] = ex.cors.policy.exposeHeaders;
          },
        };

      case 'local_ratelimit':
        return {
          name: f.name,
          decode: async (ex) => {
            const per = this.perFilter(ex, f.name);
            const cfg = per?.type === 'local_ratelimit' ? per.config : f.config;
            if (!this.sampled(cfg.enabled)) return true;
            let limiter = this.limiters.get(cfg);
            if (!limiter) {
              limiter = new LocalRateLimiter(cfg);
              this.limiters.set(cfg, limiter);
            }
            // Descriptors come from the route's rate_limits of this filter's stage, as the
            // request stands here (earlier filters' metadata included: jwt_authn's payload).
            const policies = cfg.descriptors.length > 0 && ex.route?.action.kind === 'route' ? ex.route.action.rateLimits : [];
            const descriptors = populateDescriptors(policies, cfg.stage, {
              remoteAddress: ex.trustedAddress,
              header: (name) => ex.header(name),
              metadata: ex.metadata,
            });
            const decision = limiter.decide(descriptors);
            if (cfg.xRateLimitHeaders && decision.bucket) ex.rateLimitState.set(index, decision.bucket);
            if (decision.allowed || !this.sampled(cfg.enforced)) return true;
            const headers: Headers = { 'x-envoy-ratelimited': 'true' };
            for (const h of cfg.responseHeadersToAdd) headers[h.key] = h.value;
            // Envoy passes its own 429 through this filter's encode too (the x-ratelimit-* headers).
            this.localReply(ex, index + 1, cfg.status, 'local_rate_limited', { headers, flag: 'RL', details: 'local_rate_limited' });
            return false;
          },
          encode: (ex, _status, headers) => {
            const b = ex.rateLimitState.get(index);
            if (!b) return;
            headers['x-ratelimit-limit'] = String(b.limit);
            headers['x-ratelimit-remaining'] = String(b.remaining);
            headers['x-ratelimit-reset'] = String(b.resetSeconds);
          },
        };

      case 'jwt_authn': {
        const auth = new JwtAuthenticator(
          f.providers,
          f.rules,
          new JwksCache(async (provider) => this.fetchJwks(provider.jwks.cluster, provider.jwks.uri, provider.jwks.timeoutMs)),
        );
        return {
          name: f.name,
          decode: async (ex) => {
            if (f.bypassCorsPreflight && ex.method === 'OPTIONS' && ex.header('origin') && ex.header('access-control-request-method')) return true;
            const input = ex.matchInput();
            const rule = auth.rule(input);
            if (!rule?.requires) return true;
            const outcome = await auth.check(rule.requires, {
              match: input,
              headers: ex.headers,
              query: new URLSearchParams(ex.query),
              nowSeconds: Math.floor(Date.now() / 1000),
            });
            if (outcome.status === 'Ok') {
              for (const v of outcome.verified) {
                if (!v.provider.forward && v.headerName) delete ex.headers[v.headerName];
                if (v.provider.forwardPayloadHeader) ex.headers[v.provider.forwardPayloadHeader.toLowerCase()] = v.payloadB64;
                if (v.provider.payloadInMetadata) {
                  // Envoy files it under the filter's canonical name, whatever the filter is called.
                  const ns = ex.metadata.get(JWT_AUTHN_NAMESPACE) ?? {};
                  ns[v.provider.payloadInMetadata] = v.payload;
                  ex.metadata.set(JWT_AUTHN_NAMESPACE, ns);
                }
              }
              return true;
            }
            const message = JWT_STATUS[outcome.status];
            // Envoy's realm is the URL the client asked for.
            const realm = `http://${ex.authority}${ex.fullPath}`;
            const challenge = outcome.status === 'JwtMissed' ? `Bearer realm="${realm}"` : `Bearer realm="${realm}", error="invalid_token"`;
            reply(ex, httpStatusFor(outcome.status), f.stripFailureResponse ? '' : message, {
              headers: { 'www-authenticate': challenge },
              details: `jwt_authn_access_denied{${message}}`,
            });
            return false;
          },
        };
      }

      case 'rbac':
        return {
          name: f.name,
          decode: async (ex) => {
            if (!f.rules) return true;
            const decision = evaluateRbac(f.rules, { request: ex.matchInput(), metadata: ex.metadata });
            if (decision.allowed) return true;
            reply(ex, 403, 'RBAC: access denied', { details: `rbac_access_denied_matched_policy[${decision.policy ?? 'none'}]` });
            return false;
          },
        };

      case 'buffer':
        return {
          name: f.name,
          decode: async (ex) => {
            if ((await ex.readBody(f.maxRequestBytes)) === 'ok') return true;
            reply(ex, 413, 'Payload Too Large', { details: 'request_payload_too_large', closeConnection: true });
            return false;
          },
        };

      case 'grpc_json_transcoder': {
        const transcoder = new Transcoder(f, this.registry);
        return {
          name: f.name,
          decode: async (ex) => {
            if (f.services.length === 0 || (ex.header('content-type') ?? '').startsWith('application/grpc')) return true;
            const match = transcoder.match(ex.method, ex.path, ex.query);
            if (!match) {
              if (!f.rejectUnknownMethod) return true;
              reply(ex, 404, `Could not resolve ${ex.path} to a method.`, { details: 'early_grpc_json_transcode_failure{NOT_FOUND}' });
              return false;
            }
            const resolved = transcoder.resolve(match);
            if (!resolved.ok) {
              if (!f.rejectUnknownQueryParameters) return true;
              reply(ex, resolved.status, resolved.message, { details: 'early_grpc_json_transcode_failure{INVALID_ARGUMENT}' });
              return false;
            }
            const contentType = ex.header('content-type');
            ex.headers['x-envoy-original-path'] = ex.fullPath;
            ex.headers['x-envoy-original-method'] = ex.method;
            ex.method = 'POST';
            ex.path = transcoder.grpcPath(match);
            ex.query = '';
            ex.headers['content-type'] = 'application/grpc';
            ex.headers.te = 'trailers';
            delete ex.headers['content-length'];
            // The router picks the route again, on the gRPC path.
            if (!f.matchIncomingRequestRoute) this.selectRoute(ex);
            const limit = f.maxRequestBodySize ?? 1024 * 1024;
            if ((await ex.readBody(limit)) === 'too_large') {
              reply(ex, 413, "Request rejected because the transcoder's internal buffer size exceeds the configured limit.", {
                details: 'grpc_json_transcode_failure{request_buffer_size_limit_reached}',
                closeConnection: true,
              });
              return false;
            }
            try {
              const message = transcoder.requestMessage(match, resolved.bindings, ex.body ?? Buffer.alloc(0), contentType);
              ex.transcode = { transcoder, match, message };
            } catch (err) {
              if (!(err instanceof TranscodeError)) throw err;
              reply(ex, err.status, err.message, { details: 'grpc_json_transcode_failure{INVALID_ARGUMENT}' });
              return false;
            }
            return true;
          },
        };
      }

      case 'router':
        return { name: f.name, decode: (ex) => this.route(ex, index) };
    }
  }

  // ---------------------------------------------------------------------------------- router

  private async route(ex: Exchange, index: number): Promise<boolean> {
    const route = ex.route;
    if (!route) {
      this.localReply(ex, index, 404, '', { flag: 'NR', details: 'route_not_found' });
      return false;
    }
    if (route.action.kind === 'direct') {
      this.localReply(ex, index, route.action.status, route.action.body ?? '', { details: 'direct_response' });
      return false;
    }
    const action = route.action;
    const cluster = this.clusters.get(action.cluster)!;
    ex.upstreamCluster = cluster.name;
    const host = cluster.pick();
    if (!host) {
      this.localReply(ex, index, 503, 'no healthy upstream', { flag: 'UH', details: 'no_healthy_upstream' });
      return false;
    }
    ex.upstreamHost = `${host.host}:${host.port}`;
    const started = performance.now();
    const serviceTime = () => String(Math.round(performance.now() - started));
    const target = { host: host.host, port: host.port, connectTimeoutMs: cluster.config.connectTimeoutMs };
    try {
      if (cluster.http2) {
        const res = await this.clusters.pool.request(target, this.h2Headers(ex, action.timeoutMs), this.h2Body(ex), action.timeoutMs);
        cluster.reportRequest(host, null);
        if (ex.transcode) {
          const out = ex.transcode.transcoder.response(ex.transcode.match, res);
          if (out.kind === 'local') {
            this.localReply(ex, index, out.status, out.message, { details: 'grpc_json_transcode_failure' });
            return false;
          }
          const headers = this.stripHop(out.response.headers);
          headers['x-envoy-upstream-service-time'] = serviceTime();
          this.send(ex, index, out.response.status, headers, out.response.body);
        } else {
          const headers: Headers = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !k.startsWith(':')) headers[k] = v;
          this.send(ex, index, res.status, this.stripHop(headers), res.body);
        }
      } else {
        await this.proxyHttp1(ex, index, target, action);
        cluster.reportRequest(host, null);
      }
    } catch (err) {
      if (!(err instanceof UpstreamFailure)) throw err;
      // Passive health checking: the host could not be reached (outlier_detection ejects it).
      cluster.reportRequest(host, err.kind);
      if (err.kind === 'timeout') this.localReply(ex, index, 504, err.message, { flag: 'UT', details: 'upstream_response_timeout' });
      else this.localReply(ex, index, 503, err.message, { flag: err.kind === 'reset' ? 'UR' : 'UF', details: `upstream_reset_before_response_started{${err.kind}}` });
    }
    return false;
  }

  private stripHop(headers: Headers): Headers {
    for (const k of Object.keys(headers)) if (HOP_BY_HOP.has(k) || k === 'content-length') delete headers[k];
    return headers;
  }

  private upstreamHeaders(ex: Exchange, timeoutMs: number): Headers {
    const out: Headers = {};
    for (const [k, v] of Object.entries(ex.headers)) if (!HOP_BY_HOP.has(k)) out[k] = v;
    if (timeoutMs > 0) out['x-envoy-expected-rq-timeout-ms'] = String(timeoutMs);
    return out;
  }

  private h2Headers(ex: Exchange, timeoutMs: number): OutgoingHttpHeaders {
    const out: OutgoingHttpHeaders = { ':method': ex.method, ':path': ex.fullPath, ':scheme': 'http', ':authority': ex.authority || 'localhost' };
    for (const [k, v] of Object.entries(this.upstreamHeaders(ex, timeoutMs))) if (k !== 'host' && k !== 'content-length') out[k] = v;
    if (ex.transcode) {
      out.te = 'trailers';
      // Not something Envoy adds: a deadline the service can see, matching the route timeout.
      if (timeoutMs > 0) out['grpc-timeout'] = `${timeoutMs}m`;
    }
    return out;
  }

  private h2Body(ex: Exchange): Buffer {
    if (!ex.transcode) return ex.body ?? Buffer.alloc(0);
    const frame = Buffer.alloc(5);
    frame.writeUInt32BE(ex.transcode.message.length, 1);
    return Buffer.concat([frame, ex.transcode.message]);
  }

  private async proxyHttp1(
    ex: Exchange,
    index: number,
    target: { host: string; port: number; connectTimeoutMs: number },
    action: Extract<Route['action'], { kind: 'route' }>,
  ): Promise<void> {
    const headers = this.upstreamHeaders(ex, action.timeoutMs);
    let path = ex.fullPath;
    if (action.prefixRewrite !== undefined && ex.route?.match.path.kind === 'prefix') {
      path = action.prefixRewrite + path.slice(ex.route.match.path.value.length);
    }
    let body: Buffer | IncomingMessage;
    if (ex.body) {
      body = ex.body;
      headers['content-length'] = String(ex.body.length);
      delete headers['transfer-encoding'];
    } else {
      body = ex.req;
      ex.req.on('data', (c: Buffer) => {
        ex.bytesReceived += c.length;
      });
    }
    const started = performance.now();
    const { response } = await this.http1.request(target, ex.method, path, headers, body, action.timeoutMs);
    const out: Headers = {};
    for (const [k, v] of Object.entries(response.headersDistinct)) {
      if (v === undefined || HOP_BY_HOP.has(k)) continue;
      out[k] = v.length === 1 ? v[0]! : v;
    }
    out['x-envoy-upstream-service-time'] = String(Math.round(performance.now() - started));
    this.send(ex, index, response.statusCode ?? 502, out, response);
  }

  private fetchJwks(clusterName: string, uri: string, timeoutMs: number): Promise<string> {
    const cluster = this.clusters.get(clusterName)!;
    const host = cluster.pick();
    if (!host) return Promise.reject(new Error('no host for the JWKS cluster'));
    const url = new URL(uri);
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: host.host, port: host.port, path: url.pathname + url.search, method: 'GET', headers: { host: url.host }, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`JWKS status ${res.statusCode}`))));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('JWKS fetch timed out')));
      req.on('error', reject);
      req.end();
    });
  }

  // ------------------------------------------------------------------------------ access log

  private formatContext(ex: Exchange): FormatContext {
    return {
      startTime: ex.startTime,
      protocol: `HTTP/${ex.req.httpVersion}`,
      requestHeaders: ex.headers,
      method: ex.method,
      path: ex.fullPath,
      responseHeaders: ex.responseHeaders,
      responseCode: ex.status,
      responseFlags: ex.flags,
      responseCodeDetails: ex.details,
      bytesReceived: ex.bytesReceived,
      bytesSent: ex.bytesSent,
      durationMs: Math.round(performance.now() - ex.startMs),
      upstreamHost: ex.upstreamHost,
      upstreamCluster: ex.upstreamCluster,
      routeName: ex.route?.name,
      localReplyBody: ex.localReplyBody,
      downstreamAddress: ex.client.address,
      downstreamPort: ex.client.port,
    };
  }

  private accessLog(ex: Exchange): void {
    if (!ex.responded) ex.flags.push('DC');
    for (const log of this.config.hcm.accessLogs) {
      const ctx = this.formatContext(ex);
      if (!log.format) {
        this.logger.info({ method: ex.method, path: ctx.path, status: ex.status }, 'access');
        continue;
      }
      // Nested, so the YAML's field names cannot collide with the logger's own (time, level).
      this.logger.info({ access: renderRecord(log.format, ctx) }, 'access');
    }
  }

  close(): void {
    this.clusters.close();
    this.http1.close();
  }
}

/** Starts the local gateway described by an Envoy YAML; resolves once it accepts connections. */
export async function startLocalGateway(options: LocalGatewayOptions): Promise<LocalGateway> {
  const logger = options.logger ?? createLogger('gateway-local');
  const config = loadEnvoyConfig(options.envoyConfig);
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, options.descriptorSet));
  const gateway = new Gateway(config, registry, options.upstreams, logger, options.runtime);
  const { requestHeadersMs, requestMs, idleMs } = config.hcm.timeouts;
  // Envoy's timeouts from the HCM: trickled headers, slow bodies and idle sockets are not held forever.
  const server = http.createServer(
    { headersTimeout: requestHeadersMs, requestTimeout: requestMs, keepAliveTimeout: idleMs, connectionsCheckingInterval: 1_000 },
    gateway.handle,
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const { headers, body } = gateway.codecErrorReply(status, http.STATUS_CODES[status] ?? 'Bad Request');
    headers['content-length'] = String(Buffer.byteLength(body));
    const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n${head}\r\n${body}`);
  });
  const limit = config.listener.connectionLimit;
  if (limit) {
    // envoy.filters.network.connection_limit: a connection beyond max_connections is closed
    // (after `delay`) without being read; the ones already open carry on.
    let open = 0;
    let refused = 0;
    let lastLog = 0;
    server.on('connection', (socket: Socket) => {
      if (open >= limit.maxConnections) {
        socket.pause();
        if (limit.delayMs > 0) setTimeout(() => socket.destroy(), limit.delayMs).unref();
        else socket.destroy();
        refused++;
        // At most one line a second, however many connections a flood opens.
        if (Date.now() - lastLog >= 1000) {
          logger.warn({ maxConnections: limit.maxConnections, refused, stat: limit.statPrefix }, 'connections refused: connection limit reached');
          lastLog = Date.now();
        }
        return;
      }
      open++;
      socket.once('close', () => open--);
    });
  }
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  gateway.clusters.start();
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  logger.info({ port, config: options.envoyConfig, clusters: [...config.clusters.keys()] }, 'local gateway listening');
  return {
    url: `http://${urlHost}:${port}`,
    port,
    config,
    close: () =>
      new Promise<void>((resolve) => {
        gateway.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
