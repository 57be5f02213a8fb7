/**
 * The RBAC filter: read from the YAML (the real gateway-envoy/envoy.yaml and edited copies of
 * it), and evaluated as Envoy does, with jwt_authn's payload in dynamic metadata.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { type DynamicMetadata, evaluateRbac, type RbacRules } from '../src/filters/rbac.js';
import { parseEnvoyConfig, summarize } from '../src/index.js';
import { REPO_ROOT } from './support/descriptor.js';

const YAML = readFileSync(join(REPO_ROOT, 'gateway-envoy/envoy.yaml'), 'utf8');
// filters[0] is the connection_limit network filter; the HTTP connection manager comes after it.
const HCM = ['static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 1, 'typed_config'];

const config = parseEnvoyConfig(YAML);
const summary = summarize(config);
const rules = summary.rbac[0]!.rules!;

/** The dynamic metadata jwt_authn leaves for a verified token with these roles (none: no token). */
const claims = (roles?: unknown): DynamicMetadata =>
  roles === undefined ? new Map() : new Map([['envoy.filters.http.jwt_authn', { jwt_payload: { sub: 'u1', roles } }]]);

const decide = (r: RbacRules, method: string, path: string, metadata: DynamicMetadata) =>
  evaluateRbac(r, { request: { method, path, headers: {}, authority: 'gateway' }, metadata });

/** The real YAML with the RBAC filter's typed_config replaced. */
function withRbac(typedConfig: unknown): string {
  const doc = parseDocument(YAML);
  const filters = doc.getIn([...HCM, 'http_filters']) as { items: { get(k: string): unknown }[] };
  const at = filters.items.findIndex((f) => f.get('name') === 'envoy.filters.http.rbac');
  doc.setIn([...HCM, 'http_filters', at, 'typed_config'], doc.createNode(typedConfig));
  return doc.toString();
}

const RBAC_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';

describe('RBAC in gateway-envoy/envoy.yaml', () => {
  it('runs right after jwt_authn, which puts the verified payload in dynamic metadata', () => {
    const kinds = config.hcm.filters.map((f) => f.kind);
    expect(kinds.indexOf('rbac')).toBe(kinds.indexOf('jwt_authn') + 1);
    expect(summary.jwt!.providers.map((p) => p.payloadInMetadata)).toEqual(['jwt_payload']);
    expect(rules.action).toBe('DENY');
  });

  it('refuses admin routes to a viewer and to a request without claims, naming the policy', () => {
    for (const [method, path] of [
      ['GET', '/v1/admin/users'],
      ['GET', '/v1/admin/users?query=a%40b'],
      ['POST', '/v1/admin/plans'],
      ['POST', '/v1/admin/dead-letters/7:replay'],
      ['POST', '/v1/movies'],
      ['PATCH', '/v1/movies/m1'],
      ['DELETE', '/v1/movies/m1'],
      ['POST', '/v1/movies/m1:publish'],
      ['POST', '/v1/movies/m1:createUpload'],
      ['POST', '/flix.analytics.v1.AnalyticsService/ReplayDeadLetter'],
      ['POST', '/flix.identity.v1.IdentityService/SetUserRoles'],
    ]) {
      expect(decide(rules, method!, path!, claims(['viewer'])), `${method} ${path} (viewer)`).toEqual({ allowed: false, policy: 'admin_api' });
      expect(decide(rules, method!, path!, claims()).allowed, `${method} ${path} (no claims)`).toBe(false);
      expect(decide(rules, method!, path!, claims(['viewer', 'admin'])).allowed, `${method} ${path} (admin)`).toBe(true);
    }
  });

  it('leaves viewer routes alone, including the ones that share /v1/movies with catalog admin', () => {
    for (const [method, path] of [
      ['GET', '/v1/movies'],
      ['GET', '/v1/movies/m1'],
      ['PUT', '/v1/movies/m1/rating'],
      ['DELETE', '/v1/movies/m1/rating'],
      ['GET', '/v1/users/me'],
      ['POST', '/v1/checkout/sessions'],
      ['POST', '/flix.catalog.v1.CatalogService/GetMovie'],
      ['GET', '/v1/administrator'],
    ]) {
      expect(decide(rules, method!, path!, claims(['viewer'])), `${method} ${path}`).toEqual({ allowed: true, policy: undefined });
    }
  });

  it('reads roles only as a list holding exactly "admin"', () => {
    expect(decide(rules, 'GET', '/v1/admin/users', claims('admin')).allowed, 'a string, not a list').toBe(false);
    expect(decide(rules, 'GET', '/v1/admin/users', claims(['Admin'])).allowed, 'case matters').toBe(false);
    expect(decide(rules, 'GET', '/v1/admin/users', claims(['administrator'])).allowed).toBe(false);
    expect(decide(rules, 'GET', '/v1/admin/users', claims([])).allowed).toBe(false);
    const elsewhere: DynamicMetadata = new Map([['envoy.filters.http.other', { jwt_payload: { roles: ['admin'] } }]]);
    expect(decide(rules, 'GET', '/v1/admin/users', elsewhere).allowed, 'another filter’s namespace').toBe(false);
  });
});

