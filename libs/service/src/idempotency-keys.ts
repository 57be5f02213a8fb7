import type { IdempotencyKeyStore, IdempotencyRecord, NewClaim } from '@flix/grpc';
import { isDuplicateKey, type IndexPlan } from '@flix/mongo';
import type { Binary, Collection, Db } from 'mongodb';

/** Collection of the Idempotency-Key records, in each service's own database. */
export const IDEMPOTENCY_KEYS_COLLECTION = 'idempotency_keys';

/** Each record carries its own expiry, so changing the retention needs no index change. */
export const IDEMPOTENCY_KEY_INDEXES: IndexPlan = {
  [IDEMPOTENCY_KEYS_COLLECTION]: [{ key: { expiresAt: 1 }, name: 'expiresAt_ttl', expireAfterSeconds: 0 }],
};

interface KeyDocument {
  /** Hash of (method, subject, key): the key itself is never stored. */
  _id: string;
  method: string;
  claim: string;
  state: 'pending' | 'completed';
  fingerprint: string;
  leaseUntil: Date;
  expiresAt: Date;
  sealed?: Binary | Uint8Array;
}

/** IdempotencyKeyStore in MongoDB: the unique _id makes the first claim win across replicas. */
export class MongoIdempotencyKeyStore implements IdempotencyKeyStore {
  private readonly coll: Collection<KeyDocument>;

  constructor(db: Db) {
    this.coll = db.collection<KeyDocument>(IDEMPOTENCY_KEYS_COLLECTION);
  }

  async claim(id: string, c: NewClaim, now: Date): Promise<IdempotencyRecord | undefined> {
    const doc: KeyDocument = { _id: id, method: c.method, claim: c.claim, state: 'pending', fingerprint: c.fingerprint, leaseUntil: c.leaseUntil, expiresAt: c.expiresAt };
    // Bounded: each round either inserts, finds a live record, or replaces an expired one.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.coll.insertOne(doc);
        return undefined;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      const existing = await this.coll.findOne({ _id: id });
      if (!existing) continue; // released meanwhile
      if (existing.expiresAt.getTime() > now.getTime()) return toRecord(existing);
      // Past its retention but not yet removed by the TTL monitor (it runs once a minute).
      const replaced = await this.coll.replaceOne({ _id: id, expiresAt: { $lte: now } }, doc);
      if (replaced.matchedCount === 1) return undefined;
    }
    throw new Error('idempotency key: could not claim or read the key');
  }

  async takeOver(id: string, c: NewClaim, now: Date): Promise<boolean> {
    const res = await this.coll.updateOne(
      { _id: id, state: 'pending', leaseUntil: { $lte: now } },
      { $set: { claim: c.claim, leaseUntil: c.leaseUntil, expiresAt: c.expiresAt } },
    );
    return res.matchedCount === 1;
  }

  async complete(id: string, claim: string, sealed: Uint8Array, expiresAt: Date): Promise<void> {
    await this.coll.updateOne({ _id: id, claim, state: 'pending' }, { $set: { state: 'completed', sealed: Buffer.from(sealed), expiresAt } });
  }

  async release(id: string, claim: string): Promise<void> {
    await this.coll.deleteOne({ _id: id, claim, state: 'pending' });
  }
}

function toRecord(doc: KeyDocument): IdempotencyRecord {
  const sealed = doc.sealed === undefined ? undefined : doc.sealed instanceof Uint8Array ? doc.sealed : doc.sealed.buffer;
  return { claim: doc.claim, state: doc.state, fingerprint: doc.fingerprint, leaseUntil: doc.leaseUntil, ...(sealed ? { sealed } : {}) };
}
