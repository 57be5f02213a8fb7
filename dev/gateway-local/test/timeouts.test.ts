import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLogger } from '@flix/logging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { loadEnvoyConfig, startLocalGateway, type LocalGateway } from '../src/index.js';
import { buildFixtureDescriptor } from './support/descriptor.js';
import { FIXTURE_YAML } from './support/targets.js';

const HCM = ['static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 0, 'typed_config'];

let gateway: LocalGateway;

beforeAll(async () => {
  const doc = parseDocument(readFileSync(FIXTURE_YAML, 'utf8'));
  doc.setIn([...HCM, 'request_headers_timeout'], '1s');
  doc.setIn([...HCM, 'common_http_protocol_options'], doc.createNode({ idle_timeout: '1s' }));
  const file = join(mkdtempSync(join(tmpdir(), 'gw-timeouts-')), 'envoy.yaml');
  writeFileSync(file, doc.toString());
  gateway = await startLocalGateway({ port: 0, envoyConfig: file, descriptorSet: buildFixtureDescriptor(), upstreams: {}, logger: createLogger('test', { level: 'silent' }) });
});
afterAll(() => gateway?.close());

/** Opens a socket, writes `text`, and resolves with what came back and how long until the gateway closed it. */
function holdOpen(text: string): Promise<{ reply: string; closedAfterMs: number }> {
  return new Promise((done, fail) => {
    const started = Date.now();
    let reply = '';
    const socket = connect(gateway.port, '127.0.0.1', () => socket.write(text));
    socket.on('data', (d) => (reply += d.toString()));
    socket.on('error', fail);
    socket.on('close', () => done({ reply, closedAfterMs: Date.now() - started }));
    setTimeout(() => (socket.destroy(), fail(new Error('the gateway kept the socket open'))), 10_000);
  });
}

describe('the gateway’s connection timeouts (from the HCM, as Envoy reads them)', () => {
  it('answers 408 and closes a connection whose headers trickle in past request_headers_timeout', async () => {
    const { reply, closedAfterMs } = await holdOpen('GET /v1/things HTTP/1.1\r\nHost: x\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeLessThan(5_000);
  });

  it('closes an idle keep-alive connection after idle_timeout', async () => {
    const { reply, closedAfterMs } = await holdOpen('GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 \d{3}/);
    expect(closedAfterMs).toBeLessThan(5_000);
  });

  it('reads the production envoy.yaml’s limits', () => {
    const cfg = loadEnvoyConfig(resolve(import.meta.dirname, '../../../gateway-envoy/envoy.yaml'));
    expect(cfg.hcm.timeouts).toEqual({ requestHeadersMs: 10_000, requestMs: 60_000, idleMs: 300_000 });
  });
});
