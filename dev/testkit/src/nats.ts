import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tryContainer } from './containers.js';
import { freePort, waitForPort } from './ports.js';

export interface NatsHandle {
  url: string;
  stop(): Promise<void>;
}

/**
 * A nats-server with JetStream on a free port and its own store directory, so test runs never
 * touch a server another process (or the machine's own 4222) is using. NATS_URL overrides it;
 * where a Docker engine is reachable the `nats` image is used instead.
 */
export async function startNats(): Promise<NatsHandle> {
  if (process.env.NATS_URL) return { url: process.env.NATS_URL, stop: async () => {} };
  const container = await tryContainer('nats:2.10-alpine', 4222, ['-js'], /Server is ready/);
  if (container) return { url: `nats://${container.host}:${container.port}`, stop: container.stop };
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'flix-nats-'));
  const child: ChildProcess = spawn(
    process.env.NATS_SERVER_BIN ?? 'nats-server',
    ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir],
    { stdio: 'ignore' },
  );
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (e) => reject(new Error(`cannot start nats-server (${e.message}); run 'make setup'`))),
  );
  await Promise.race([waitForPort(port), spawnError]);
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
