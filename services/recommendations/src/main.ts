import { runWhenMain } from '@flix/config';
import { IdentityProfileDirectory } from '@flix/profiles';
import { RecommendationsServiceService } from '@flix/proto/flix/recommendations/v1/recommendations_service';
import { ErasedUsers, grpcService, jwksVerifierRefusingErased, personalDataService, runService } from '@flix/service';
import { RecommendationsPersonalData } from './privacy/personal-data.js';
import { CatalogSync } from './catalog/catalog-sync.js';
import { readRecommendationsConfig } from './config.js';
import { systemClock, type Clock, type ProfileDirectory } from './domain/ports.js';
import { Recommendations } from './domain/recommendations.js';
import { startCatalogConsumer, startEngagementConsumer, startIdentityConsumer, startPlaybackConsumer } from './events/consumers.js';
import { recommendationsHandlers } from './grpc/handlers.js';
import { RECOMMENDATIONS_INDEXES } from './storage/indexes.js';
import { MongoChangeCounter, MongoInteractionStore, MongoPreferenceStore, MongoTitleStore } from './storage/mongo-stores.js';

export interface RecommendationsOverrides {
  clock?: Clock;
  /** Tests may swap identity's profile lookup for a double. */
  profiles?: ProfileDirectory;
}

/** The composition root: the only place recommendations' pieces are wired together. */
export function startRecommendations(env: Record<string, string | undefined> = process.env, overrides: RecommendationsOverrides = {}) {
  return runService({
    name: 'recommendations',
    config: readRecommendationsConfig(env),
    indexes: RECOMMENDATIONS_INDEXES,
    // Recommendations only consumes events.
    outbox: false,
    async build({ cfg, logger, mongo, nats, idempotency, client, consumer, every }) {
      const counter = new MongoChangeCounter(mongo.db);
      const interactions = new MongoInteractionStore(mongo.db, counter);
      const titles = new MongoTitleStore(mongo.db, counter);
      const preferences = new MongoPreferenceStore(mongo.db);
      const recs = new Recommendations({
        interactions,
        titles,
        preferences,
        changes: counter,
        profiles: overrides.profiles ?? client(new IdentityProfileDirectory(cfg.IDENTITY_GRPC_ADDR)),
        clock: overrides.clock ?? systemClock,
        similarity: { neighbours: cfg.FLIX_RECS_NEIGHBOURS },
        fullReloadMs: cfg.FLIX_RECS_FULL_RELOAD_MINUTES * 60_000,
      });

      // The model is rebuilt from the database before serving, then on the timer when signals moved.
      const first = await recs.retrain(true);
      logger.info(first, 'model trained');
      // Account deletion (issue 14): tombstones refuse a deleted account's tokens, the consumer erases.
      const erased = new ErasedUsers(mongo.db);
      await erased.init();
      every('erased accounts refresh', 2_000, () => erased.refresh());
      const privacy = new RecommendationsPersonalData({ db: mongo.db, erased, retrainFully: () => recs.retrain(true) });

      return {
        grpc: [
          grpcService(RecommendationsServiceService, recommendationsHandlers(recs), {
            name: 'flix.recommendations.v1.RecommendationsService',
            publicMethods: ['listSimilarMovies'],
          }),
          personalDataService('recommendations', (userId) => privacy.export(userId)),
        ],
        verifier: jwksVerifierRefusingErased(cfg, erased),
        async start() {
          const deps = { nats, interactions, titles, preferences, idempotency, logger, privacy };
          for (const startConsumer of [startCatalogConsumer, startEngagementConsumer, startPlaybackConsumer, startIdentityConsumer]) consumer(await startConsumer(deps));
          every('retrain', cfg.FLIX_RECS_REFRESH_SECONDS * 1000, async () => {
            const r = await recs.retrain();
            if (r.retrained) logger.info(r, 'model retrained');
          });
          if (cfg.FLIX_RECS_CATALOG_SYNC) {
            const catalogSync = client(new CatalogSync(cfg.CATALOG_GRPC_ADDR, titles));
            // Catalog events feed the titles too; the sync backfills what the stream no longer holds.
            const sync = every('catalog sync', cfg.FLIX_RECS_CATALOG_SYNC_SECONDS * 1000, async () => {
              logger.info(await catalogSync.run(), 'catalog titles synced');
            });
            // Not awaited: the catalog may start after us; events and the next period catch up.
            void sync.runNow().catch(() => undefined);
          }
        },
        summary: { refreshSeconds: cfg.FLIX_RECS_REFRESH_SECONDS },
        handle: {
          recommendations: recs,
          /** Retrains now if anything changed (the timer does it every FLIX_RECS_REFRESH_SECONDS). */
          retrain: () => recs.retrain(),
        },
      };
    },
  });
}

export type RecommendationsHandle = Awaited<ReturnType<typeof startRecommendations>>;

runWhenMain(import.meta.url, () => startRecommendations());
