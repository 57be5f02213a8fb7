import { createAccessTokenVerifier, type AccessTokenVerifier } from '@flix/auth';
import type { BaseServiceConfig } from '@flix/config';
import { FLIX_STREAMS } from '@flix/contracts';
import { connectNats, ensureStreams, MongoIdempotencyStore, Outbox, type NatsClients, type StreamSpec } from '@flix/events';
import { classifyDependencyError, GrpcServer, type AddServiceOptions, type ServiceHandlers } from '@flix/grpc';
import { startHttpServer, type HttpRoute, type UnavailableAnswer } from '@flix/http';
import { createLogger, type Logger } from '@flix/logging';

import { connectMongo, ensureIndexes, type IndexPlan, type MongoConnection } from '@flix/mongo';
import { readDescriptorSet } from '@flix/proto/descriptor';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { IDEMPOTENCY_KEY_INDEXES, MongoIdempotencyKeyStore } from './idempotency-keys.js';
import { Readiness } from './readiness.js';
import { PeriodicTask, ShutdownPlan, type Closeable, type ShutdownPhase, type Stoppable } from './lifecycle.js';

/** One gRPC service a process serves, with the options GrpcServer.add takes. */
export interface GrpcRegistration {
  register(server: GrpcServer): void;
}

export function grpcService<D extends ServiceDefinition>(definition: D, handlers: ServiceHandlers<D>, options: AddServiceOptions<D>): GrpcRegistration {
  return { register: (server) => server.add(definition, handlers, options) };
}

/** What the host hands a service's composition: its connections and lifecycle hooks. */
export interface ServiceContext<C extends BaseServiceConfig> {
  cfg: C;
  logger: Logger;
  mongo: MongoConnection;
  nats: NatsClients;
  /** The transactional outbox relay (a service whose spec says `outbox: false` may not use it). */
  readonly outbox: Outbox;
  /** Event-id de-duplication for consumers, in this service's database. */
  idempotency: MongoIdempotencyStore;
  /** Runs `task` every `intervalMs` (0: only on runNow) from when the service is ready; stopped first on shutdown. */
  every(name: string, intervalMs: number, task: () => Promise<unknown>): PeriodicTask;
  /** Registers a started consumer (or any worker) to be drained after the servers stop. */
  consumer<T extends Stoppable>(worker: T): T;
  /** Registers a client of another service, closed with the connections. */
  client<T extends Closeable>(client: T): T;
  /** Any other shutdown step, in the named phase. */
  onStop(phase: ShutdownPhase, name: string, run: () => Promise<void> | void): void;
}

export interface Listening {
  grpcPort: number;
  httpPort: number;
}

/** What a service's composition returns to the host. */
export interface ServiceParts<H extends object> {
  grpc: GrpcRegistration[];
  /** Extra plain-HTTP routes beside /healthz and /metrics (webhooks, JWKS). */
  routes?: HttpRoute[];
  /** Defaults to verifying against identity's JWKS (cfg.FLIX_JWKS_URL). */
  verifier?: AccessTokenVerifier;
  /** Runs once both servers listen, before the service reports ready: consumers, workers. */
  start?(listening: Listening): Promise<void> | void;
  /** Logged with the "ready" line. */
  summary?: Record<string, unknown>;
  /** Extra fields on the handle runService returns (tests and the dev stack use them). */
  handle?: H;
}

export interface ServiceSpec<C extends BaseServiceConfig, H extends object> {
  /** Short name: logs, metrics, NATS and MongoDB client names. */
  name: string;
  config: C;
  indexes: IndexPlan;
  /** JetStream streams to create or update; every Flix stream by default. */
  streams?: readonly StreamSpec[];
  /** A service that never produces events runs no outbox relay. */
  outbox?: boolean;
  build(ctx: ServiceContext<C>): Promise<ServiceParts<H>>;
}

export type ServiceHandle<H extends object> = H &
  Listening & {
    mongo: MongoConnection;
    /** Ordered shutdown; safe to call twice. */
    stop(): Promise<void>;
  };

/**
 * The one way a Flix service runs: connect MongoDB and NATS, make sure indexes and streams
 * exist, start the outbox relay, let the service compose its parts, serve gRPC (with health
 * and reflection) and the ops HTTP server, and report ready. On stop, wind down in the order
 * of SHUTDOWN_PHASES. A failure while starting undoes what was started.
 */
