import type { Collection, Db, MongoClient } from 'mongodb';
import { DomainError } from '@flix/errors';
import { runInTransaction } from '@flix/events';
import { isDuplicateKey } from '@flix/mongo';
import type { AccountSecurityStore } from '../domain/account-security.js';
import type { DeviceRecord } from '../domain/devices.js';
import type { IdentityEvent } from '../domain/events.js';
import type { UserRecord } from '../domain/model.js';
import type { RefreshTokenRecord } from '../domain/ports.js';
import type { EventWriter } from '../events/event-writer.js';

type UserDoc = Omit<UserRecord, 'id'> & { _id: string };
type TokenDoc = Omit<RefreshTokenRecord, 'hash'> & { _id: string };

const toDoc = ({ id, ...rest }: UserRecord): UserDoc => ({ _id: id, ...rest });
const fromDoc = ({ _id, ...rest }: UserDoc): UserRecord => ({ id: _id, ...rest });

interface DeviceRow {
  _id: string;
  createdAt: Date;
  userAgent?: string | null;
  clientIp?: string | null;
  lastUsedAt: Date;
}

/**
 * Reset and verification token hashes live on the account document (`passwordReset`,
 * `emailVerification`, indexed in indexes.ts), so spending one is the same compare-and-set as
 * any other change of the account; the refresh tokens a change revokes go in that transaction too.
 */
export class MongoAccountSecurityStore implements AccountSecurityStore {
  private readonly users: Collection<UserDoc>;
  private readonly tokens: Collection<TokenDoc>;

  constructor(private readonly client: MongoClient, db: Db, private readonly writeEvents: EventWriter) {
    this.users = db.collection<UserDoc>('users');
    this.tokens = db.collection<TokenDoc>('refresh_tokens');
  }

  async findByResetTokenHash(hash: string): Promise<UserRecord | null> {
    const doc = await this.users.findOne({ 'passwordReset.tokenHash': hash });
    return doc ? fromDoc(doc) : null;
  }

  async findByVerificationTokenHash(hash: string): Promise<UserRecord | null> {
    const doc = await this.users.findOne({ 'emailVerification.tokenHash': hash });
    return doc ? fromDoc(doc) : null;
  }

  async update(
    user: UserRecord,
    expectedVersion: number,
    opts: { revokeSessions?: { keep: string | null; at: Date }; emailField?: string },
    events: (revokedFamilies: number) => IdentityEvent[],
  ): Promise<{ user: UserRecord; revoked: number }> {
    const next = { ...user, version: expectedVersion + 1 };
    try {
      const revoked = await runInTransaction(this.client, async (session) => {
        const res = await this.users.replaceOne({ _id: user.id, version: expectedVersion }, toDoc(next), { session });
        if (res.matchedCount === 0) throw new DomainError('aborted', 'CONCURRENT_MODIFICATION', 'the account was changed by another request; retry');
        let families = 0;
        if (opts.revokeSessions) {
          const { keep, at: now } = opts.revokeSessions;
          const live = { userId: user.id, usedAt: null, revokedAt: null, expiresAt: { $gt: now }, ...(keep ? { familyId: { $ne: keep } } : {}) };
          families = (await this.tokens.distinct('familyId', live, { session })).length;
          await this.tokens.updateMany({ userId: user.id, revokedAt: null, ...(keep ? { familyId: { $ne: keep } } : {}) }, { $set: { revokedAt: now } }, { session });
        }
        await this.writeEvents(session, events(families));
        return families;
      });
      return { user: next, revoked };
    } catch (e) {
      if (isDuplicateKey(e)) {
        const field = opts.emailField ?? 'email';
        throw new DomainError('already_exists', 'EMAIL_TAKEN', `${field}: an account with this e-mail already exists`, [
          { field, description: 'an account with this e-mail already exists' },
        ]);
      }
      throw e;
    }
  }

  async devices(userId: string, query: { limit: number; after?: { lastUsedAt: Date; id: string }; now: Date }): Promise<DeviceRecord[]> {
    const { limit, after, now } = query;
    const live = { $and: [{ $eq: ['$usedAt', null] }, { $eq: ['$revokedAt', null] }, { $gt: ['$expiresAt', now] }] };
    const rows = await this.tokens
      .aggregate<DeviceRow>([
        { $match: { userId } },
        // Oldest first: $first is the sign-in, $last the latest rotation (where the device is now).
        { $sort: { createdAt: 1 } },
        {
          $group: {
            _id: '$familyId',
            createdAt: { $first: '$createdAt' },
            userAgent: { $last: '$userAgent' },
            clientIp: { $last: '$clientIp' },
            lastCreatedAt: { $max: '$createdAt' },
            lastSpentAt: { $max: '$usedAt' },
            live: { $sum: { $cond: [live, 1, 0] } },
          },
        },
        { $match: { live: { $gt: 0 } } },
        { $addFields: { lastUsedAt: { $max: ['$lastCreatedAt', '$lastSpentAt'] } } },
        ...(after ? [{ $match: { $or: [{ lastUsedAt: { $lt: after.lastUsedAt } }, { lastUsedAt: after.lastUsedAt, _id: { $lt: after.id } }] } }] : []),
        { $sort: { lastUsedAt: -1, _id: -1 } },
        { $limit: limit },
      ])
      .toArray();
    return rows.map((r) => ({ id: r._id, userAgent: r.userAgent ?? '', clientIp: r.clientIp ?? '', createdAt: r.createdAt, lastUsedAt: r.lastUsedAt }));
  }

  async isLiveFamily(userId: string, familyId: string, now: Date): Promise<boolean> {
    const n = await this.tokens.countDocuments({ familyId, userId, usedAt: null, revokedAt: null, expiresAt: { $gt: now } }, { limit: 1 });
    return n > 0;
  }
}
