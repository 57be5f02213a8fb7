import { ConfigError, runWhenMain } from '@flix/config';
import { IdentityProfileDirectory } from '@flix/profiles';
import { CatalogServiceService } from '@flix/proto/flix/catalog/v1/catalog_service';
import { grpcService, runService } from '@flix/service';
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
export function startCatalog(
  env: Record<string, string | undefined> = process.env,
  /** Tests may swap the Mux adapter for a double. */
  overrides: { mux?: { adapter: MuxAdapter; isSignatureError: (e: unknown) => boolean } } = {},
) {
  const cfg = readCatalogConfig(env);
  let partnerFeeds: PartnerFeedConfig[];
  try {
    partnerFeeds = parsePartnerFeeds(cfg.FLIX_PARTNER_FEEDS);
  } catch (e) {
    throw new ConfigError(`bad configuration: FLIX_PARTNER_FEEDS is invalid: ${(e as Error).message}`);
  }

  return runService({
    name: 'catalog',
    config: cfg,
    indexes: CATALOG_INDEXES,
    async build({ logger, mongo, nats, outbox, idempotency, client, consumer, onStop }) {
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

      const { adapter: mux, isSignatureError } = overrides.mux ?? {
        adapter: createMuxGateway({ tokenId: cfg.MUX_TOKEN_ID, tokenSecret: cfg.MUX_TOKEN_SECRET, webhookSecret: cfg.MUX_WEBHOOK_SECRET, baseUrl: cfg.MUX_BASE_URL }),
        isSignatureError: (e: unknown) => e instanceof MuxSignatureError,
      };
      let partnerIds = partnerFeeds.map((f) => f.id);
      const catalog = new Catalog({
        movies,
        partners,
        index,
        profiles: client(new IdentityProfileDirectory(cfg.IDENTITY_GRPC_ADDR)),
        mux,
        clock,
        partnerIds: () => partnerIds,
        defaultCorsOrigin: cfg.MUX_CORS_ORIGIN,
      });

      let partnerSync: PartnerSync | undefined;
      return {
        grpc: [
          grpcService(CatalogServiceService, catalogHandlers(catalog), {
            name: 'flix.catalog.v1.CatalogService',
            publicMethods: ['listMovies', 'searchMovies', 'getMovie', 'batchGetMovies', 'listGenres'],
          }),
        ],
        routes: [muxWebhookRoute({ catalog, verifier: mux, isSignatureError, logger }), ...(cfg.FLIX_DEMO_CATALOG ? demoFeedRoutes() : [])],
        async start({ httpPort }) {
          // The demo partner feeds are served by this very process.
          if (partnerFeeds.length === 0 && cfg.FLIX_DEMO_CATALOG) {
            const self = `http://127.0.0.1:${httpPort}`;
            partnerFeeds = DEMO_PARTNERS.map((p) => ({ ...p, url: `${self}/demo/partner-feeds/${p.id}` }));
            partnerIds = partnerFeeds.map((f) => f.id);
          }
          partnerSync = new PartnerSync(partnerFeeds, partners, clock, logger, {
            intervalMs: cfg.FLIX_PARTNER_FEED_INTERVAL_SECONDS * 1000,
            timeoutMs: cfg.FLIX_PARTNER_FEED_TIMEOUT_MS,
          });
          partnerSync.start();
          onStop('tasks', 'partner sync', () => partnerSync!.stop());
          consumer(await startRatingConsumer({ nats, client: mongo.client, movies, idempotency, logger }));
          feeder.start();
          onStop('tasks', 'index feeder', () => feeder.stop());
        },
        // Read once started: the demo feeds' ids are known only then.
        get summary() {
          return { partners: partnerIds };
        },
        handle: {
          index,
          feeder,
          get partnerSync() {
            return partnerSync!;
          },
          partnerFeeds: () => partnerFeeds,
        },
      };
    },
  });
}

export type CatalogHandle = Awaited<ReturnType<typeof startCatalog>>;

runWhenMain(import.meta.url, () => startCatalog());