export async function runService<C extends BaseServiceConfig, H extends object = Record<never, never>>(spec: ServiceSpec<C, H>): Promise<ServiceHandle<H>> {
  const { name, config: cfg } = spec;
  const logger = createLogger(name, { level: cfg.LOG_LEVEL });
  const shutdown = new ShutdownPlan(logger);
  // Ready once composed and while MongoDB and NATS are reachable; /healthz and gRPC health follow it.
  const readiness = new Readiness(logger);
  let grpc: GrpcServer | undefined;
  readiness.onChange((ready) => grpc?.setServing(ready));
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      // Both probes answer "not serving" from the first moment, while timers and calls wind down.
      readiness.stopping();
      grpc?.setServing(false);
      await shutdown.run();
      logger.info(`${name} stopped`);
    })();
    return stopping;
  };

  try {
    const mongo = await connectMongo(cfg.MONGO_URL, cfg.MONGO_DB, name, { serverSelectionTimeoutMS: cfg.FLIX_MONGO_SELECTION_TIMEOUT_MS });
    readiness.watch('mongodb', mongo.availability);
    shutdown.add('connections', 'mongodb', () => mongo.close());
    await ensureIndexes(mongo.db, { ...spec.indexes, ...IDEMPOTENCY_KEY_INDEXES });
    const nats = await connectNats(cfg.NATS_URL, name);
    readiness.watch('nats', nats.availability);
    nats.holdConsumersWhileDown(mongo.availability);
    shutdown.add('connections', 'nats', () => nats.drain());
    await ensureStreams(nats.jsm, spec.streams ?? FLIX_STREAMS);
    let outbox: Outbox | undefined;
    if (spec.outbox !== false) {
      const relay = new Outbox(mongo.db, { js: nats.js, logger, service: name });
      await relay.init();
      void relay.start();
      // Back from an outage: publish what was committed meanwhile now, not at the relay's next backed-off poll.
      for (const dependency of [nats.availability, mongo.availability]) dependency.onChange((up) => up && void relay.flush().catch(() => undefined));
      shutdown.add('outbox', 'outbox relay', () => relay.stop());
      outbox = relay;
    }

    const tasks: PeriodicTask[] = [];
    const ctx: ServiceContext<C> = {
      cfg,
      logger,
      mongo,
      nats,
      get outbox() {
        if (!outbox) throw new Error(`${name} runs without an outbox relay (outbox: false): events written there would never leave`);
        return outbox;
      },
      idempotency: new MongoIdempotencyStore(mongo.db),
      every(taskName, intervalMs, task) {
        const periodic = new PeriodicTask(taskName, intervalMs, task, logger);
        tasks.push(periodic);
        shutdown.add('tasks', taskName, () => periodic.stop());
        return periodic;
      },
      consumer(worker) {
        shutdown.add('consumers', 'consumer', () => worker.stop());
        return worker;
      },
      client(c) {
        shutdown.add('connections', 'client', () => c.close());
        return c;
      },
      onStop: (phase, stepName, run) => shutdown.add(phase, stepName, run),
    };
    const parts = await spec.build(ctx);

    const verifier =
      parts.verifier ??
      createAccessTokenVerifier({ issuer: cfg.FLIX_JWT_ISSUER, audience: cfg.FLIX_JWT_AUDIENCE, keys: { jwksUrl: requireJwks(cfg) } });
    const idempotency = {
      store: new MongoIdempotencyKeyStore(mongo.db),
      retentionSeconds: cfg.FLIX_IDEMPOTENCY_RETENTION_SECONDS,
      leaseSeconds: cfg.FLIX_IDEMPOTENCY_LEASE_SECONDS,
    };
    const server = new GrpcServer({ service: name, logger, verifier, descriptorSet: readDescriptorSet(), idempotency, maxInflightCalls: cfg.FLIX_MAX_INFLIGHT_CALLS });
    grpc = server;
    for (const service of parts.grpc) service.register(server);
    const http = await startHttpServer({ service: name, port: cfg.HTTP_PORT, host: cfg.GRPC_HOST, logger, ready: () => readiness.report(), routes: parts.routes, classifyError: unavailableAnswer });
    shutdown.add('serving', 'ops http server', () => http.close());
    const grpcPort = await server.start(cfg.GRPC_HOST, cfg.GRPC_PORT);
    // Registered after the HTTP server, so it stops first: calls stop before the probes go.
    shutdown.add('serving', 'grpc server', () => server.stop());
    const listening = { grpcPort, httpPort: http.port };
    await parts.start?.(listening);

    for (const task of tasks) task.start();
    readiness.started();
    server.setServing(readiness.ready);
    logger.info({ ...listening, ...parts.summary }, `${name} ready`);
    return { ...(parts.handle as H), ...listening, mongo, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Plain-HTTP routes (webhooks, OAuth) get the same outage classification as gRPC calls. */
function unavailableAnswer(err: unknown): UnavailableAnswer | undefined {
  const e = classifyDependencyError(err);
  return e && { message: e.message, reason: e.reason, metadata: e.metadata, retryAfterSeconds: e.retryAfterSeconds ?? 1 };
}

function requireJwks(cfg: BaseServiceConfig): string {
  if (!cfg.FLIX_JWKS_URL) throw new Error('FLIX_JWKS_URL is not configured and the service gave no verifier of its own');
  return cfg.FLIX_JWKS_URL;
}
