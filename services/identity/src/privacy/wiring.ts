import type { Db, MongoClient } from 'mongodb';
import type { ConsumerHandle, IdempotencyStore, NatsClients, Outbox } from '@flix/events';
import type { Logger } from '@flix/logging';
import { ErasedUsers, forgetPublishedEvents, startUserDeletedConsumer } from '@flix/service';
import { AccountDeletion } from '../domain/account-deletion.js';
import { DataExport } from '../domain/data-export.js';
import type { PasswordCheck } from '../domain/account-deletion.js';
import type { Clock, UserRepository } from '../domain/ports.js';
import type { EventWriter } from '../events/event-writer.js';
import { privacyHandlers } from '../grpc/privacy-handlers.js';
import type { RefreshCookiePolicy } from '../grpc/refresh-cookie.js';
import { MongoAccountErasure } from '../storage/account-erasure.js';
import { MongoRefreshTokenRepository } from '../storage/refresh-tokens-repository.js';
import { personalDataSources } from './personal-data-sources.js';

export interface IdentityPrivacyDeps {
  cfg: {
    BILLING_GRPC_ADDR: string;
    PLAYBACK_GRPC_ADDR: string;
    ENGAGEMENT_GRPC_ADDR: string;
    RECOMMENDATIONS_GRPC_ADDR: string;
    ANALYTICS_GRPC_ADDR: string;
    NOTIFICATIONS_GRPC_ADDR: string;
  };
  mongo: { client: MongoClient; db: Db };
  nats: NatsClients;
  outbox: Outbox;
  idempotency: IdempotencyStore;
  logger: Logger;
  writeEvents: EventWriter;
  users: UserRepository;
  /** The signed-in user's password check, throttled like sign-in (Sessions.checkPassword). */
  checkPassword: PasswordCheck;
  clock: Clock;
  cookie: RefreshCookiePolicy;
  /** Registers the export clients to be closed with the connections. */
  client<T extends { close(): void }>(c: T): T;
}

/**
 * Account deletion and data export, composed for main.ts: the handlers, the tombstones (which
 * main.ts uses to refuse a deleted account's tokens) and identity's own identity.user.deleted
 * consumer, which removes the published events naming the account from identity's outbox once
 * they have left (the deletion event itself among them).
 */
export async function identityPrivacy(d: IdentityPrivacyDeps) {
  const erased = new ErasedUsers(d.mongo.db);
  await erased.init();
  const refreshTokens = new MongoRefreshTokenRepository(d.mongo.client, d.mongo.db, d.writeEvents);
  const deletion = new AccountDeletion({ users: d.users, checkPassword: d.checkPassword, erasure: new MongoAccountErasure(d.mongo.client, d.mongo.db, d.writeEvents, erased), clock: d.clock });
  const sources = personalDataSources({
    billing: d.cfg.BILLING_GRPC_ADDR,
    playback: d.cfg.PLAYBACK_GRPC_ADDR,
    engagement: d.cfg.ENGAGEMENT_GRPC_ADDR,
    recommendations: d.cfg.RECOMMENDATIONS_GRPC_ADDR,
    analytics: d.cfg.ANALYTICS_GRPC_ADDR,
    notifications: d.cfg.NOTIFICATIONS_GRPC_ADDR,
  }).map((s) => d.client(s));
  const dataExport = new DataExport({
    users: d.users,
    sessions: (userId, now) => refreshTokens.sessionsOf(userId, { limit: 1000, now }),
    appConsents: (userId) => d.mongo.db.collection('oauth_consents').find({ userId }, { projection: { _id: 0, userId: 0 } }).toArray(),
    sources,
    clock: d.clock,
  });
  return {
    erased,
    handlers: privacyHandlers({ deletion, dataExport, cookie: d.cookie }),
    startConsumer: (): Promise<ConsumerHandle> =>
      startUserDeletedConsumer({
        nats: d.nats,
        durable: 'identity',
        idempotency: d.idempotency,
        logger: d.logger,
        erase: async (e) => {
          await forgetPublishedEvents(d.mongo.db, d.outbox, [e.userId, e.email]);
        },
      }),
  };
}
