import { createAccessTokenVerifier } from '@flix/auth';
import { ConfigError, runWhenMain } from '@flix/config';
import { connectNats, ensureStreams, MongoIdempotencyStore, Outbox } from '@flix/events';
import { GrpcServer } from '@flix/grpc';
import { startHttpServer } from '@flix/http';
import { createLogger } from '@flix/logging';
import { connectMongo, ensureIndexes } from '@flix/mongo';
import { readDescriptorSet } from '@flix/proto/descriptor';
import { CatalogServiceService } from '@flix/proto/flix/catalog/v1/catalog_service';
import { readCatalogConfig } from './config.js';
import { generateCatalog } from './demo/generator.js';
import { Catalog } from './domain/catalog.js';
import { CatalogIndex } from './domain/catalog-index.js';
import { IndexFeeder } from './domain/index-feeder.js';
import type { MuxUploads } from './domain/mux-events.js';
import { systemClock } from './domain/ports.js';
import { catalogOutboxWriter } from './events/event-writer.js';
import { startRatingConsumer } from './events/rating-consumer.js';
import { catalogHandlers } from './grpc/catalog-handlers.js';
import { IdentityProfileDirectory } from '@flix/profiles';
import { DEMO_PARTNERS, demoFeedRoutes } from './http/demo-feeds.js';
import { muxWebhookRoute, type WebhookVerifier } from './http/mux-webhook.js';
import { createMuxGateway, MuxSignatureError } from './mux/index.js';
import { parsePartnerFeeds, type PartnerFeedConfig } from './partners/feed.js';
import { PartnerSync } from './partners/sync.js';
import { MongoChangeFeed } from './storage/change-feed.js';
import { CATALOG_INDEXES } from './storage/indexes.js';
import { MongoMovieRepository } from './storage/movies-repository.js';
import { MongoPartnerTitleRepository } from './storage/partner-titles-repository.js';

/** The Mux adapter as the catalog uses it (services/catalog/src/mux implements it). */
export interface MuxAdapter extends MuxUploads, WebhookVerifier {}

