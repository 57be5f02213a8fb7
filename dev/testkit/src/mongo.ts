import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedMongo } from '@flix/mongo-embedded';
import { tryContainer } from './containers.js';

export interface MongoHandle {
  /** Connection string for the official driver. */
  url: string;
  stop(): Promise<void>;
}

/**
 * mongod as a single-node replica set (transactions need one): start it, then initiate the set
 * from inside the container, retrying until mongod accepts connections.
 */
const REPLICA_SET_SCRIPT = [
  'mongod --replSet flix --bind_ip_all --port 27017 &',
  `until mongosh --quiet --eval 'rs.initiate({_id:"flix",members:[{_id:0,host:"127.0.0.1:27017"}]})' >/dev/null 2>&1; do sleep 0.5; done;`,
  'wait',
].join(' ');

/**
 * A MongoDB for tests, best first: MONGO_URL if set; `mongo:7` via testcontainers where a Docker
 * engine is reachable; otherwise the embedded MongoDB-compatible server in-process on a free port
 * with its own temp data dir (removed by stop()).
 */
export async function startMongo(): Promise<MongoHandle> {
  if (process.env.MONGO_URL) return { url: process.env.MONGO_URL, stop: async () => {} };

  const container = await tryContainer('mongo:7', 27017, ['bash', '-c', REPLICA_SET_SCRIPT], /Transition to primary complete/);
  if (container) {
    return { url: `mongodb://${container.host}:${container.port}/?directConnection=true`, stop: container.stop };
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'flix-mongo-'));
  try {
    const server = await startEmbeddedMongo({ port: 0, dataDir });
    return {
      url: server.url,
      async stop() {
        await server.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}
