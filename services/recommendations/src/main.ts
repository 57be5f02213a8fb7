import { createAccessTokenVerifier } from '@flix/auth';
import { runWhenMain } from '@flix/config';
import { connectNats, ensureStreams, MongoIdempotencyStore } from '@flix/events';
import { GrpcServer } from '@flix/grpc';
import { startHttpServer } from '@flix/http';
import { createLogger } from '@flix/logging';
import { connectMongo, ensureIndexes } from '@flix/mongo';
import { IdentityProfileDirectory } from '@flix/profiles';
import { readDescriptorSet } from '@flix/proto/descriptor';
import { RecommendationsServiceService } from '@flix/proto/flix/recommendations/v1/recommendations_service';
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
export async function startRecommendations(env: Record<string, string | undefined> = process.env, overrides: RecommendationsOverrides = {}) {
  const cfg = readRecommendationsConfig(env);
  const logger = createLogger('recommendations', { level: cfg.LOG_LEVEL });
  const clock = overrides.clock ?? systemClock;

  const mongo = await connectMongo(cfg.MONGO_URL, cfg.MONGO_DB, 'recommendations');
  await ensureIndexes(mongo.db, RECOMMENDATIONS_INDEXES);
  const nats = await connectNats(cfg.NATS_URL, 'recommendations');
  await ensureStreams(nats.jsm);

  const counter = new MongoChangeCounter(mongo.db);
  const interactions = new MongoInteractionStore(mongo.db, counter);
  const titles = new MongoTitleStore(mongo.db, counter);
  const preferences = new MongoPreferenceStore(mongo.db);
  const identityDirectory = overrides.profiles ? null : new IdentityProfileDirectory(cfg.IDENTITY_GRPC_ADDR);
  const recs = new Recommendations({
    interactions,
    titles,
    preferences,
    changes: counter,
    profiles: overrides.profiles ?? identityDirectory!,
    clock,
    similarity: { neighbours: cfg.FLIX_RECS_NEIGHBOURS },
    fullReloadMs: cfg.FLIX_RECS_FULL_RELOAD_MINUTES * 60_000,
  });

  // The model is rebuilt from the database before serving, then on the timer when signals moved.
  const first = await recs.retrain(true);
  logger.info(first, 'model trained');

  const verifier = createAccessTokenVerifier({ issuer: cfg.FLIX_JWT_ISSUER, audience: cfg.FLIX_JWT_AUDIENCE, keys: { jwksUrl: cfg.FLIX_JWKS_URL } });
  const grpc = new GrpcServer({ service: 'recommendations', logger, verifier, descriptorSet: readDescriptorSet() });
  grpc.add(RecommendationsServiceService, recommendationsHandlers(recs), {
    name: 'flix.recommendations.v1.RecommendationsService',
    publicMethods: ['listSimilarMovies'],
  });
  const grpcPort = await grpc.start(cfg.GRPC_HOST, cfg.GRPC_PORT);
  let ready = false;
  const http = await startHttpServer({ service: 'recommendations', port: cfg.HTTP_PORT, host: cfg.GRPC_HOST, logger, ready: () => ready });

  const consumerDeps = { nats, interactions, titles, preferences, idempotency: new MongoIdempotencyStore(mongo.db), logger };
  const consumers = [
    await startCatalogConsumer(consumerDeps),
    await startEngagementConsumer(consumerDeps),
    await startPlaybackConsumer(consumerDeps),
    await startIdentityConsumer(consumerDeps),
  ];

  let busy: Promise<unknown> = Promise.resolve();
  const refresh = () => {
    busy = recs
      .retrain()
      .then((r) => (r.retrained ? logger.info(r, 'model retrained') : undefined))
      .catch((err: unknown) => logger.warn({ err }, 'retrain failed; the previous model keeps serving'));
    return busy;
  };
  const refresher = setInterval(() => void refresh(), cfg.FLIX_RECS_REFRESH_SECONDS * 1000);
  refresher.unref();

  const catalogSync = cfg.FLIX_RECS_CATALOG_SYNC ? new CatalogSync(cfg.CATALOG_GRPC_ADDR, titles) : null;
  let syncing: Promise<unknown> = Promise.resolve();
  const sync = () => {
    if (!catalogSync) return syncing;
    syncing = catalogSync
      .run()
      .then((r) => logger.info(r, 'catalog titles synced'))
      .catch((err: unknown) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'catalog sync failed; catalog events still feed the titles'));
    return syncing;
  };
  // Not awaited: the catalog may start after us; events and the next period catch up.
  void sync();
  const syncer = cfg.FLIX_RECS_CATALOG_SYNC_SECONDS > 0 ? setInterval(() => void sync(), cfg.FLIX_RECS_CATALOG_SYNC_SECONDS * 1000) : null;
  syncer?.unref();

  ready = true;
  grpc.setServing(true);
  logger.info({ grpcPort, httpPort: http.port, refreshSeconds: cfg.FLIX_RECS_REFRESH_SECONDS }, 'recommendations ready');

  return {
    grpcPort,
    httpPort: http.port,
    recommendations: recs,
    /** Retrains now if anything changed (the timer does it every FLIX_RECS_REFRESH_SECONDS). */
    retrain: () => recs.retrain(),
    async stop() {
      ready = false;
      clearInterval(refresher);
      if (syncer) clearInterval(syncer);
      await Promise.all([busy, syncing]);
      await grpc.stop();
      await http.close();
      for (const c of consumers) await c.stop();
      await nats.drain();
      catalogSync?.close();
      identityDirectory?.close();
      await mongo.close();
      logger.info('recommendations stopped');
    },
  };
}

export type RecommendationsHandle = Awaited<ReturnType<typeof startRecommendations>>;

runWhenMain(import.meta.url, () => startRecommendations());
