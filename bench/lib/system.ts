import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

export interface RunningSystem {
  gatewayUrl: string;
  admin: { email: string; password: string };
  stop(): Promise<void>;
}

/**
 * Starts the whole system exactly as `make run` does (separate processes for MongoDB, NATS,
 * each service and the gateway), on a throwaway data directory, so the load generator in this
 * process measures the real deployment shape on loopback.
 */
export async function startSystem(opts: { gatewayPort?: number; env?: Record<string, string> } = {}): Promise<RunningSystem> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flix-bench-'));
  const gatewayPort = opts.gatewayPort ?? 18080;
  const admin = { email: 'bench-admin@flix.local', password: 'operator-passphrase-for-bench-1' };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(root, 'dev/stack/src/main.ts')], {
    cwd: root,
    env: {
      ...process.env,
      FLIX_DATA_DIR: dataDir,
      FLIX_GATEWAY_PORT: String(gatewayPort),
      FLIX_MONGO_PORT: '27118',
      FLIX_NATS_PORT: '4323',
      FLIX_NATS_MONITOR_PORT: '8323',
      FLIX_ADMIN_EMAIL: admin.email,
      FLIX_ADMIN_PASSWORD: admin.password,
      LOG_LEVEL: 'warn',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const ready = new Promise<void>((resolveReady, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Flix is up')) resolveReady();
    });
    child.once('exit', (code) => reject(new Error(`system exited with ${code} before it was ready`)));
  });
  await ready;
  return {
    gatewayUrl,
    admin,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
