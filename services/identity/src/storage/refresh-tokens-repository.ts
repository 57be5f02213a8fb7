import type { Collection, Db, MongoClient } from 'mongodb';
import type { IdentityEvent } from '../domain/events.js';
import type { SessionSummary } from '../domain/model.js';
import type { ConsumeResult, RefreshTokenRecord, RefreshTokenRepository } from '../domain/ports.js';
import type { EventWriter } from '../events/event-writer.js';
import { runInTransaction } from '@flix/events';

type TokenDoc = Omit<RefreshTokenRecord, 'hash'> & { _id: string };

const toDoc = ({ hash, ...rest }: RefreshTokenRecord): TokenDoc => ({ _id: hash, ...rest });
const fromDoc = ({ _id, ...rest }: TokenDoc): RefreshTokenRecord => ({ hash: _id, ...rest });

interface FamilyRow {
  _id: string;
  createdAt: Date;
  userAgent?: string | null;
  clientIp?: string | null;
  lastCreatedAt: Date;
  lastSpentAt: Date | null;
  expiresAt: Date;
  revokedAt: Date | null;
  live: number;
}

export class MongoRefreshTokenRepository implements RefreshTokenRepository {
  private readonly tokens: Collection<TokenDoc>;

  constructor(private readonly client: MongoClient, db: Db, private readonly writeEvents: EventWriter) {
    this.tokens = db.collection<TokenDoc>('refresh_tokens');
  }

  async insert(record: RefreshTokenRecord, events: IdentityEvent[]): Promise<void> {
    await runInTransaction(this.client, async (session) => {
      await this.tokens.insertOne(toDoc(record), { session });
      await this.writeEvents(session, events);
    });
  }

  async findByHash(hash: string): Promise<RefreshTokenRecord | null> {
    const doc = await this.tokens.findOne({ _id: hash });
    return doc ? fromDoc(doc) : null;
  }

  async consume(hash: string, now: Date): Promise<ConsumeResult> {
    const spent = await this.tokens.findOneAndUpdate(
      { _id: hash, usedAt: null, revokedAt: null, expiresAt: { $gt: now } },
      { $set: { usedAt: now } },
      { returnDocument: 'after' },
    );
    if (spent) return { kind: 'ok', record: fromDoc(spent) };
    const existing = await this.tokens.findOne({ _id: hash });
    if (existing && existing.usedAt !== null && existing.revokedAt === null) return { kind: 'reused', record: fromDoc(existing) };
    return { kind: 'invalid' };
  }

  async rotate(oldHash: string, next: RefreshTokenRecord, now: Date, graceSince: Date): Promise<ConsumeResult> {
    return runInTransaction(this.client, async (session) => {
      const spent = await this.tokens.findOneAndUpdate(
        { _id: oldHash, usedAt: null, revokedAt: null, expiresAt: { $gt: now } },
        { $set: { usedAt: now } },
        { returnDocument: 'after', session },
      );
      if (spent) {
        await this.tokens.insertOne(toDoc(next), { session });
        return { kind: 'ok', record: fromDoc(spent) } as const;
      }
      const existing = await this.tokens.findOne({ _id: oldHash }, { session });
      // Unknown, revoked, or expired before it was ever used.
      if (!existing || existing.usedAt === null || existing.revokedAt !== null) return { kind: 'invalid' } as const;
      // Within the grace period, and the token that rotation issued was never used itself: the
      // answer to that rotation was lost (a reload mid-refresh). Its token is replaced, not kept
      // alongside. Once the child has been used, replaying the parent is reuse as always.
      const childUsed = await this.tokens.countDocuments({ familyId: existing.familyId, usedAt: { $gt: existing.usedAt } }, { session, limit: 1 });
      if (existing.usedAt >= graceSince && existing.expiresAt > now && childUsed === 0) {
        await this.tokens.updateMany({ familyId: existing.familyId, usedAt: null, revokedAt: null }, { $set: { revokedAt: now } }, { session });
        await this.tokens.insertOne(toDoc(next), { session });
        return { kind: 'ok', record: fromDoc(existing) } as const;
      }
      return { kind: 'reused', record: fromDoc(existing) } as const;
    });
  }

  async revokeFamily(familyId: string, now: Date, events: (revoked: number) => IdentityEvent[]): Promise<number> {
    return runInTransaction(this.client, async (session) => {
      const res = await this.tokens.updateMany({ familyId, revokedAt: null }, { $set: { revokedAt: now } }, { session });
      await this.writeEvents(session, events(res.modifiedCount));
      return res.modifiedCount;
    });
  }

  async sessionsOf(userId: string, query: { limit: number; after?: { createdAt: Date; familyId: string }; now: Date }): Promise<SessionSummary[]> {
    const { limit, after, now } = query;
    const live = { $and: [{ $eq: ['$usedAt', null] }, { $eq: ['$revokedAt', null] }, { $gt: ['$expiresAt', now] }] };
    const rows = await this.tokens
      .aggregate<FamilyRow>([
        { $match: { userId } },
        // Oldest first, so that $first is the sign-in's own token (its device and address).
        { $sort: { createdAt: 1 } },
        {
          $group: {
            _id: '$familyId',
            createdAt: { $first: '$createdAt' },
            userAgent: { $first: '$userAgent' },
            clientIp: { $first: '$clientIp' },
            lastCreatedAt: { $max: '$createdAt' },
            lastSpentAt: { $max: '$usedAt' },
            expiresAt: { $max: '$expiresAt' },
            revokedAt: { $max: '$revokedAt' },
            live: { $sum: { $cond: [live, 1, 0] } },
          },
        },
        ...(after ? [{ $match: { $or: [{ createdAt: { $lt: after.createdAt } }, { createdAt: after.createdAt, _id: { $lt: after.familyId } }] } }] : []),
        { $sort: { createdAt: -1, _id: -1 } },
        { $limit: limit },
      ])
      .toArray();
    return rows.map((r) => {
      const state = r.live > 0 ? 'active' : r.revokedAt ? 'revoked' : 'expired';
      const lastUsedAt = r.lastSpentAt && r.lastSpentAt > r.lastCreatedAt ? r.lastSpentAt : r.lastCreatedAt;
      return {
        familyId: r._id,
        userAgent: r.userAgent ?? '',
        clientIp: r.clientIp ?? '',
        createdAt: r.createdAt,
        lastUsedAt,
        expiresAt: r.expiresAt,
        revokedAt: state === 'revoked' ? r.revokedAt : null,
        state,
      };
    });
  }

  async revokeAllForUser(userId: string, now: Date, events: (families: number) => IdentityEvent[]): Promise<number> {
    return runInTransaction(this.client, async (session) => {
      const families = await this.tokens.distinct('familyId', { userId, revokedAt: null, usedAt: null, expiresAt: { $gt: now } }, { session });
      await this.tokens.updateMany({ userId, revokedAt: null }, { $set: { revokedAt: now } }, { session });
      await this.writeEvents(session, events(families.length));
      return families.length;
    });
  }
}