describe('RBAC config reading', () => {
  const policy = (permissions: unknown[], principals: unknown[]) => ({ permissions, principals });

  it('evaluates ALLOW as a safe-list, policies in name order, and and/or/not/header/metadata matchers', () => {
    const text = withRbac({
      '@type': RBAC_TYPE,
      rules: {
        action: 'ALLOW',
        policies: {
          'b-readers': policy(
            [{ and_rules: { rules: [{ header: { name: ':method', string_match: { exact: 'GET' } } }, { not_rule: { url_path: { path: { prefix: '/v1/admin/' } } } }] } }],
            [{ any: true }],
          ),
          'a-admins': policy(
            [{ any: true }],
            [{ or_ids: { ids: [{ metadata: { filter: 'envoy.filters.http.jwt_authn', path: [{ key: 'jwt_payload' }, { key: 'roles' }], value: { list_match: { one_of: { string_match: { prefix: 'adm' } } } } } }] } }],
          ),
        },
      },
    });
    const r = summarize(parseEnvoyConfig(text)).rbac[0]!.rules!;
    expect(r.policies.map((p) => p.name)).toEqual(['a-admins', 'b-readers']);
    expect(decide(r, 'GET', '/v1/movies', claims())).toEqual({ allowed: true, policy: 'b-readers' });
    expect(decide(r, 'GET', '/v1/admin/users', claims(['viewer']))).toEqual({ allowed: false, policy: undefined });
    expect(decide(r, 'POST', '/v1/movies', claims(['admin']))).toEqual({ allowed: true, policy: 'a-admins' });
  });

  it('supports present_match and invert on metadata', () => {
    const text = withRbac({
      '@type': RBAC_TYPE,
      rules: { action: 'DENY', policies: { anonymous: policy([{ any: true }], [{ metadata: { filter: 'envoy.filters.http.jwt_authn', path: [{ key: 'jwt_payload' }], value: { present_match: true }, invert: true } }]) } },
    });
    const r = summarize(parseEnvoyConfig(text)).rbac[0]!.rules!;
    expect(decide(r, 'GET', '/x', claims()).allowed).toBe(false);
    expect(decide(r, 'GET', '/x', claims([])).allowed).toBe(true);
  });

  it('enforces nothing without rules, as Envoy', () => {
    const r = summarize(parseEnvoyConfig(withRbac({ '@type': RBAC_TYPE }))).rbac[0]!;
    expect(r.rules).toBeUndefined();
  });

  it('refuses what it does not mirror: conditions, matcher trees, shadow rules, other principals', () => {
    const base = { '@type': RBAC_TYPE, rules: { action: 'DENY', policies: { p: policy([{ any: true }], [{ any: true }]) } } };
    const load = (cfg: unknown) => () => parseEnvoyConfig(withRbac(cfg), 'edited.yaml');
    expect(load({ ...base, shadow_rules: base.rules })).toThrow(/shadow_rules: not supported/);
    expect(load({ '@type': RBAC_TYPE, matcher: {} })).toThrow(/matcher: not supported/);
    expect(load({ ...base, rules: { ...base.rules, action: 'LOG' } })).toThrow(/supports only ALLOW, DENY/);
    expect(load({ ...base, rules: { action: 'DENY', policies: { p: { ...policy([{ any: true }], [{ any: true }]), condition: {} } } } })).toThrow(/condition: not supported/);
    expect(load({ ...base, rules: { action: 'DENY', policies: { p: policy([{ any: true }], [{ authenticated: {} }]) } } })).toThrow(/authenticated: not supported/);
    expect(load({ ...base, rules: { action: 'DENY', policies: { p: policy([], [{ any: true }]) } } })).toThrow(/at least one permission/);
  });
});
