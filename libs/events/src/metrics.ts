import { Counter, Gauge, register, type Metric } from 'prom-client';

// Metrics live in prom-client's default registry so a service's /metrics shows them with no
// wiring. Lookups go through the registry because this module may be evaluated more than once
// in one process (tests, duplicated installs) and a second registration would throw.
function getOrCreate<M extends Metric<string>>(name: string, create: () => M): M {
  return (register.getSingleMetric(name) as M | undefined) ?? create();
}

export type HandledResult = 'ok' | 'retry' | 'dlq' | 'duplicate' | 'ignored';

/** Counting facade, so the rest of the library never touches prom-client types. */
export const metrics = {
  published(subject: string): void {
    getOrCreate(
      'flix_events_published_total',
      () =>
        new Counter({
          name: 'flix_events_published_total',
          help: 'Events published to JetStream (acknowledged by the stream), by subject.',
          labelNames: ['subject'],
        }),
    ).inc({ subject });
  },
  publishFailed(subject: string): void {
    getOrCreate(
      'flix_events_publish_failures_total',
      () =>
        new Counter({
          name: 'flix_events_publish_failures_total',
          help: 'Failed attempts to publish an event to JetStream, by subject.',
          labelNames: ['subject'],
        }),
    ).inc({ subject });
  },
  handled(consumer: string, subject: string, result: HandledResult): void {
    getOrCreate(
      'flix_events_handled_total',
      () =>
        new Counter({
          name: 'flix_events_handled_total',
          help: 'Events taken from JetStream by a consumer, by subject and result.',
          labelNames: ['consumer', 'subject', 'result'],
        }),
    ).inc({ consumer, subject, result });
  },
  /** null clears the series (the consumer stopped). */
  consumerPending(stream: string, consumer: string, pending: number | null, ackPending: number | null = null): void {
    const gauges: [Gauge<'stream' | 'consumer'>, number | null][] = [
      [
        getOrCreate(
          'flix_consumer_pending',
          () =>
            new Gauge({
              name: 'flix_consumer_pending',
              help: 'Messages in the stream not yet delivered to the durable consumer (num_pending).',
              labelNames: ['stream', 'consumer'],
            }),
        ),
        pending,
      ],
      [
        getOrCreate(
          'flix_consumer_ack_pending',
          () =>
            new Gauge({
              name: 'flix_consumer_ack_pending',
              help: 'Messages delivered to the durable consumer and not yet acknowledged (num_ack_pending).',
              labelNames: ['stream', 'consumer'],
            }),
        ),
        ackPending,
      ],
      [
        getOrCreate(
          'flix_consumer_lag',
          () =>
            new Gauge({
              name: 'flix_consumer_lag',
              help: 'Messages the durable consumer has not finished: num_pending + num_ack_pending.',
              labelNames: ['stream', 'consumer'],
            }),
        ),
        pending === null ? null : pending + (ackPending ?? 0),
      ],
    ];
    for (const [g, v] of gauges) {
      if (v === null) g.remove({ stream, consumer });
      else g.set({ stream, consumer }, v);
    }
  },
};

/** Source of the outbox backlog gauge; registered by running relays. */
export interface BacklogSource {
  readonly service: string;
  backlog(): Promise<number>;
}

const backlogSources = new Set<BacklogSource>();

function backlogGauge(): Gauge<'service'> {
  return getOrCreate(
    'flix_outbox_backlog',
    () =>
      new Gauge({
        name: 'flix_outbox_backlog',
        help: 'Outbox entries committed but not yet published, by service.',
        labelNames: ['service'],
        // Counted at scrape time so the value is never stale.
        async collect() {
          this.reset();
          for (const src of backlogSources) {
            try {
              this.inc({ service: src.service }, await src.backlog());
            } catch {
              // Database unreachable: leave the series out rather than fail the whole scrape.
            }
          }
        },
      }),
  );
}

export function registerBacklogSource(src: BacklogSource): void {
  backlogGauge();
  backlogSources.add(src);
}

export function unregisterBacklogSource(src: BacklogSource): void {
  backlogSources.delete(src);
}
