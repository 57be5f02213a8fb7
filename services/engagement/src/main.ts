import { runWhenMain } from '@flix/config';
import { IdentityProfileDirectory } from '@flix/profiles';
import { EngagementServiceService } from '@flix/proto/flix/engagement/v1/engagement_service';
import { ErasedUsers, grpcService, jwksVerifierRefusingErased, personalDataService, runService, startUserDeletedConsumer } from '@flix/service';
import { EngagementPersonalData } from './privacy/personal-data.js';
import { CatalogMovies } from './catalog/catalog-client.js';
import { readEngagementConfig } from './config.js';
import { Engagement } from './domain/engagement.js';
import { systemClock, type Clock, type MovieDirectory, type ProfileDirectory } from './domain/ports.js';
import { engagementOutboxWriter } from './events/event-writer.js';
import { engagementHandlers, type MovieDetails } from './grpc/engagement-handlers.js';
import { ENGAGEMENT_INDEXES } from './storage/indexes.js';
import { MongoEngagementStore } from './storage/engagement-store.js';

export interface EngagementOverrides {
  clock?: Clock;
  /** Tests may swap the catalog for a double (details then come back empty). */
  movies?: MovieDirectory;
  /** Tests may swap identity for a double. */
  profiles?: ProfileDirectory;
}

/** The composition root: the only place engagement's pieces are wired together. */
export function startEngagement(env: Record<string, string | undefined> = process.env, overrides: EngagementOverrides = {}) {
  return runService({
    name: 'engagement',
    config: readEngagementConfig(env),
    indexes: ENGAGEMENT_INDEXES,
    async build({ cfg, logger, mongo, nats, outbox, idempotency, client, consumer, every }) {
      const store = new MongoEngagementStore(mongo.client, mongo.db, engagementOutboxWriter(outbox));
      const cacheMs = cfg.FLIX_MOVIE_CACHE_SECONDS * 1000;
      const catalog = overrides.movies ? null : client(new CatalogMovies(cfg.CATALOG_GRPC_ADDR, { foundMs: cacheMs, missingMs: Math.min(5_000, cacheMs) }));
      const engagement = new Engagement({
        store,
        movies: overrides.movies ?? catalog!,
        profiles: overrides.profiles ?? client(new IdentityProfileDirectory(cfg.IDENTITY_GRPC_ADDR)),
        clock: overrides.clock ?? systemClock,
      });
      const details: MovieDetails = catalog ? (ids, token) => catalog.details(ids, token) : async () => new Map();
      // Account deletion (issue 14): tombstones refuse a deleted account's tokens, the consumer erases.
      const erased = new ErasedUsers(mongo.db);
      await erased.init();
      every('erased accounts refresh', 2_000, () => erased.refresh());
      const privacy = new EngagementPersonalData({ client: mongo.client, db: mongo.db, erased, outbox });
      return {
        grpc: [
          grpcService(EngagementServiceService, engagementHandlers(engagement, details), { name: 'flix.engagement.v1.EngagementService', publicMethods: ['listReviews'] }),
          personalDataService('engagement', (userId) => privacy.export(userId)),
        ],
        verifier: jwksVerifierRefusingErased(cfg, erased),
        async start() {
          consumer(await startUserDeletedConsumer({ nats, durable: 'engagement', idempotency, logger, erase: (e) => privacy.erase(e) }));
        },
        handle: { engagement, store },
      };
    },
  });
}

export type EngagementHandle = Awaited<ReturnType<typeof startEngagement>>;

runWhenMain(import.meta.url, () => startEngagement());
