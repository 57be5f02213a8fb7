import { createAccessTokenVerifier } from '@flix/auth';
import { runWhenMain } from '@flix/config';
import { connectNats, ensureStreams, MongoIdempotencyStore, Outbox } from '@flix/events';
import { GrpcServer } from '@flix/grpc';
import { startHttpServer } from '@flix/http';
import { createLogger } from '@flix/logging';
import { connectMongo, ensureIndexes } from '@flix/mongo';
import { IdentityProfileDirectory } from '@flix/profiles';
import { readDescriptorSet } from '@flix/proto/descriptor';
import { PlaybackServiceService } from '@flix/proto/flix/playback/v1/playback_service';
import { BillingEntitlements } from './clients/billing-entitlements.js';
import { CatalogTitleDirectory } from './clients/catalog-titles.js';
import { ServiceTokenSource } from './clients/service-token.js';
import { readPlaybackConfig } from './config.js';
import type { PlaybackSettings } from './domain/model.js';
import { Playback } from './domain/playback.js';
import { systemClock, type Clock, type EntitlementChecker, type TitleDirectory } from './domain/ports.js';
import { NatsSessionBroadcast } from './events/broadcast.js';
import { startEntitlementConsumer } from './events/consumers.js';
import { playbackOutboxWriter } from './events/event-writer.js';
import { playbackHandlers } from './grpc/playback-handlers.js';
import { MuxTokenSigner } from './mux/token-signer.js';
import { PLAYBACK_INDEXES } from './storage/indexes.js';
import { MongoPlaybackStore } from './storage/playback-store.js';
import { JetStreamProgressJournal } from './storage/progress-journal.js';

export interface PlaybackOverrides {
  clock?: Clock;
  /** Tests may swap the catalog or billing for doubles. */
  titles?: TitleDirectory;
  entitlements?: EntitlementChecker;
}