/** The composition root: the only place the catalog's pieces are wired together. */
export async function startCatalog(
  env: Record<string, string | undefined> = process.env,
  /** Tests may swap the Mux adapter for a double. */
  overrides: { mux?: { adapter: MuxAdapter; isSignatureError: (e: unknown) => boolean } } = {},
) {
  const cfg = readCatalogConfig(env);
  const logger = createLogger('catalog', { level: cfg.LOG_LEVEL });
  let partnerFeeds: PartnerFeedConfig[];
  try {
    partnerFeeds = parsePartnerFeeds(cfg.FLIX_PARTNER_FEEDS);
  } catch (e) {
    throw new ConfigError(`bad configuration: FLIX_PARTNER_FEEDS is invalid: ${(e as Error).message}`);
  }

  const mongo = await connectMongo(cfg.MONGO_URL, cfg.MONGO_DB, 'catalog');
  await ensureIndexes(mongo.db, CATALOG_INDEXES);
  const nats = await connectNats(cfg.NATS_URL, 'catalog');
  await ensureStreams(nats.jsm);
  const outbox = new Outbox(mongo.db, { js: nats.js, logger, service: 'catalog' });
  await outbox.init();
  outbox.start();

  const clock = systemClock;
  const movies = new MongoMovieRepository(mongo.client, mongo.db, catalogOutboxWriter(outbox));
  const partners = new MongoPartnerTitleRepository(mongo.client, mongo.db);
  if (cfg.FLIX_DEMO_CATALOG) {
    const seeded = await movies.seedIfEmpty(generateCatalog(cfg.FLIX_DEMO_CATALOG_SIZE), (movie) => [
      { subject: 'catalog.movie.created', payload: { movie, actorId: 'demo-seed' } },
    ]);
    logger.info({ seeded, size: cfg.FLIX_DEMO_CATALOG_SIZE }, 'demo catalog checked');
  }

  // The read model: loaded before serving, then fed from the change feed.
  const index = new CatalogIndex();
  const feeder = new IndexFeeder(new MongoChangeFeed(movies.movies, partners.titles), index, {
    intervalMs: cfg.CATALOG_INDEX_POLL_MS,
    batchSize: 5_000,
    onError: (err) => logger.warn({ err }, 'change feed poll failed; retrying'),
  });
  await feeder.catchUp();
  logger.info({ titles: index.size }, 'catalog index loaded');

  let mux: MuxAdapter;
  let isSignatureError: (e: unknown) => boolean;
  if (overrides.mux) ({ adapter: mux, isSignatureError } = overrides.mux);
  else {
    mux = createMuxGateway({ tokenId: cfg.MUX_TOKEN_ID, tokenSecret: cfg.MUX_TOKEN_SECRET, webhookSecret: cfg.MUX_WEBHOOK_SECRET, baseUrl: cfg.MUX_BASE_URL });
    isSignatureError = (e) => e instanceof MuxSignatureError;
  }
  const profiles = new IdentityProfileDirectory(cfg.IDENTITY_GRPC_ADDR);
  let partnerIds = partnerFeeds.map((f) => f.id);
  const catalog = new Catalog({
    movies,
    partners,
    index,
    profiles,
    mux,
    clock,
    partnerIds: () => partnerIds,
    defaultCorsOrigin: cfg.MUX_CORS_ORIGIN,
  });

  const verifier = createAccessTokenVerifier({ issuer: cfg.FLIX_JWT_ISSUER, audience: cfg.FLIX_JWT_AUDIENCE, keys: { jwksUrl: cfg.FLIX_JWKS_URL } });
  const grpc = new GrpcServer({ service: 'catalog', logger, verifier, descriptorSet: readDescriptorSet() });
  grpc.add(CatalogServiceService, catalogHandlers(catalog), {
    name: 'flix.catalog.v1.CatalogService',
    publicMethods: ['listMovies', 'searchMovies', 'getMovie', 'batchGetMovies', 'listGenres'],
  });
  const grpcPort = await grpc.start(cfg.GRPC_HOST, cfg.GRPC_PORT);
  let ready = false;
  const http = await startHttpServer({
    service: 'catalog',
    port: cfg.HTTP_PORT,
    host: cfg.GRPC_HOST,
    logger,
    ready: () => ready,
    routes: [
      muxWebhookRoute({ catalog, verifier: mux, isSignatureError, logger }),
      ...(cfg.FLIX_DEMO_CATALOG ? demoFeedRoutes() : []),
    ],
  });

  if (partnerFeeds.length === 0 && cfg.FLIX_DEMO_CATALOG) {
    const self = `http://127.0.0.1:${http.port}`;
    partnerFeeds = DEMO_PARTNERS.map((p) => ({ ...p, url: `${self}/demo/partner-feeds/${p.id}` }));
    partnerIds = partnerFeeds.map((f) => f.id);
  }
  const partnerSync = new PartnerSync(partnerFeeds, partners, clock, logger, {
    intervalMs: cfg.FLIX_PARTNER_FEED_INTERVAL_SECONDS * 1000,
    timeoutMs: cfg.FLIX_PARTNER_FEED_TIMEOUT_MS,
  });
  partnerSync.start();

  const ratings = await startRatingConsumer({
    nats,
    client: mongo.client,
    movies,
    idempotency: new MongoIdempotencyStore(mongo.db),
    logger,
  });
  feeder.start();
  ready = true;
  grpc.setServing(true);
  logger.info({ grpcPort, httpPort: http.port, partners: partnerIds }, 'catalog ready');

  return {
    grpcPort,
    httpPort: http.port,
    index,
    feeder,
    partnerSync,
    partnerFeeds: () => partnerFeeds,
    async stop() {
      ready = false;
      await grpc.stop();
      await http.close();
      await partnerSync.stop();
      await feeder.stop();
      await ratings.stop();
      await outbox.stop();
      await nats.drain();
      profiles.close();
      await mongo.close();
      logger.info('catalog stopped');
    },
  };
}

export type CatalogHandle = Awaited<ReturnType<typeof startCatalog>>;

runWhenMain(import.meta.url, () => startCatalog());
