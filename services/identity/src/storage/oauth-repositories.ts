import type { Collection, Db } from 'mongodb';
import { MongoServerError } from 'mongodb';
import { DomainError } from '@flix/errors';
import type {
  AuthorizationCodeRecord,
  AuthorizationCodeRepository,
  ConsentRepository,
  DeviceAuthorizationRecord,
  DeviceAuthorizationRepository,
  RedeemResult,
  UserCodeAttemptRepository,
} from '../domain/oauth-ports.js';

/**
 * Spent codes are kept a day past their expiry so that a replay is still recognised (and
 * revokes the tokens issued from the code) rather than answered like an unknown code.
 */
const KEEP_SPENT_MS = 86_400_000;

type CodeDoc = Omit<AuthorizationCodeRecord, 'hash'> & { _id: string; purgeAt: Date };

export class MongoAuthorizationCodeRepository implements AuthorizationCodeRepository {
  private readonly codes: Collection<CodeDoc>;

  constructor(db: Db) {
    this.codes = db.collection<CodeDoc>('oauth_codes');
  }

  async insert({ hash, ...rest }: AuthorizationCodeRecord): Promise<void> {
    await this.codes.insertOne({ _id: hash, ...rest, purgeAt: new Date(rest.expiresAt.getTime() + KEEP_SPENT_MS) });
  }

  async findByHash(hash: string): Promise<AuthorizationCodeRecord | null> {
    const doc = await this.codes.findOne({ _id: hash });
    return doc ? fromCodeDoc(doc) : null;
  }

  async redeem(hash: string, now: Date, familyId: string): Promise<RedeemResult> {
    const won = await this.codes.updateOne({ _id: hash, usedAt: null }, { $set: { usedAt: now, familyId } });
    if (won.modifiedCount === 1) return { kind: 'ok' };
    const doc = await this.codes.findOne({ _id: hash });
    return { kind: 'already_used', record: fromCodeDoc(doc!) };
  }
}

function fromCodeDoc({ _id, purgeAt: _purge, ...rest }: CodeDoc): AuthorizationCodeRecord {
  return { hash: _id, ...rest };
}

interface ConsentDoc {
  _id: string;
  userId: string;
  clientId: string;
  scopes: string[];
  grantedAt: Date;
}

/** One document per (user, client); kept until the account goes (swept by its userId). */
export class MongoConsentRepository implements ConsentRepository {
  private readonly consents: Collection<ConsentDoc>;

  constructor(db: Db) {
    this.consents = db.collection<ConsentDoc>('oauth_consents');
  }

  async grantedScopes(userId: string, clientId: string): Promise<string[]> {
    return (await this.consents.findOne({ _id: `${userId}|${clientId}` }))?.scopes ?? [];
  }

  async grant(userId: string, clientId: string, scopes: string[], now: Date): Promise<void> {
    await this.consents.updateOne(
      { _id: `${userId}|${clientId}` },
      { $addToSet: { scopes: { $each: scopes } }, $set: { grantedAt: now }, $setOnInsert: { userId, clientId } },
      { upsert: true },
    );
  }
}

type DeviceDoc = Omit<DeviceAuthorizationRecord, 'deviceCodeHash'> & { _id: string; purgeAt: Date };

export class MongoDeviceAuthorizationRepository implements DeviceAuthorizationRepository {
  private readonly devices: Collection<DeviceDoc>;

  constructor(db: Db) {
    this.devices = db.collection<DeviceDoc>('oauth_device_authorizations');
  }

  async insert({ deviceCodeHash, ...rest }: DeviceAuthorizationRecord): Promise<void> {
    // The user code is unique among stored requests (index user_code_unique): an expired one
    // still holds its code until the TTL monitor removes it, a few minutes after purgeAt.
    try {
      await this.devices.insertOne({ _id: deviceCodeHash, ...rest, purgeAt: new Date(rest.expiresAt.getTime() + 60_000) });
    } catch (e) {
      if (e instanceof MongoServerError && e.code === 11000) throw new DomainError('already_exists', 'USER_CODE_TAKEN', 'user code in use');
      throw e;
    }
  }

  async findByUserCode(userCode: string): Promise<DeviceAuthorizationRecord | null> {
    const doc = await this.devices.findOne({ userCode });
    return doc ? fromDeviceDoc(doc) : null;
  }

  async poll(deviceCodeHash: string, now: Date): Promise<DeviceAuthorizationRecord | null> {
    const before = await this.devices.findOneAndUpdate({ _id: deviceCodeHash }, { $set: { lastPolledAt: now } }, { returnDocument: 'before' });
    return before ? fromDeviceDoc(before) : null;
  }

  async slowDown(deviceCodeHash: string, seconds: number): Promise<void> {
    await this.devices.updateOne({ _id: deviceCodeHash }, { $inc: { interval: seconds } });
  }

  async decide(deviceCodeHash: string, decision: 'approved' | 'denied', userId: string, now: Date): Promise<boolean> {
    const res = await this.devices.updateOne({ _id: deviceCodeHash, status: 'pending', expiresAt: { $gt: now } }, { $set: { status: decision, userId, decidedAt: now } });
    return res.modifiedCount === 1;
  }

  async redeem(deviceCodeHash: string): Promise<boolean> {
    const res = await this.devices.updateOne({ _id: deviceCodeHash, status: 'approved' }, { $set: { status: 'redeemed' } });
    return res.modifiedCount === 1;
  }
}

function fromDeviceDoc({ _id, purgeAt: _purge, ...rest }: DeviceDoc): DeviceAuthorizationRecord {
  return { deviceCodeHash: _id, ...rest };
}

interface AttemptDoc {
  _id: string;
  failures: number;
  windowEnd: Date;
  /** Set on per-account counters, so that deleting the account removes them too. */
  userId?: string;
}

export class MongoUserCodeAttemptRepository implements UserCodeAttemptRepository {
  private readonly attempts: Collection<AttemptDoc>;

  constructor(db: Db) {
    this.attempts = db.collection<AttemptDoc>('oauth_user_code_attempts');
  }

  async read(keys: string[], now: Date): Promise<{ key: string; failures: number; windowEnd: Date }[]> {
    const docs = await this.attempts.find({ _id: { $in: keys }, windowEnd: { $gt: now } }).toArray();
    return docs.map((d) => ({ key: d._id, failures: d.failures, windowEnd: d.windowEnd }));
  }

  async recordFailure(keys: { key: string; userId?: string }[], now: Date, windowSeconds: number): Promise<void> {
    const windowEnd = new Date(now.getTime() + windowSeconds * 1000);
    for (const { key, userId } of keys) {
      // A finished window starts over (the TTL monitor may not have removed it yet).
      await this.attempts.deleteOne({ _id: key, windowEnd: { $lte: now } });
      await this.attempts.updateOne(
        { _id: key },
        { $inc: { failures: 1 }, $setOnInsert: { windowEnd, ...(userId ? { userId } : {}) } },
        { upsert: true },
      ).catch((e: unknown) => {
        // Two first failures at once: the other created it; count this one on it.
        if (e instanceof MongoServerError && e.code === 11000) return this.attempts.updateOne({ _id: key }, { $inc: { failures: 1 } });
        throw e;
      });
    }
  }
}
