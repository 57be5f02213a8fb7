/**
 * A fingerprint of every service database on the test stack's MongoDB: per collection, the number
 * of documents and a hash of all of them (sorted by _id, canonical JSON). Two snapshots that are
 * equal mean no document was added, removed or changed in between — what "a bad request changes
 * nothing" means for a test that cannot list every collection each service may touch. And the
 * whole-server search for documents that mention given values (`findMentions`).
 */
import { createHash } from 'node:crypto';
import { MongoClient } from 'mongodb';

export interface CollectionPrint {
  count: number;
  hash: string;
}

/** `db.collection` → its print. */
export type DbSnapshot = Record<string, CollectionPrint>;

/** Collections left out, each with the reason a read or the passing of time changes it. */
export type Exclusions = Record<string, string>;

function canonical(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(canonical);
  if (v instanceof Date) return { $date: v.toISOString() };
  if (typeof (v as { toHexString?: unknown }).toHexString === 'function') return { $oid: (v as { toHexString(): string }).toHexString() };
  if (v instanceof Uint8Array || (v as { _bsontype?: string })._bsontype === 'Binary') return { $bin: Buffer.from((v as { buffer?: Uint8Array }).buffer ?? (v as Uint8Array)).toString('base64') };
  if (typeof (v as { _bsontype?: unknown })._bsontype === 'string') return { [`$${(v as { _bsontype: string })._bsontype}`]: String(v) };
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = canonical((v as Record<string, unknown>)[k]);
  return out;
}

/**
 * Prints every collection of the given databases, except `exclude` (keys `db.collection`, or
 * `*.collection` for that collection in every database).
 */
export async function snapshotDatabases(mongoUrl: string, dbs: string[], exclude: Exclusions = {}): Promise<DbSnapshot> {
  const client = await MongoClient.connect(mongoUrl, { directConnection: true });
  try {
    const out: DbSnapshot = {};
    for (const dbName of dbs) {
      const db = client.db(dbName);
      const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
      for (const name of names) {
        const key = `${dbName}.${name}`;
        if (name.startsWith('system.') || key in exclude || `*.${name}` in exclude) continue;
        const docs = await db.collection(name).find({}).toArray();
        const lines = docs.map((d) => JSON.stringify(canonical(d))).sort();
        out[key] = { count: docs.length, hash: createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16) };
      }
    }
    return out;
  } finally {
    await client.close();
  }
}

/** The databases on the server, for a check that every one of them is in the snapshot. */
export async function listDatabases(mongoUrl: string): Promise<string[]> {
  const client = await MongoClient.connect(mongoUrl, { directConnection: true });
  try {
    const res = await client.db('admin').admin().listDatabases();
    return res.databases.map((d) => d.name).filter((n) => !['admin', 'local', 'config'].includes(n));
  } finally {
    await client.close();
  }
}

/** The collections whose print differs (or that exist in only one snapshot). */
export function diffSnapshots(before: DbSnapshot, after: DbSnapshot): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}

/**
 * Every document of every collection of every database, as JSON, that contains one of `needles`
 * (the proof that an erased account is gone everywhere).
 */
export async function findMentions(client: MongoClient, needles: string[]): Promise<string[]> {
  const hits: string[] = [];
  const { databases } = await client.db('admin').admin().listDatabases();
  for (const { name: dbName } of databases) {
    const db = client.db(dbName);
    for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
      if (name.startsWith('system.')) continue;
      for await (const doc of db.collection(name).find({})) {
        const json = JSON.stringify(doc);
        const found = needles.filter((n) => json.includes(n));
        if (found.length > 0) hits.push(`${dbName}.${name}: ${json.slice(0, 400)} (contains ${found.join(', ')})`);
      }
    }
  }
  return hits;
}
