import { runWhenMain } from '@flix/config';
import { IdentityProfileDirectory } from '@flix/profiles';
import { PlaybackServiceService } from '@flix/proto/flix/playback/v1/playback_service';
import { ErasedUsers, grpcService, jwksVerifierRefusingErased, personalDataService, runService, startUserDeletedConsumer } from '@flix/service';
import { PlaybackPersonalData } from './privacy/personal-data.js';
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
import { FallbackProgressJournal, MongoProgressJournal } from './storage/fallback-journal.js';
import { JetStreamProgressJournal } from './storage/progress-journal.js';

export interface PlaybackOverrides {
  clock?: Clock;
  /** Tests may swap the catalog or billing for doubles. */
  titles?: TitleDirectory;
  entitlements?: EntitlementChecker;
}

/** The composition root: the only place playback's pieces are wired together. */
export function startPlayback(env: Record<string, string | undefined> = process.env, overrides: PlaybackOverrides = {}) {
  return runService({
    name: 'playback',
    config: readPlaybackConfig(env),
    indexes: PLAYBACK_INDEXES,
    async build({ cfg, logger, mongo, nats, outbox, idempotency, client, consumer, every, onStop }) {
      const settings: PlaybackSettings = {
        staleAfterSeconds: cfg.FLIX_STREAM_STALE_SECONDS,
        heartbeatIntervalSeconds: cfg.FLIX_HEARTBEAT_INTERVAL_SECONDS,
        flushIntervalSeconds: cfg.FLIX_PROGRESS_FLUSH_SECONDS,
        completionRatio: cfg.FLIX_COMPLETION_RATIO,
        tokenMarginSeconds: cfg.FLIX_TOKEN_MARGIN_SECONDS,
        entitlementRecheckSeconds: cfg.FLIX_ENTITLEMENT_RECHECK_SECONDS,
      };
      const store = new MongoPlaybackStore(mongo.client, mongo.db, playbackOutboxWriter(outbox));
      // Heartbeats are journaled in JetStream, and in MongoDB while NATS is away, so they keep being answered.
      const journal = new FallbackProgressJournal(await JetStreamProgressJournal.open(nats.nc, nats.js, nats.jsm), new MongoProgressJournal(mongo.db), () => nats.availability.up);
      const broadcast = client(new NatsSessionBroadcast(nats.nc, logger));
      const serviceToken = new ServiceTokenSource({ tokenUrl: cfg.IDENTITY_OAUTH_URL, clientId: cfg.FLIX_PLAYBACK_CLIENT_ID, clientSecret: cfg.FLIX_PLAYBACK_CLIENT_SECRET });
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
        titles: overrides.titles ?? client(new CatalogTitleDirectory(cfg.CATALOG_GRPC_ADDR, () => serviceToken.get())),
        entitlements: overrides.entitlements ?? client(new BillingEntitlements(cfg.BILLING_GRPC_ADDR)),
        profiles: client(new IdentityProfileDirectory(cfg.IDENTITY_GRPC_ADDR)),
        signer,
        journal,
        broadcast,
        clock: overrides.clock ?? systemClock,
        settings,
        warn: (fields, message) => logger.warn(fields, message),
      });
      broadcast.listen({ ended: (ids) => playback.forget(ids), recheck: (userId) => playback.markRecheck(userId) });
      // Progress coalesced in memory is written before the consumers and connections go.
      onStop('drain', 'progress flush', () => playback.drain());
      // Account deletion (issue 14): tombstones refuse a deleted account's tokens, the consumer erases.
      const erased = new ErasedUsers(mongo.db);
      await erased.init();
      every('erased accounts refresh', 2_000, () => erased.refresh());
      const privacy = new PlaybackPersonalData({
        client: mongo.client,
        db: mongo.db,
        store,
        erased,
        outbox,
        jsm: nats.jsm,
        sessionsEnded: (ids) => {
          playback.forget(ids);
          broadcast.sessionsEnded(ids);
        },
      });

      return {
        grpc: [
          grpcService(PlaybackServiceService, playbackHandlers(playback, settings), { name: 'flix.playback.v1.PlaybackService', quietMethods: ['heartbeat'] }),
          personalDataService('playback', (userId) => privacy.export(userId)),
        ],
        verifier: jwksVerifierRefusingErased(cfg, erased),
        async start() {
          consumer(await startEntitlementConsumer({ nats, playback, idempotency, logger }));
          consumer(await startUserDeletedConsumer({ nats, durable: 'playback', idempotency, logger, erase: (e) => privacy.erase(e) }));
          // Coalesced progress writes, and the sweep that ends sessions whose heartbeats stopped.
          every('progress flush', 1000, () => playback.flushDue());
          every('stale session sweep', cfg.FLIX_SESSION_SWEEP_SECONDS * 1000, () => playback.expireStale());
        },
        summary: { signingKey: signer.signingKeyId, stream: cfg.MUX_STREAM_BASE_URL },
        handle: {
          playback,
          store,
          /** Ends sessions whose heartbeats stopped now (the sweeper does it on its interval). */
          expireStale: () => playback.expireStale(),
          /** Writes every pending progress update now. */
          flush: () => playback.flushDue(true),
        },
      };
    },
  });
}

export type PlaybackHandle = Awaited<ReturnType<typeof startPlayback>>;

runWhenMain(import.meta.url, () => startPlayback());
