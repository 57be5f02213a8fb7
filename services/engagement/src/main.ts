import { createAccessTokenVerifier } from '@flix/auth';
import { runWhenMain } from '@flix/config';
import { connectNats, ensureStreams, Outbox } from '@flix/events';
import { GrpcServer } from '@flix/grpc';
import { startHttpServer } from '@flix/http';
import { createLogger } from '@flix/logging';
import { connectMongo, ensureIndexes } from '@flix/mongo';
import { IdentityProfileDirectory } from '@flix/profiles';
import { readDescriptorSet } from '@flix/proto/descriptor';
import { EngagementServiceService } from '@flix/proto/flix/engagement/v1/engagement_service';
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
export async function startEngagement(env: Record<string, string | undefined> = process.env, overrides: EngagementOverrides = {}) {
  const cfg = readEngagementConfig(env);
  const logger = createLogger('engagement', { level: cfg.LOG_LEVEL });

  const mongo = await connectMongo(cfg.MONGO_URL, cfg.MONGO_DB, 'engagement');
  await ensureIndexes(mongo.db, ENGAGEMENT_INDEXES);
  const nats = await connectNats(cfg.NATS_URL, 'engagement');
  await ensureStreams(nats.jsm);
  const outbox = new Outbox(mongo.db, { js: nats.js, logger, service: 'engagement' });
  await outbox.init();
  void outbox.start();

  const store = new MongoEngagementStore(mongo.client, mongo.db, engagementOutboxWriter(outbox));
  const catalog = overrides.movies ? null : new CatalogMovies(cfg.CATALOG_GRPC_ADDR, { foundMs: cfg.FLIX_MOVIE_CACHE_SECONDS * 1000, missingMs: Math.min(5_000, cfg.FLIX_MOVIE_CACHE_SECONDS * 1000) });
  const identity = overrides.profiles ? null : new IdentityProfileDirectory(cfg.IDENTITY_GRPC_ADDR);
  const engagement = new Engagement({
    store,
    movies: overrides.movies ?? catalog!,
    profiles: overrides.profiles ?? identity!,
    clock: overrides.clock ?? systemClock,
  });
  const details: MovieDetails = catalog ? (ids, token) => catalog.details(ids, token) : async () => new Map();

  const verifier = createAccessTokenVerifier({ issuer: cfg.FLIX_JWT_ISSUER, audience: cfg.FLIX_JWT_AUDIENCE, keys: { jwksUrl: cfg.FLIX_JWKS_URL } });
  const grpc = new GrpcServer({ service: 'engagement', logger, verifier, descriptorSet: readDescriptorSet() });
  grpc.add(EngagementServiceService, engagementHandlers(engagement, details), { name: 'flix.engagement.v1.EngagementService', publicMethods: ['listReviews'] });
  const grpcPort = await grpc.start(cfg.GRPC_HOST, cfg.GRPC_PORT);
  let ready = false;
  const http = await startHttpServer({ service: 'engagement', port: cfg.HTTP_PORT, host: cfg.GRPC_HOST, logger, ready: () => ready });

  ready = true;
  grpc.setServing(true);
  logger.info({ grpcPort, httpPort: http.port }, 'engagement ready');

  return {
    grpcPort,
    httpPort: http.port,
    engagement,
    store,
    async stop() {
      ready = false;
      await grpc.stop();
      await http.close();
      await outbox.stop();
      await nats.drain();
      catalog?.close();
      identity?.close();
      await mongo.close();
      logger.info('engagement stopped');
    },
  };
}

export type EngagementHandle = Awaited<ReturnType<typeof startEngagement>>;

runWhenMain(import.meta.url, () => startEngagement());
