/**
 * Passive health checking (envoy.yaml's `outlier_detection` on the *_grpc clusters) through the
 * local gateway with the real envoy.yaml: a request that finds a service gone (connection refused)
 * ejects its host at once, so /healthz names it from that moment instead of after the periodic
 * active checks notice (finding FS4: an outage of about a second went unseen); the next passing
 * active check brings it back. A service's own 503 is an answer, not a dead host.
 */
import http from 'node:http';
import { join } from 'node:path';
import { createLogger } from '@flix/logging';
import { readDescriptorSet } from '@flix/proto/descriptor';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalGateway, loadEnvoyConfig, parseEnvoyConfig, startLocalGateway, summarize } from '../src/index.js';
import { REPO_ROOT } from './support/descriptor.js';
import { type FlixUpstreams, startFlixUpstreams } from './support/flix-upstreams.js';

const YAML_PATH = join(REPO_ROOT, 'gateway-envoy/envoy.yaml');
const CONFIG = loadEnvoyConfig(YAML_PATH);
const descriptorSet = readDescriptorSet();
const services = summarize(CONFIG).transcodedServices;

let everyone: FlixUpstreams;
/** Billing alone, on a port of its own, so it can die and come back on that port. */
let billing: FlixUpstreams;
let gw: LocalGateway;

function get(path: string): Promise<{ status: number; body: { code?: number; message?: string } }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: gw.port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body ? JSON.parse(body) : {} }));
    });
    req.on('error', reject);
    req.end();
  });
}

const healthy = async () => expect(await get('/healthz')).toMatchObject({ status: 200 });

beforeAll(async () => {
  everyone = await startFlixUpstreams(descriptorSet, services);
  billing = await startFlixUpstreams(descriptorSet, services);
  gw = await startLocalGateway({
    port: 0,
    envoyConfig: YAML_PATH,
    descriptorSet,
    upstreams: { ...everyone.upstreams(CONFIG.clusters.keys()), billing_grpc: `127.0.0.1:${billing.grpcPort}` },
    logger: createLogger('gateway-outlier-test', { level: 'silent' }),
  });
  await vi.waitFor(healthy, { timeout: 15_000, interval: 100 });
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([everyone?.close(), billing?.close()]);
});

describe('outlier detection (passive health checking)', () => {
  it('is configured on every health-checked gRPC cluster of envoy.yaml: one local-origin failure ejects, 5xx answers never do', () => {
    for (const name of summarize(CONFIG).healthCheckedClusters) {
      expect(CONFIG.clusters.get(name)?.outlierDetection, name).toMatchObject({ consecutiveLocalOriginFailure: 1, enforcingLocalOriginPercent: 100, unejectOnActiveSuccess: true });
    }
  });

  it('names a service in /healthz from the first request that finds it gone, and clears it at the next passing active check', async () => {
    const port = billing.grpcPort;
    await billing.close();

    const refused = await get('/v1/plans');
    expect(refused.status).toBe(503);
    expect(refused.body.message).toContain('Connection refused');
    // At once: the periodic active checks need two failed checks a second apart to see it.
    expect(await get('/healthz')).toEqual({ status: 503, body: { code: 14, message: 'one or more upstream clusters are not healthy: billing_grpc' } });

    billing = await startFlixUpstreams(descriptorSet, services, { grpcPort: port });
    await vi.waitFor(healthy, { timeout: 10_000, interval: 50 });
    expect((await get('/v1/plans')).status).toBe(200);
  });

  it('does not eject a service for its own 503 (an answer: a dependency away, or shedding)', async () => {
    billing.unavailable.set('ListPlans', 1);
    try {
      const r = await get('/v1/plans');
      expect(r).toMatchObject({ status: 503, body: { code: 14, message: 'billing is catching up' } });
      await healthy();
    } finally {
      billing.unavailable.delete('ListPlans');
    }
  });

  it('refuses outlier_detection settings the local gateway would silently not honour', () => {
    const withOutlier = (od: string) => `
static_resources:
  listeners:
    - name: l
      address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: t
                route_config: { virtual_hosts: [] }
                http_filters:
                  - name: envoy.filters.http.router
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  clusters:
    - name: c
      connect_timeout: 1s
      load_assignment: { cluster_name: c, endpoints: [] }
      outlier_detection: ${od}
`;
    expect(() => parseEnvoyConfig(withOutlier('{ split_external_local_origin_errors: true, enforcing_consecutive_5xx: 0 }'))).not.toThrow();
    expect(() => parseEnvoyConfig(withOutlier('{ consecutive_local_origin_failure: 1, enforcing_consecutive_5xx: 0 }'))).toThrow(/split_external_local_origin_errors/);
    expect(() => parseEnvoyConfig(withOutlier('{ split_external_local_origin_errors: true }'))).toThrow(/enforcing_consecutive_5xx: the local gateway does not eject on upstream 5xx/);
    expect(() => parseEnvoyConfig(withOutlier('{ split_external_local_origin_errors: true, enforcing_consecutive_5xx: 0, consecutive_gateway_failure: 1 }'))).toThrow(/consecutive_gateway_failure: not supported/);
  });
});
