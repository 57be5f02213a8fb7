import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../src/index.js';

/** Set MONGO_URL to run the same suite against a real MongoDB (replica set, for transactions). */
export const REAL_MONGO_URL = process.env.MONGO_URL;

export interface Harness {
  client: MongoClient;
  db: Db;
  url: string;
  /** The in-process server, when not running against MONGO_URL. */
  embedded: EmbeddedMongo | null;
  stop(): Promise<void>;
}

export function tempDir(prefix = 'flix-mongo-embedded-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A client on a fresh, uniquely named database; stop() drops it and cleans everything up. */
export async function openHarness(): Promise<Harness> {
  let embedded: EmbeddedMongo | null = null;
  let dir: string | null = null;
  let url = REAL_MONGO_URL;
  if (!url) {
    // A real data dir, so the journal path is exercised by every test too.
    dir = tempDir();
    embedded = await startEmbeddedMongo({ dataDir: dir, ttlMonitorIntervalMs: 200 });
    url = embedded.url;
  }
  const client = await new MongoClient(url, { serverSelectionTimeoutMS: 5000 }).connect();
  const db = client.db(`flix_embedded_test_${randomBytes(4).toString('hex')}`);
  return {
    client,
    db,
    url,
    embedded,
    async stop() {
      await db.dropDatabase().catch(() => {});
      await client.close();
      await embedded?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
