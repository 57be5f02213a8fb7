import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';

export interface NatsClients {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /**
   * Clean shutdown: flushes what was published and waits for subscriptions to finish, then
   * closes. Stop consumers and outbox relays first so they can still ack and publish.
   */
  drain(): Promise<void>;
}

export interface ConnectNatsOptions {
  /** How long to wait for a JetStream publish acknowledgement (ms). Default 5000. */
  publishTimeoutMs?: number;
}

/**
 * Connects to NATS with the settings a long-running service wants: keep reconnecting forever
 * (a NATS restart must not kill the service) and a client name so `nats server report
 * connections` shows who is who.
 */
export async function connectNats(url: string, name: string, opts: ConnectNatsOptions = {}): Promise<NatsClients> {
  const nc = await connect({
    servers: url.split(',').map((s) => s.trim()),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
  });
  try {
    const timeout = opts.publishTimeoutMs ?? 5000;
    const jsm = await jetstreamManager(nc, { timeout });
    const js = jetstream(nc, { timeout });
    return {
      nc,
      js,
      jsm,
      async drain() {
        if (!nc.isClosed() && !nc.isDraining()) await nc.drain();
      },
    };
  } catch (err) {
    await nc.close();
    throw err;
  }
}
