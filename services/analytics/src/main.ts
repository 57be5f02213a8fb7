import { runWhenMain } from '@flix/config';
import { AnalyticsServiceService } from '@flix/proto/flix/analytics/v1/analytics_service';
import { ErasedUsers, grpcService, jwksVerifierRefusingErased, personalDataService, runService, startUserDeletedConsumer } from '@flix/service';
import { AnalyticsPersonalData } from './privacy/personal-data.js';
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
export function startAnalytics(env: Record<string, string | undefined> = process.env, overrides: AnalyticsOverrides = {}) {
  return runService({
    name: 'analytics',
    config: readAnalyticsConfig(env),
    indexes: ANALYTICS_INDEXES,
    async build({ cfg, logger, mongo, nats, outbox, idempotency, client, consumer, every, onStop }) {
      const events = new EventStore(mongo.db, cfg.FLIX_EVENT_RETENTION_DAYS, logger);
      const eventStoreKind = await events.init();
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

      const planSource = overrides.planPrices ? undefined : client(new BillingPlanSource(cfg.BILLING_GRPC_ADDR));
      const loadPrices = overrides.planPrices ?? (() => planSource!.prices());
      // Billing may be down or still starting: prices seen in payments stand in meanwhile.
      const prices = every('plan price refresh', cfg.FLIX_PLAN_REFRESH_SECONDS * 1000, async () => savePlanPrices(mongo.db, await loadPrices()));
      void prices.runNow().catch(() => undefined);
      // The closing evaluation sees every event the consumers handled, and its events still leave through the outbox.
      onStop('final', 'closing alert evaluation', () => alerts.evaluate());
      // Account deletion (issue 14): tombstones refuse a deleted account's tokens, the consumer erases.
      const erased = new ErasedUsers(mongo.db);
      await erased.init();
      every('erased accounts refresh', 2_000, () => erased.refresh());
      const privacy = new AnalyticsPersonalData({ db: mongo.db, erased, eventsCollection: events.name });

      return {
        grpc: [
          grpcService(AnalyticsServiceService, analyticsHandlers(reports, streamAdmin), { name: 'flix.analytics.v1.AnalyticsService' }),
          personalDataService('analytics', (userId) => privacy.export(userId)),
        ],
        verifier: jwksVerifierRefusingErased(cfg, erased),
        async start() {
          // Its own durable: the 'analytics' consumers store every event; this one erases.
          consumer(await startUserDeletedConsumer({ nats, durable: 'analytics-privacy', idempotency, logger, erase: (e) => privacy.erase(e) }));
          const ingest = { rollups, events, alerts, reportingCurrency: cfg.FLIX_REPORTING_CURRENCY, erased: privacy };
          for (const c of await startStreamConsumers({ nats, logger, batchSize: cfg.FLIX_CONSUMER_BATCH, ingest })) consumer(c);
          every('alert evaluation', cfg.FLIX_ALERT_EVALUATE_SECONDS * 1000, () => alerts.evaluate());
        },
        summary: { eventStore: eventStoreKind },
        handle: {
          db: mongo.db,
          eventStoreKind,
          /** Re-measures the alert window now (the timer does it every FLIX_ALERT_EVALUATE_SECONDS). */
          evaluateAlerts: () => alerts.evaluate(),
          refreshPlanPrices: () => prices.runNow().catch(() => undefined),
        },
      };
    },
  });
}

export type AnalyticsHandle = Awaited<ReturnType<typeof startAnalytics>>;

runWhenMain(import.meta.url, () => startAnalytics());
