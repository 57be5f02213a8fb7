/**
 * Runs the local gateway on its own:
 *
 *   tsx dev/gateway-local/src/cli.ts --port 8080 \
 *     --upstream identity_grpc=127.0.0.1:50051 --upstream identity_http=127.0.0.1:8081
 *
 * Flags override the environment: FLIX_GATEWAY_PORT, FLIX_GATEWAY_HOST, FLIX_GATEWAY_CONFIG
 * (default gateway-envoy/envoy.yaml), FLIX_DESCRIPTOR_SET (default build/flix.binpb) and
 * FLIX_GATEWAY_UPSTREAMS ("identity_grpc=127.0.0.1:50051,identity_http=127.0.0.1:8081").
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, port, z } from '@flix/config';
import { createLogger } from '@flix/logging';
import { startLocalGateway } from './gateway.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const logger = createLogger('gateway-local');

function fail(message: string): never {
  logger.fatal(message);
  process.exit(2);
}

function parseUpstreams(pairs: string[], source: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const m = /^([\w.-]+)=(\S+:\d+)$/.exec(pair.trim());
    if (!m) fail(`${source}: expected cluster=host:port, got ${JSON.stringify(pair)}`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

let env;
try {
  env = loadConfig({
    FLIX_GATEWAY_PORT: port(8080),
    FLIX_GATEWAY_HOST: z.string().min(1).default('127.0.0.1'),
    FLIX_GATEWAY_CONFIG: z.string().min(1).default(join(root, 'gateway-envoy/envoy.yaml')),
    FLIX_DESCRIPTOR_SET: z.string().min(1).default(join(root, 'build/flix.binpb')),
    FLIX_GATEWAY_UPSTREAMS: z.string().default(''),
  });
} catch (err) {
  fail(err instanceof ConfigError ? err.message : String(err));
}

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    descriptor: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    upstream: { type: 'string', multiple: true, default: [] },
  },
});

const listenPort = values.port === undefined ? env.FLIX_GATEWAY_PORT : Number(values.port);
if (!Number.isInteger(listenPort) || listenPort < 0 || listenPort > 65535) fail(`--port is not a port: ${values.port}`);
const upstreams = {
  ...parseUpstreams(env.FLIX_GATEWAY_UPSTREAMS.split(',').filter(Boolean), 'FLIX_GATEWAY_UPSTREAMS'),
  ...parseUpstreams(values.upstream, '--upstream'),
};
const descriptorPath = values.descriptor ?? env.FLIX_DESCRIPTOR_SET;
let descriptorSet: Buffer;
try {
  descriptorSet = readFileSync(descriptorPath);
} catch {
  fail(`cannot read the descriptor set ${descriptorPath} (FLIX_DESCRIPTOR_SET; run npm run generate)`);
}

try {
  const gateway = await startLocalGateway({
    port: listenPort,
    host: values.host ?? env.FLIX_GATEWAY_HOST,
    envoyConfig: values.config ?? env.FLIX_GATEWAY_CONFIG,
    descriptorSet,
    upstreams,
    logger,
  });
  logger.info({ url: gateway.url }, 'local gateway ready');
  const stop = () => void gateway.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (err) {
  fail((err as Error).message);
}
