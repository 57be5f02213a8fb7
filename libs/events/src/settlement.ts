import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import type { Logger } from '@flix/logging';
import { errMessage } from './error-message.js';
import { EventHeaders } from './event.js';
import { metrics, type HandledResult } from './metrics.js';

export const DEFAULT_BACKOFF_MS = [1000, 5000, 30_000, 60_000] as const;

export interface SettlementOptions {
  js: JetStreamClient;
  stream: string;
  durable: string;
  dlqSubject: string;
  /** Redelivery delay after the n-th failed attempt (last value repeats). */
  backoffMs: readonly number[];
  /** The consumer's logger. */
  log: Logger;
}

/** How a consumer finishes with a message: ack it, nak it for a later retry, or park it on the DLQ. */
export class Settlement {
  constructor(private readonly o: SettlementOptions) {}

  /** Acks and waits for the server to confirm, so a stopped consumer never sees it again. */
  async ack(m: JsMsg, subject: string, result: HandledResult): Promise<void> {
    try {
      await m.ackAck();
    } catch (err) {
      // Unconfirmed: at worst the message comes back and the idempotency check acks it.
      this.o.log.warn({ subject, seq: m.info.streamSequence, err: errMessage(err) }, 'ack not confirmed');
    }
    metrics.handled(this.o.durable, subject, result);
  }

  retry(m: JsMsg, reason: string, deliveryCount: number, log: Logger): void {
    const delay = this.backoff(deliveryCount);
    m.nak(delay);
    metrics.handled(this.o.durable, m.subject, 'retry');
    log.warn({ reason, retryInMs: delay }, 'event failed; will retry');
  }

  async deadLetter(m: JsMsg, reason: string, attempts: number, log: Logger): Promise<void> {
    const { js, stream, durable, dlqSubject } = this.o;
    const h = natsHeaders();
    if (m.headers) {
      for (const k of m.headers.keys()) {
        // The DLQ stream de-duplicates on its own id: the same event parked by two consumers
        // must be stored twice.
        if (k === EventHeaders.MsgId) continue;
        for (const v of m.headers.values(k)) h.append(k, v);
      }
    }
    const originalId = m.headers?.get(EventHeaders.MsgId);
    if (originalId) h.set('Flix-Event-Id', originalId);
    h.set(EventHeaders.DlqReason, reason.slice(0, 1024).replace(/[\r\n]+/g, ' '));
    h.set(EventHeaders.DlqConsumer, durable);
    h.set(EventHeaders.DlqAttempts, String(attempts));
    h.set(EventHeaders.DlqStream, stream);
    h.set(EventHeaders.DlqSubject, m.subject);
    h.set(EventHeaders.DlqStreamSeq, String(m.info.streamSequence));
    try {
      await js.publish(dlqSubject, m.data, {
        headers: h,
        msgID: `${stream}:${durable}:${m.info.streamSequence}`,
      });
    } catch (err) {
      // Never drop it: leave it with the consumer and try again later.
      this.retry(m, `dead-lettering failed: ${errMessage(err)}`, Number.MAX_SAFE_INTEGER, log);
      return;
    }
    m.term();
    metrics.handled(durable, m.subject, 'dlq');
    log.error({ reason, dlqSubject, attempts }, 'event parked on the DLQ');
  }

  private backoff(deliveryCount: number): number {
    const b = this.o.backoffMs;
    return b[Math.min(deliveryCount - 1, b.length - 1)];
  }
}
