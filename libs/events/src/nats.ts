import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { AvailabilitySignal, type Availability } from '@flix/mongo';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { DependencyUnavailableError } from './outbox.js';

export interface NatsClients {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Up while connected; down from a disconnect until the client has reconnected. */
  availability: NatsAvailability;
  /**
   * Durable consumers on this client hold each message (kept in progress, not failed) while
   * `dependency` is down, instead of failing it over and over into the dead-letter queue;
   * they carry on when it is back. The host passes MongoDB's availability.
   */
  holdConsumersWhileDown(dependency: NatsAvailability): void;
  /**
   * Clean shutdown: flushes what was published and waits for subscriptions to finish, then
   * closes. Stop consumers and outbox relays first so they can still ack and publish.
   */
  drain(): Promise<void>;
}

/** Whether NATS is connected now, and a way to hear when that changes. */
export type NatsAvailability = Availability;

/** The client's reconnect policy: forever, a second apart (plus the client's jitter). */
export const NATS_RECONNECT = { maxReconnectAttempts: -1, reconnectTimeWait: 1000 } as const;

export interface ConnectNatsOptions {
  /** How long to wait for a JetStream publish acknowledgement (ms). Default 5000. */
  publishTimeoutMs?: number;
  /**
   * How long to keep trying to reach NATS at start (ms). Default 30 s: a service restarted while
   * nats-server is itself restarting waits for it instead of crash-looping.
   */
  startupTimeoutMs?: number;
}

/**
 * Connects to NATS with the settings a long-running service wants: keep reconnecting forever
 * (a NATS restart must not kill the service) and a client name so `nats server report
 * connections` shows who is who.
 */
export async function connectNats(url: string, name: string, opts: ConnectNatsOptions = {}): Promise<NatsClients> {
  const giveUpAt = Date.now() + (opts.startupTimeoutMs ?? 30_000);
  let nc: NatsConnection;
  for (;;) {
    try {
      nc = await connect({
        servers: url.split(',').map((s) => s.trim()),
        name,
        ...NATS_RECONNECT,
        // A silently dropped connection (no FIN from a dead host) is noticed after ~2 missed pings,
        // not the default 4 minutes.
        pingInterval: 10_000,
        maxPingOut: 2,
      });
      break;
    } catch (err) {
      if (Date.now() >= giveUpAt) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    const timeout = opts.publishTimeoutMs ?? 5000;
    const jsm = await jetstreamManager(nc, { timeout });
    const availability = followStatus(nc);
    const js = failFastWhileDisconnected(jetstream(nc, { timeout }), availability);
    return {
      nc,
      js,
      jsm,
      availability,
      holdConsumersWhileDown: (dependency) => void consumerGates.set(js, dependency),
      async drain() {
        if (!nc.isClosed() && !nc.isDraining()) await nc.drain();
      },
    };
  } catch (err) {
    await nc.close();
    throw err;
  }
}

const consumerGates = new WeakMap<JetStreamClient, NatsAvailability>();

/** What consumers on `js` must wait for before handling a message (see holdConsumersWhileDown). */
export function consumerGate(js: JetStreamClient): NatsAvailability | undefined {
  return consumerGates.get(js);
}

/** Follows the connection's status events: down on disconnect, up again on reconnect. */
function followStatus(nc: NatsConnection): NatsAvailability {
  const signal = new AvailabilitySignal(!nc.isClosed());
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') signal.set(false);
      else if (s.type === 'reconnect') signal.set(true);
    }
  })().catch(() => undefined);
  void nc.closed().then(() => signal.set(false));
  return signal;
}

/**
 * A JetStream publish made while disconnected would sit in the client's buffer until its ack
 * timeout (5 s) and then fail; refused at once instead, the caller answers UNAVAILABLE quickly
 * (and the outbox relay just tries again after NATS is back).
 */
function failFastWhileDisconnected(js: JetStreamClient, availability: NatsAvailability): JetStreamClient {
  const publish: JetStreamClient['publish'] = (subject, payload, options) =>
    availability.up ? js.publish(subject, payload, options) : Promise.reject(new DependencyUnavailableError('nats', `NATS is unreachable; nothing was published to ${subject}`));
  return new Proxy(js, { get: (target, prop, receiver) => (prop === 'publish' ? publish : Reflect.get(target, prop, receiver)) });
}
