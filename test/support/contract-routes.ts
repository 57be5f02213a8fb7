/**
 * The public JSON contract as data, for tests generated from it: every HTTP route of the
 * descriptor's google.api.http rules, and what gateway-envoy/envoy.yaml says about each (does the
 * JWT filter require a token, allow none, or ignore it; does the RBAC filter keep it for admins).
 * Read from the same files the gateway loads, so a route added to a proto or a rule changed in
 * the YAML changes the tests with it.
 */
import { join } from 'node:path';
import { createFileRegistry, type DescField, type DescMessage, fromBinary, getOption, hasOption, toJson } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { loadEnvoyConfig, matchRoute, type JwtRequirement, type MatchInput } from '@flix/gateway-local';
import { readDescriptorSet } from '@flix/proto/descriptor';
import { evaluateRbac, type RbacRules } from '../../dev/gateway-local/src/filters/rbac.js';

export const ENVOY_YAML = join(import.meta.dirname, '../../gateway-envoy/envoy.yaml');

export type HttpVerb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ContractRoute {
  /** e.g. flix.billing.v1.BillingService */
  service: string;
  /** e.g. CreateRental */
  method: string;
  verb: HttpVerb;
  /** The google.api.http path template, e.g. /v1/rentals/{rental_id}:return */
  template: string;
  /** The rule's body: '' (none), '*' (the whole request) or a field name of the request. */
  body: string;
  input: DescMessage;
  /** Proto field paths bound by the template, in order (e.g. ['movie', 'id']). */
  pathFields: string[][];
  /** The message the HTTP body is (the request, or its `body` field's message). */
  bodyMessage: DescMessage;
}

/** `Service.Method`, how tables and messages name a route. */
export const routeName = (r: ContractRoute) => `${r.service.split('.').at(-1)}.${r.method}`;

/** `VERB /template`, the route as a client reads it. */
export const routeLabel = (r: ContractRoute) => `${r.verb} ${r.template}`;

const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readDescriptorSet()));

/** Every route the transcoder serves: each service listed in envoy.yaml, each rule of each method. */
export function contractRoutes(): ContractRoute[] {
  const transcoder = gatewayConfig().hcm.filters.find((f) => f.kind === 'grpc_json_transcoder');
  if (!transcoder || transcoder.kind !== 'grpc_json_transcoder') throw new Error('envoy.yaml has no grpc_json_transcoder');
  const httpExt = registry.getExtension('google.api.http');
  if (!httpExt) throw new Error('the descriptor set lacks google.api.http');
  const out: ContractRoute[] = [];
  for (const serviceName of transcoder.services) {
    const service = registry.getService(serviceName);
    if (!service) throw new Error(`${serviceName} is not in the descriptor set`);
    for (const m of service.methods) {
      if (!hasOption(m, httpExt)) continue;
      const rule = toJson(httpExt.message!, getOption(m, httpExt) as never, { useProtoFieldName: true }) as Record<string, unknown>;
      for (const r of [rule, ...((rule.additional_bindings as Record<string, unknown>[] | undefined) ?? [])]) {
        const verb = (['get', 'post', 'put', 'patch', 'delete'] as const).find((v) => typeof r[v] === 'string');
        if (!verb) continue;
        const template = r[verb] as string;
        const body = (r.body as string | undefined) ?? '';
        const pathFields = [...template.matchAll(/\{([\w.]+)(?:=[^}]*)?\}/g)].map((x) => x[1]!.split('.'));
        const bodyField = body && body !== '*' ? m.input.fields.find((f) => f.name === body) : undefined;
        if (body && body !== '*' && bodyField?.fieldKind !== 'message') throw new Error(`${m.name}: body ${body} is not a message field`);
        out.push({
          service: serviceName,
          method: m.name,
          verb: verb.toUpperCase() as HttpVerb,
          template,
          body,
          input: m.input,
          pathFields,
          bodyMessage: bodyField?.fieldKind === 'message' ? bodyField.message : m.input,
        });
      }
    }
  }
  return out;
}

/** The fields a client may put in the HTTP body (those the template binds are left out). */
export function bodyFields(route: ContractRoute): DescField[] {
  if (!route.body) return [];
  const prefix = route.body === '*' ? [] : [route.body];
  const bound = new Set(route.pathFields.map((p) => p.join('.')));
  return route.bodyMessage.fields.filter((f) => !bound.has([...prefix, f.name].join('.')));
}

/** The fields a client may send as query parameters (not in the path, not in the body). */
export function queryFields(route: ContractRoute): DescField[] {
  if (route.body === '*') return [];
  const bound = new Set(route.pathFields.map((p) => p[0]!));
  return route.input.fields.filter((f) => !bound.has(f.name) && f.name !== route.body);
}

/** The template with each variable replaced by the (already URL-encoded) value given for it. */
export function fillTemplate(route: ContractRoute, values: string[]): string {
  let i = 0;
  return route.template.replace(/\{[^}]*\}/g, () => values[i++] ?? 'x');
}

// ------------------------------------------------------------------------------- gateway policy

export type TokenRule = 'public' | 'optional' | 'required';

export interface GatewayPolicy {
  /** What the jwt_authn filter's first matching rule asks for. */
  token: TokenRule;
  /** The RBAC filter's admin_api policy denies the route to a token without roles: [admin]. */
  adminOnly: boolean;
}

let cachedConfig: ReturnType<typeof loadEnvoyConfig> | undefined;
function gatewayConfig() {
  return (cachedConfig ??= loadEnvoyConfig(ENVOY_YAML));
}

function tokenRule(req: JwtRequirement | undefined): TokenRule {
  if (!req) return 'public';
  if (req.kind === 'allow_missing' || req.kind === 'allow_missing_or_failed') return 'public';
  if (req.kind === 'any' && req.requirements.some((r) => r.kind === 'allow_missing' || r.kind === 'allow_missing_or_failed')) return 'optional';
  return 'required';
}

/** What envoy.yaml's jwt_authn and RBAC filters do with a request for `path` (no query). */
export function gatewayPolicy(verb: string, path: string): GatewayPolicy {
  const filters = gatewayConfig().hcm.filters;
  const jwt = filters.find((f) => f.kind === 'jwt_authn');
  const rbac = filters.find((f) => f.kind === 'rbac');
  const input: MatchInput = { method: verb, path, headers: {}, authority: 'flix.test' };
  let token: TokenRule = 'public';
  if (jwt?.kind === 'jwt_authn') {
    const rule = jwt.rules.find((r) => matchRoute(r.match, input));
    token = rule ? tokenRule(rule.requires) : 'public';
  }
  const rules: RbacRules | undefined = rbac?.kind === 'rbac' ? rbac.rules : undefined;
  const asViewer = (roles: string[]) =>
    rules ? evaluateRbac(rules, { request: input, metadata: new Map([['envoy.filters.http.jwt_authn', { jwt_payload: { roles } }]]) }).allowed : true;
  return { token, adminOnly: !asViewer(['viewer']) && asViewer(['admin']) };
}

/** The policy of a route, at its template with every variable set to a plain id. */
export function routePolicy(route: ContractRoute): GatewayPolicy {
  return gatewayPolicy(route.verb, fillTemplate(route, route.pathFields.map(() => 'id-1')));
}
