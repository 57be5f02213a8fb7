/**
 * The YAML loader refuses what the local gateway would not mirror, so the two gateways cannot
 * silently drift apart.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@flix/logging';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { EnvoyConfigError, parseEnvoyConfig, startLocalGateway } from '../src/index.js';
import { buildFixtureDescriptor } from './support/descriptor.js';
import { FIXTURE_YAML, yamlForDocker } from './support/targets.js';

const HCM = ['static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 0, 'typed_config'];

function edited(edit: (doc: ReturnType<typeof parseDocument>) => void): string {
  const doc = parseDocument(readFileSync(FIXTURE_YAML, 'utf8'));
  edit(doc);
  return doc.toString();
}

const load = (text: string) => () => parseEnvoyConfig(text, 'edited.yaml');

describe('Envoy config loader', () => {
  it('loads the fixture', () => {
    const cfg = parseEnvoyConfig(readFileSync(FIXTURE_YAML, 'utf8'));
    expect(cfg.hcm.filters.map((f) => f.kind)).toEqual(['health_check', 'cors', 'local_ratelimit', 'jwt_authn', 'buffer', 'grpc_json_transcoder', 'router']);
  });

  it('fails loudly on a field it does not mirror, naming where it is', () => {
    const text = edited((d) => d.setIn([...HCM, 'stream_idle_timeout'], '300s'));
    expect(load(text)).toThrow(EnvoyConfigError);
    expect(load(text)).toThrow(/typed_config\.stream_idle_timeout: not supported/);
  });

  it('fails loudly on an HTTP filter it does not implement', () => {
    const text = edited((d) =>
      (d.getIn([...HCM, 'http_filters']) as { items: unknown[] }).items.unshift(
        d.createNode({ name: 'envoy.filters.http.ext_authz', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz' } }),
      ),
    );
    expect(load(text)).toThrow(/ext_authz.*not supported/);
  });

  it('fails loudly on unknown per-route config, and on config for a filter that is not there', () => {
    const route = [...HCM, 'route_config', 'virtual_hosts', 0, 'routes', 0, 'typed_per_filter_config'];
    const unknownType = edited((d) => d.setIn([...route, 'envoy.filters.http.lua'], d.createNode({ '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.LuaPerRoute' })));
    expect(load(unknownType)).toThrow(/LuaPerRoute is not supported/);
    const noFilter = edited((d) =>
      d.setIn([...route, 'envoy.filters.http.other'], d.createNode({ '@type': 'type.googleapis.com/envoy.config.route.v3.FilterConfig', disabled: true })),
    );
    expect(load(noFilter)).toThrow(/names no filter/);
  });

  it('refuses references to clusters that do not exist, as Envoy does', () => {
    const text = edited((d) => d.setIn([...HCM, 'route_config', 'virtual_hosts', 0, 'routes', 0, 'route', 'cluster'], 'nowhere'));
    expect(load(text)).toThrow(/unknown cluster nowhere/);
  });

  it('refuses YAML merge keys, which Envoy cannot read', () => {
    const text = `${readFileSync(FIXTURE_YAML, 'utf8')}\nextra: &x { a: 1 }\nother:\n  <<: *x\n`;
    expect(load(text)).toThrow(EnvoyConfigError);
  });

  it('refuses to start when a transcoded service is missing from the descriptor set', async () => {
    const text = edited((d) => d.setIn([...HCM, 'http_filters', 5, 'typed_config', 'services'], d.createNode(['gwtest.v1.Missing'])));
    const file = join(mkdtempSync(join(tmpdir(), 'gw-yaml-')), 'envoy.yaml');
    writeFileSync(file, text);
    await expect(
      startLocalGateway({
        port: 0,
        envoyConfig: file,
        descriptorSet: buildFixtureDescriptor(),
        upstreams: {},
        logger: createLogger('test', { level: 'silent' }),
      }),
    ).rejects.toThrow("transcoding_filter: Could not find 'gwtest.v1.Missing' in the proto descriptor");
  });

  it('points every cluster at the Docker host for the Envoy container variant', () => {
    const cfg = parseEnvoyConfig(yamlForDocker({ grpc: 1111, http: 2222 }));
    expect(cfg.clusters.get('gwtest_grpc')!.endpoints).toEqual([{ host: 'host.testcontainers.internal', port: 1111 }]);
    expect(cfg.clusters.get('gwtest_http')!.endpoints).toEqual([{ host: 'host.testcontainers.internal', port: 2222 }]);
  });
});
