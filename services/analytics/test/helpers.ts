import { EventHeaders, encodeEvent, publishEvent, type EventDef, type EventInit, type FlixEventMessage, type NatsClients } from '@flix/events';
import { headers as natsHeaders } from '@nats-io/nats-core';

export { eventually, startTestKeys } from '@flix/testkit';

/** Publishes an event as its producer would. */
export async function emit<T extends FlixEventMessage>(nats: NatsClients, def: EventDef<T>, input: EventInit<T>): Promise<T> {
  return (await publishEvent(nats.js, def, input)).event;
}

/**
 * Publishes the same event again under a new stream message (as a producer retrying after its
 * publish ack was lost beyond JetStream's duplicate window would): the consumer sees it twice.
 */
export async function emitAgain<T extends FlixEventMessage>(nats: NatsClients, def: EventDef<T>, event: T): Promise<void> {
  const h = natsHeaders();
  h.set(EventHeaders.EventType, def.type);
  await nats.js.publish(def.subject, encodeEvent(def, event), { headers: h, msgID: `${event.eventId}:again:${Math.random()}` });
}

/** True when every `analytics` consumer has nothing pending and nothing unacknowledged. */
export async function consumersIdle(nats: NatsClients): Promise<boolean> {
  for (const stream of ['IDENTITY', 'CATALOG', 'BILLING', 'PLAYBACK', 'ENGAGEMENT', 'DLQ']) {
    const info = await nats.jsm.consumers.info(stream, 'analytics').catch(() => null);
    if (!info || info.num_pending > 0 || info.num_ack_pending > 0) return false;
  }
  return true;
}
