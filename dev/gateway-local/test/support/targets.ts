/**
 * The gateways the conformance suite runs against: the local gateway reading the fixture YAML,
 * and the same YAML in a real Envoy container when a Docker engine is reachable.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '@flix/logging';
import { parseDocument } from 'yaml';
import { startLocalGateway } from '../../src/index.js';
import { FIXTURES } from './descriptor.js';

export const FIXTURE_YAML = join(FIXTURES, 'envoy.yaml');
export const ENVOY_IMAGE = 'envoyproxy/envoy:v1.34-latest';

export interface Target {
  url: string;
  /** What the gateway appends to x-forwarded-for for this test process, when predictable. */
  clientAddress?: string;
  close(): Promise<void>;
}

export interface UpstreamPorts {
  grpc: number;
  http: number;
}

export async function startLocalTarget(descriptor: Uint8Array, ports: UpstreamPorts): Promise<Target> {
  const gw = await startLocalGateway({
    port: 0,
    envoyConfig: FIXTURE_YAML,
    descriptorSet: descriptor,
    upstreams: { gwtest_grpc: `127.0.0.1:${ports.grpc}`, gwtest_http: `127.0.0.1:${ports.http}` },
    logger: createLogger('gateway-local-test', { level: process.env.GATEWAY_TEST_LOG ?? 'silent' }),
  });
  return { url: gw.url, clientAddress: '127.0.0.1', close: () => gw.close() };
}

/** Why the Docker variant cannot run here, or undefined when it can. */
export async function dockerUnavailableReason(): Promise<string | undefined> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return undefined;
  } catch (err) {
    return `no Docker engine (${(err as Error).message})`;
  }
}

/** The fixture YAML with every cluster pointed at the test process's ports on the Docker host. */
export function yamlForDocker(ports: UpstreamPorts): string {
  const doc = parseDocument(readFileSync(FIXTURE_YAML, 'utf8'));
  const clusters = doc.getIn(['static_resources', 'clusters']) as { items: unknown[] };
  clusters.items.forEach((_c, i) => {
    const name = doc.getIn(['static_resources', 'clusters', i, 'name']) as string;
    const base = ['static_resources', 'clusters', i, 'load_assignment', 'endpoints', 0, 'lb_endpoints', 0, 'endpoint', 'address', 'socket_address'];
    doc.setIn([...base, 'address'], 'host.testcontainers.internal');
    doc.setIn([...base, 'port_value'], name === 'gwtest_grpc' ? ports.grpc : ports.http);
  });
  return doc.toString();
}

export async function startEnvoyTarget(descriptor: Uint8Array, ports: UpstreamPorts): Promise<Target> {
  const { GenericContainer, TestContainers, Wait } = await import('testcontainers');
  await TestContainers.exposeHostPorts(ports.grpc, ports.http);
  const container = await new GenericContainer(ENVOY_IMAGE)
    .withCopyContentToContainer([
      { content: yamlForDocker(ports), target: '/etc/envoy/envoy.yaml' },
      { content: Buffer.from(descriptor), target: '/etc/envoy/flix.binpb' },
    ])
    .withCommand(['-c', '/etc/envoy/envoy.yaml', '--log-level', 'warn'])
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forListeningPorts())
    .start();
  return {
    url: `http://${container.getHost()}:${container.getMappedPort(8080)}`,
    close: async () => {
      await container.stop();
    },
  };
}
