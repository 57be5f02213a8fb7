import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';

// The server keeps redelivering a few times past maxDeliver so that a message whose last
// attempt never finished (crash, ack timeout) still reaches our DLQ step instead of being
// dropped silently by the server.
const SERVER_DELIVERY_SLACK = 3;

/** The server-side settings of a durable pull consumer. */
export interface DurableSettings {
  stream: string;
  durable: string;
  filterSubject: string | undefined;
  deliverPolicy: 'all' | 'new' | undefined;
  ackWaitMs: number;
  /** Handler attempts; the server is allowed a few more (see SERVER_DELIVERY_SLACK). */
  maxDeliver: number;
  maxAckPending: number;
}

/**
 * Creates the durable consumer, or brings an existing one's limits up to date. Its filter cannot
 * change in place, so a different one is an error rather than a silent mismatch.
 */
export async function ensureDurableConsumer(jsm: JetStreamManager, s: DurableSettings): Promise<void> {
  const want: Partial<ConsumerConfig> = {
    durable_name: s.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: s.deliverPolicy === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
    ack_wait: nanos(s.ackWaitMs),
    max_deliver: s.maxDeliver + SERVER_DELIVERY_SLACK,
    max_ack_pending: s.maxAckPending,
    ...(s.filterSubject ? { filter_subject: s.filterSubject } : {}),
  };
  let info: ConsumerInfo | null = null;
  try {
    info = await jsm.consumers.info(s.stream, s.durable);
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
  }
  if (info === null) {
    try {
      await jsm.consumers.add(s.stream, want);
      return;
    } catch (err) {
      // Another instance of the service created it first; compare with theirs below.
      info = await jsm.consumers.info(s.stream, s.durable).catch(() => {
        throw err;
      });
    }
  }
  const cur = info.config;
  if ((cur.filter_subject ?? '') !== (want.filter_subject ?? '')) {
    throw new Error(
      `consumer ${s.stream}/${s.durable} filters '${cur.filter_subject ?? ''}', not ` +
        `'${want.filter_subject ?? ''}'; nats-server 2.9 cannot change that in place (delete the consumer)`,
    );
  }
  if (cur.ack_wait !== want.ack_wait || cur.max_deliver !== want.max_deliver || cur.max_ack_pending !== want.max_ack_pending) {
    await jsm.consumers.update(s.stream, s.durable, {
      ack_wait: want.ack_wait,
      max_deliver: want.max_deliver,
      max_ack_pending: want.max_ack_pending,
    });
  }
}
