/**
 * Account deletion and data export, the parts every service shares (issue 14):
 *
 * - `ErasedUsers`: the tombstones of deleted accounts, keyed by a one-way pseudonym of the user
 *   id (never the id itself), so that a service can refuse the deleted account's still-valid
 *   access tokens and drop late events about it without keeping the id it was asked to forget.
 * - `refuseErasedUsers`: wraps a service's token verifier so that, once the service has
 *   processed identity.user.deleted, calls with the deleted account's tokens are
 *   UNAUTHENTICATED (ACCOUNT_DELETED) instead of re-creating data about the person.
 * - `userDeletedHandler` / `startUserDeletedConsumer`: the identity.user.deleted consumer.
 * - `forgetPublishedEvents`: the outbox keeps published events for a day; those naming the
 *   person are removed once they have left.
 * - `personalDataService`: the internal PersonalDataService (proto/flix/privacy/v1) a service
 *   serves for identity's ExportMyData.
 */
import { createHash } from 'node:crypto';
import type { ClientSession, Collection, Db } from 'mongodb';
import { ADMIN_ROLE, createAccessTokenVerifier, requireUser, type AccessTokenVerifier } from '@flix/auth';
import type { BaseServiceConfig } from '@flix/config';
import { identityEvents, IDENTITY_STREAM, subjectFilter } from '@flix/contracts';
import { DomainError, unauthenticated } from '@flix/errors';
import { on, PoisonMessageError, startConsumer, type ConsumerHandle, type EventHandler, type HandlerContext, type IdempotencyStore, type NatsClients, type Outbox } from '@flix/events';
import type { UserDeleted } from '@flix/proto/flix/identity/v1/events';
import { PersonalDataServiceService } from '@flix/proto/flix/privacy/v1/personal_data';
import type { Logger } from '@flix/logging';
import { grpcService, type GrpcRegistration } from './host.js';

/** Where each service keeps its tombstones. */
export const ERASED_USERS_COLLECTION = 'erased_users';

/**
 * How long a tombstone is kept: far longer than an access token lives (15 minutes) and than
 * any producer retries an event about the person (Stripe retries webhooks for 3 days, JetStream
 * keeps messages 30 days); after that nothing can mention the account any more.
 */
export const ERASED_USER_TTL_SECONDS = 45 * 86_400;

/**
 * The pseudonym a tombstone is keyed by: SHA-256 of the user id. Account ids are random UUIDs
 * (122 random bits), so the pseudonym cannot be turned back into the id; whoever already holds
 * the id can still recognise it, which is all a tombstone is for.
 */
export const pseudonymOf = (userId: string): string => createHash('sha256').update(`flix-erased-user:${userId}`).digest('hex');

interface ErasedDoc {
  _id: string;
  erasedAt: Date;
}

/**
 * Tombstones of deleted accounts in one service's database, mirrored in memory so the token
 * check costs nothing per call. Another instance's erasure reaches this one's memory at the
 * next `refresh` (main.ts runs it every couple of seconds).
 */
export class ErasedUsers {
  private readonly coll: Collection<ErasedDoc>;
  private readonly known = new Map<string, Date>();
  private seenUntil = new Date(0);

  constructor(db: Db) {
    this.coll = db.collection<ErasedDoc>(ERASED_USERS_COLLECTION);
  }

  /** Creates the TTL index and loads the tombstones. */
  async init(): Promise<void> {
    await this.coll.createIndex({ erasedAt: 1 }, { name: 'erasedAt_ttl', expireAfterSeconds: ERASED_USER_TTL_SECONDS });
    await this.refresh();
  }

  /** Picks up tombstones written since the last refresh (by any instance). */
  async refresh(): Promise<void> {
    // A minute of overlap: a tombstone committed with an earlier time than one already seen.
    const from = new Date(this.seenUntil.getTime() - 60_000);
    for (const d of await this.coll.find({ erasedAt: { $gte: from } }).toArray()) {
      this.known.set(d._id, d.erasedAt);
      if (d.erasedAt > this.seenUntil) this.seenUntil = d.erasedAt;
    }
    // Memory follows the TTL: a tombstone the database dropped is dropped here too.
    const horizon = Date.now() - ERASED_USER_TTL_SECONDS * 1000;
    for (const [k, at] of this.known) if (at.getTime() < horizon) this.known.delete(k);
  }

  /** As far as this instance knows (memory only: for the per-call token check). */
  isErased(userId: string): boolean {
    return this.known.has(pseudonymOf(userId));
  }

  /** When the account was erased here, from the database (for consumers and idempotent retries). */
  async erasedAt(userId: string): Promise<Date | null> {
    const d = await this.coll.findOne({ _id: pseudonymOf(userId) });
    if (d) this.known.set(d._id, d.erasedAt);
    return d?.erasedAt ?? null;
  }

  /**
   * The accounts among `userIds` erased here, from the database. For a write about an account
   * made outside its erasure (an event consumer, a call already past the token check), asked
   * *after* the write: an erasure records its tombstone before it deletes, so either its delete
   * came after the write and removed it, or this finds the tombstone and the caller erases what
   * it wrote. The in-memory `isErased` alone cannot close that race (another instance's erasure,
   * or this one's running at the same moment).
   */
  async erasedAmong(userIds: Iterable<string>): Promise<Set<string>> {
    const byPseudonym = new Map([...userIds].map((id) => [pseudonymOf(id), id]));
    if (byPseudonym.size === 0) return new Set();
    const found = await this.coll.find({ _id: { $in: [...byPseudonym.keys()] } }).toArray();
    for (const d of found) this.known.set(d._id, d.erasedAt);
    return new Set(found.map((d) => byPseudonym.get(d._id)!));
  }