/** The composition root: the only place playback's pieces are wired together. */
export async function startPlayback(env: Record<string, string | undefined> = process.env, overrides: PlaybackOverrides = {}) {
  const cfg = readPlaybackConfig(env);
  const logger = createLogger('playback', { level: cfg.LOG_LEVEL });
  const settings: PlaybackSettings = {
    staleAfterSeconds: cfg.FLIX_STREAM_STALE_SECONDS,
    heartbeatIntervalSeconds: cfg.FLIX_HEARTBEAT_INTERVAL_SECONDS,
    flushIntervalSeconds: cfg.FLIX_PROGRESS_FLUSH_SECONDS,
    completionRatio: cfg.FLIX_COMPLETION_RATIO,
    tokenMarginSeconds: cfg.FLIX_TOKEN_MARGIN_SECONDS,
    entitlementRecheckSeconds: cfg.FLIX_ENTITLEMENT_RECHECK_SECONDS,
  };

  const mongo = await connectMongo(cfg.MONGO_URL, cfg.MONGO_DB, 'playback');
  await ensureIndexes(mongo.db, PLAYBACK_INDEXES);
  const nats = await connectNats(cfg.NATS_URL, 'playback');
  await ensureStreams(nats.jsm);
  const outbox = new Outbox(mongo.db, { js: nats.js, logger, service: 'playback' });
  await outbox.init();
  void outbox.start();

  const store = new MongoPlaybackStore(mongo.client, mongo.db, playbackOutboxWriter(outbox));
  const journal = await JetStreamProgressJournal.open(nats.nc, nats.js, nats.jsm);
  const broadcast = new NatsSessionBroadcast(nats.nc, logger);
  const serviceToken = new ServiceTokenSource({ tokenUrl: cfg.IDENTITY_OAUTH_URL, clientId: cfg.FLIX_PLAYBACK_CLIENT_ID, clientSecret: cfg.FLIX_PLAYBACK_CLIENT_SECRET });
  const catalog = overrides.titles ? null : new CatalogTitleDirectory(cfg.CATALOG_GRPC_ADDR, () => serviceToken.get());
  const billing = overrides.entitlements ? null : new BillingEntitlements(cfg.BILLING_GRPC_ADDR);
  const profiles = new IdentityProfileDirectory(cfg.IDENTITY_GRPC_ADDR);
  const signer = await MuxTokenSigner.create(
    {
      tokenId: cfg.MUX_TOKEN_ID,
      tokenSecret: cfg.MUX_TOKEN_SECRET,
      baseUrl: cfg.MUX_BASE_URL,
      signingKeyId: cfg.MUX_SIGNING_KEY_ID,
      signingKeyPrivate: cfg.MUX_SIGNING_KEY_PRIVATE,
      streamBaseUrl: cfg.MUX_STREAM_BASE_URL,
      imageBaseUrl: cfg.MUX_IMAGE_BASE_URL,
    },
    mongo.db,
  );
  const playback = new Playback({
    store,
    titles: overrides.titles ?? catalog!,
    entitlements: overrides.entitlements ?? billing!,
    profiles,
    signer,
    journal,
    broadcast,
    clock: overrides.clock ?? systemClock,
    settings,
    warn: (fields, message) => logger.warn(fields, message),
  });
  broadcast.listen({ ended: (ids) => playback.forget(ids), recheck: (userId) => playback.markRecheck(userId) });

  const verifier = createAccessTokenVerifier({ issuer: cfg.FLIX_JWT_ISSUER, audience: cfg.FLIX_JWT_AUDIENCE, keys: { jwksUrl: cfg.FLIX_JWKS_URL } });
  const grpc = new GrpcServer({ service: 'playback', logger, verifier, descriptorSet: readDescriptorSet() });
  grpc.add(PlaybackServiceService, playbackHandlers(playback, settings), { name: 'flix.playback.v1.PlaybackService', quietMethods: ['heartbeat'] });
  const grpcPort = await grpc.start(cfg.GRPC_HOST, cfg.GRPC_PORT);
  let ready = false;
  const http = await startHttpServer({ service: 'playback', port: cfg.HTTP_PORT, host: cfg.GRPC_HOST, logger, ready: () => ready });

  const consumers = [await startEntitlementConsumer({ nats, playback, idempotency: new MongoIdempotencyStore(mongo.db), logger })];

  // Coalesced progress writes, and the sweep that ends sessions whose heartbeats stopped.
  const flusher = setInterval(() => void playback.flushDue(), 1000);
  flusher.unref();
  let sweeping: Promise<unknown> = Promise.resolve();
  const sweep = () => {
    sweeping = playback.expireStale().catch((err: unknown) => logger.warn({ err }, 'session sweep failed'));
    return sweeping;
  };
  const sweeper = setInterval(() => void sweep(), cfg.FLIX_SESSION_SWEEP_SECONDS * 1000);
  sweeper.unref();

  ready = true;
  grpc.setServing(true);
  logger.info({ grpcPort, httpPort: http.port, signingKey: signer.signingKeyId, stream: cfg.MUX_STREAM_BASE_URL }, 'playback ready');

  return {
    grpcPort,
    httpPort: http.port,
    playback,
    store,
    /** Ends sessions whose heartbeats stopped now (the sweeper does it on its interval). */
    expireStale: () => playback.expireStale(),
    /** Writes every pending progress update now. */
    flush: () => playback.flushDue(true),
    async stop() {
      ready = false;
      clearInterval(flusher);
      clearInterval(sweeper);
      await sweeping;
      await grpc.stop();
      await playback.drain();
      await http.close();
      for (const c of consumers) await c.stop();
      broadcast.close();
      await outbox.stop();
      await nats.drain();
      catalog?.close();
      billing?.close();
      profiles.close();
      await mongo.close();
      logger.info('playback stopped');
    },
  };
}

export type PlaybackHandle = Awaited<ReturnType<typeof startPlayback>>;

runWhenMain(import.meta.url, () => startPlayback());
