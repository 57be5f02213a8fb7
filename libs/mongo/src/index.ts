import { MongoClient, MongoServerError, type Collection, type Db, type Document, type Filter, type IndexDescription, type UpdateFilter } from 'mongodb';
import { DomainError } from '@flix/errors';
import { watchMongoAvailability, type Availability } from './availability.js';

export { AvailabilitySignal, watchMongoAvailability, type Availability } from './availability.js';

export interface MongoConnection {
  client: MongoClient;
  db: Db;
  /** Up while the driver knows a data-bearing server; readiness and fast failure follow it. */
  availability: Availability;
  close(): Promise<void>;
}

export interface ConnectMongoOptions {
  /**
   * How long an operation waits for a reachable server before failing (ms). Short, so a call
   * during an outage fails fast with UNAVAILABLE instead of hanging; the driver's monitor finds a
   * server that came back within minHeartbeatFrequencyMS (500 ms) while an operation waits.
   * Default 1500.
   */
  serverSelectionTimeoutMS?: number;
  /** How often the driver checks the server when idle (ms); bounds how late an outage is noticed. Default 2000. */
  heartbeatFrequencyMS?: number;
  /** How long to keep trying to reach MongoDB at start before giving up (ms). Default 30 s. */
  startupTimeoutMs?: number;
}

/**
 * Connects to the service's own database (each service owns exactly one). At start, keeps
 * trying for `startupTimeoutMs` (MongoDB may still be starting); after that the driver
 * reconnects by itself, forever.
 */
export async function connectMongo(url: string, dbName: string, appName: string, opts: ConnectMongoOptions = {}): Promise<MongoConnection> {
  const giveUpAt = Date.now() + (opts.startupTimeoutMs ?? 30_000);
  for (let attempt = 1; ; attempt++) {
    // The driver's default pool (100). A small pool can deadlock against the embedded server's
    // global transaction lock: waiters queued behind an open transaction hold every connection, and
    // the transaction cannot send its next command.
    const client = new MongoClient(url, {
      appName,
      serverSelectionTimeoutMS: opts.serverSelectionTimeoutMS ?? 1500,
      heartbeatFrequencyMS: opts.heartbeatFrequencyMS ?? 2000,
      maxPoolSize: 100,
    });
    const availability = watchMongoAvailability(client);
    try {
      await client.connect();
    } catch (err) {
      await client.close().catch(() => undefined);
      if (Date.now() >= giveUpAt) throw err;
      await new Promise((r) => setTimeout(r, Math.min(2000, 250 * attempt)));
      continue;
    }
    const db = client.db(dbName);
    return { client, db, availability, close: () => client.close() };
  }
}

export type IndexPlan = Record<string, IndexDescription[]>;

/** Creates the indexes a service needs at start; createIndexes is idempotent. */
export async function ensureIndexes(db: Db, plan: IndexPlan): Promise<void> {
  for (const [collection, indexes] of Object.entries(plan)) {
    if (indexes.length > 0) await db.collection(collection).createIndexes(indexes);
  }
}

export const isDuplicateKey = (e: unknown): e is MongoServerError =>
  e instanceof MongoServerError && e.code === 11000;

/** Documents updated by compare-and-set carry a monotonically increasing version. */
export interface Versioned {
  version: number;
}

/**
 * Compare-and-set: applies `update` only if the stored document still has `expectedVersion`,
 * bumping the version. Two writers racing on the same document cannot both win; the loser gets
 * ABORTED (HTTP 409) and may re-read and retry.
 */
export async function updateIfVersion<T extends Document & Versioned>(
  collection: Collection<T>,
  filter: Filter<T>,
  expectedVersion: number,
  update: UpdateFilter<T>,
  options: { session?: import('mongodb').ClientSession } = {},
): Promise<void> {
  const res = await collection.updateOne(
    { ...filter, version: expectedVersion } as Filter<T>,
    { ...update, $inc: { ...((update.$inc as object) ?? {}), version: 1 } } as unknown as UpdateFilter<T>,
    { session: options.session },
  );
  if (res.matchedCount === 0)
    throw new DomainError('aborted', 'CONCURRENT_MODIFICATION', 'the resource was changed by another request; retry');
}

/** Opaque page tokens: base64url JSON of the last item's sort key, so pages are stable under inserts. */
export function encodePageToken(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodePageToken(token: string): Record<string, string | number> | undefined {
  if (!token) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, string | number>;
  } catch {
    // fall through to the error below
  }
  throw new DomainError('invalid_argument', 'INVALID_PAGE_TOKEN', 'pageToken: not a token this API returned', [
    { field: 'pageToken', description: 'not a token this API returned' },
  ]);
}

/** Page size with AIP-158 semantics: 0 → default, above max → max, negative → error. */
export function pageSize(requested: number, fallback = 20, max = 100): number {
  if (requested < 0)
    throw new DomainError('invalid_argument', 'INVALID_PAGE_SIZE', 'pageSize: must not be negative', [
      { field: 'pageSize', description: 'must not be negative' },
    ]);
  return requested === 0 ? fallback : Math.min(requested, max);
}