  /**
   * Records the erasure; the first time wins. Inside the caller's transaction when given: then
   * memory learns it only from `erasedAt` or `refresh` after the commit, so an aborted
   * transaction never leaves the account refused here.
   */
  async record(userId: string, at: Date, session?: ClientSession): Promise<void> {
    const _id = pseudonymOf(userId);
    await this.coll.updateOne({ _id }, { $setOnInsert: { erasedAt: at } }, { upsert: true, ...(session ? { session } : {}) });
    if (!session) this.known.set(_id, at);
  }
}

/**
 * The service's token check, refusing a deleted account's tokens: an access token stays
 * cryptographically valid until it expires (up to 15 minutes), but once this service has
 * erased the account it answers as if the token were revoked. Service tokens are unaffected.
 */
export function refuseErasedUsers(verify: AccessTokenVerifier, erased: ErasedUsers): AccessTokenVerifier {
  return async (token) => {
    const principal = await verify(token);
    if (!principal.isService && erased.isErased(principal.subject)) {
      throw unauthenticated('this account has been deleted; sign up again to use Flix', 'ACCOUNT_DELETED');
    }
    return principal;
  };
}

/**
 * The host's default verifier (identity's JWKS) refusing a deleted account's tokens: what a
 * service that holds personal data passes as `verifier`.
 */
export function jwksVerifierRefusingErased(cfg: BaseServiceConfig, erased: ErasedUsers): AccessTokenVerifier {
  if (!cfg.FLIX_JWKS_URL) throw new Error('FLIX_JWKS_URL is not configured and the service gave no verifier of its own');
  return refuseErasedUsers(createAccessTokenVerifier({ issuer: cfg.FLIX_JWT_ISSUER, audience: cfg.FLIX_JWT_AUDIENCE, keys: { jwksUrl: cfg.FLIX_JWKS_URL } }), erased);
}

/** Erases or anonymises what one service holds about an account; must be idempotent. */
export type EraseUser = (event: UserDeleted, ctx: HandlerContext) => Promise<void>;

/** The identity.user.deleted handler, for a consumer that already reads identity.user.>. */
export function userDeletedHandler(erase: EraseUser): EventHandler<UserDeleted> {
  return on(identityEvents.userDeleted, async (e, ctx) => {
    if (!e.userId) throw new PoisonMessageError('identity.user.deleted without a user id');
    await erase(e, ctx);
    ctx.logger.info({ userId: e.userId }, 'deleted account erased');
  });
}

/** A durable consumer of identity.user.deleted alone (for services with no other IDENTITY consumer). */
export function startUserDeletedConsumer(d: { nats: NatsClients; durable: string; idempotency: IdempotencyStore; logger: Logger; erase: EraseUser }): Promise<ConsumerHandle> {
  const handler = userDeletedHandler(d.erase);
  return startConsumer({
    js: d.nats.js,
    jsm: d.nats.jsm,
    stream: IDENTITY_STREAM,
    durable: d.durable,
    filterSubject: subjectFilter(identityEvents, 'identity.user.deleted'),
    idempotency: d.idempotency,
    logger: d.logger,
    handlers: { [identityEvents.userDeleted.subject]: handler },
  });
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The outbox keeps published events for a day (for inspection); those that name the person
 * (their id, e-mail, customer id…) are removed now. Events still pending are published first,
 * so nothing committed is lost and nothing naming them stays behind. Returns how many went.
 */
export async function forgetPublishedEvents(db: Db, outbox: Pick<Outbox, 'flush'> | undefined, needles: string[], collection = 'outbox'): Promise<number> {
  const words = needles.filter((n) => n.length >= 6);
  if (words.length === 0) return 0;
  await outbox?.flush();
  const res = await db.collection(collection).deleteMany({ state: 'published', data: { $regex: words.map(escapeRegex).join('|') } });
  return res.deletedCount;
}

/** JSON-safe copy (dates as ISO strings, no undefined): what a google.protobuf.Struct can carry. */
export function jsonSafe(value: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value ?? {})) as Record<string, unknown>;
}

/** What a service exports about one account (profiles: the account's viewer profile ids). */
export type ExportPersonalData = (userId: string, profileIds: string[]) => Promise<Record<string, unknown>>;

/**
 * The internal PersonalDataService: the caller forwards the person's own access token, so a
 * service only ever exports the token subject's data (an admin may name another account).
 */
export function personalDataService(service: string, exportData: ExportPersonalData): GrpcRegistration {
  return grpcService(
    PersonalDataServiceService,
    {
      async exportPersonalData(req, ctx) {
        const p = requireUser(ctx.principal);
        const userId = req.userId || p.subject;
        if (userId !== p.subject && !p.roles.includes(ADMIN_ROLE)) {
          throw new DomainError('permission_denied', 'NOT_YOUR_ACCOUNT', 'userId: only your own data can be exported', [{ field: 'userId', description: 'must be your own account' }]);
        }
        return { service, data: jsonSafe(await exportData(userId, req.profileIds)) };
      },
    },
    { name: 'flix.privacy.v1.PersonalDataService' },
  );
}
