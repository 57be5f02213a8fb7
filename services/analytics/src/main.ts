import { createAccessTokenVerifier } from '@flix/auth';
import { runWhenMain } from '@flix/config';
import { connectNats, ensureStreams, Outbox } from '@flix/events';
import { GrpcServer } from '@flix/grpc';
import { startHttpServer } from '@flix/http';
import { createLogger } from '@flix/logging';
import { connectMongo, ensureIndexes } from '@flix/mongo';
import { readDescriptorSet } from '@flix/proto/descriptor';
import { AnalyticsServiceService } from '@flix/proto/flix/analytics/v1/analytics_service';
import { AlertEvaluator } from './domain/alert-evaluator.js';
import { BillingPlanSource } from './billing/plan-source.js';
import { readAnalyticsConfig } from './config.js';
import { Reports } from './domain/reports.js';
import type { PlanPrice } from './domain/model.js';
import { startStreamConsumers } from './events/consumers.js';
import { analyticsHandlers } from './grpc/handlers.js';
import { AlertStore } from './storage/alert-store.js';
import { EventStore } from './storage/event-store.js';
import { ANALYTICS_INDEXES } from './storage/indexes.js';
import { savePlanPrices } from './storage/plan-prices.js';
import { SummaryQueries } from './storage/queries.js';
import { RollupStore } from './storage/rollups.js';
import { DeadLetterActions } from './storage/dead-letter-actions.js';
import { StreamAdmin } from './nats/stream-admin.js';

export interface AnalyticsOverrides {
  /** Tests may swap billing's plan list for a fixed one. */
  planPrices?: () => Promise<PlanPrice[]>;
  /** "Now" for the alert window. */
  now?: () => Date;
}

/** The composition root: the only place analytics' pieces are wired together. */
export async function startAnalytics(env: Record<string, string | undefined> = process.env, overrides: AnalyticsOverrides = {}) {
  const cfg = readAnalyticsConfig(env);
  const logger = createLogger('analytics', { level: cfg.LOG_LEVEL });

  const mongo = await connectMongo(cfg.MONGO_URL, cfg.MONGO_DB, 'analytics');
  await ensureIndexes(mongo.db, ANALYTICS_INDEXES);
  const events = new EventStore(mongo.db, cfg.FLIX_EVENT_RETENTION_DAYS, logger);
  const eventStoreKind = await events.init();
  const nats = await connectNats(cfg.NATS_URL, 'analytics');
  await ensureStreams(nats.jsm);
  const outbox = new Outbox(mongo.db, { js: nats.js, logger, service: 'analytics' });
  await outbox.init();
  void outbox.start();

  const rollups = new RollupStore(mongo.client, mongo.db);
  const alertStore = new AlertStore(mongo.client, mongo.db, outbox);
  const alerts = new AlertEvaluator(
    alertStore,
    {
      windowSeconds: cfg.FLIX_ALERT_WINDOW_SECONDS,
      paymentFailureRate: cfg.FLIX_ALERT_PAYMENT_FAILURE_RATE,
      loginFailureRate: cfg.FLIX_ALERT_LOGIN_FAILURE_RATE,
      deadLetters: cfg.FLIX_ALERT_DEAD_LETTERS,
      minSamples: cfg.FLIX_ALERT_MIN_SAMPLES,
    },
    logger,
    overrides.now,
  );
  const streamAdmin = new StreamAdmin(nats.jsm, nats.js, new DeadLetterActions(mongo.db), logger);
  const reports = new Reports(new SummaryQueries(mongo.db), alertStore, cfg.FLIX_REPORTING_CURRENCY);

  const planSource = overrides.planPrices ? null : new BillingPlanSource(cfg.BILLING_GRPC_ADDR);
  const loadPrices = overrides.planPrices ?? (() => planSource!.prices());
  let refreshing: Promise<void> = Promise.resolve();
  const refreshPrices = () => {
    refreshing = loadPrices()
      .then((prices) => savePlanPrices(mongo.db, prices))
      // Billing may be down or still starting: prices seen in payments stand in meanwhile.
      .catch((err: unknown) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'plan prices not refreshed'));
    return refreshing;
  };
  void refreshPrices();
  const priceTimer = setInterval(() => void refreshPrices(), cfg.FLIX_PLAN_REFRESH_SECONDS * 1000);
  priceTimer.unref();

  const verifier = createAccessTokenVerifier({ issuer: cfg.FLIX_JWT_ISSUER, audience: cfg.FLIX_JWT_AUDIENCE, keys: { jwksUrl: cfg.FLIX_JWKS_URL } });
  const grpc = new GrpcServer({ service: 'analytics', logger, verifier, descriptorSet: readDescriptorSet() });
  grpc.add(AnalyticsServiceService, analyticsHandlers(reports, streamAdmin), { name: 'flix.analytics.v1.AnalyticsService' });
  const grpcPort = await grpc.start(cfg.GRPC_HOST, cfg.GRPC_PORT);
  let ready = false;
  const http = await startHttpServer({ service: 'analytics', port: cfg.HTTP_PORT, host: cfg.GRPC_HOST, logger, ready: () => ready });

  const consumers = await startStreamConsumers({
    nats,
    logger,
    batchSize: cfg.FLIX_CONSUMER_BATCH,
    ingest: { rollups, events, alerts, reportingCurrency: cfg.FLIX_REPORTING_CURRENCY },
  });
  const alertTimer = setInterval(() => void alerts.evaluate(), cfg.FLIX_ALERT_EVALUATE_SECONDS * 1000);
  alertTimer.unref();

  ready = true;
  grpc.setServing(true);
  logger.info({ grpcPort, httpPort: http.port, eventStore: eventStoreKind }, 'analytics ready');

  return {
    grpcPort,
    httpPort: http.port,
    db: mongo.db,
    eventStoreKind,
    /** Re-measures the alert window now (the timer does it every FLIX_ALERT_EVALUATE_SECONDS). */
    evaluateAlerts: () => alerts.evaluate(),
    refreshPlanPrices: refreshPrices,
    async stop() {
      ready = false;
      clearInterval(alertTimer);
      clearInterval(priceTimer);
      await grpc.stop();
      await http.close();
      for (const c of consumers) await c.stop();
      await alerts.evaluate();
      await refreshing;
      await outbox.stop();
      await nats.drain();
      planSource?.close();
      await mongo.close();
      logger.info('analytics stopped');
    },
  };
}

export type AnalyticsHandle = Awaited<ReturnType<typeof startAnalytics>>;

runWhenMain(import.meta.url, () => startAnalytics());
