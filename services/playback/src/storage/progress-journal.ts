import { DiscardPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import type { ProgressSnapshot } from '../domain/model.js';
import type { ProgressJournal } from '../domain/ports.js';

/** Internal state, not integration events: kept out of the PLAYBACK event stream on purpose. */
export const PROGRESS_STREAM = 'PLAYBACK_PROGRESS';
const subjectOf = (sessionId: string) => `progress.playback.${sessionId}`;
/** Acknowledged after the batch of plain publishes before it (session ids are UUIDs, never this). */
const BARRIER = 'progress.playback._barrier';
const EMPTY = new Uint8Array(0);

/**
 * A last-value journal in JetStream (one message kept per session, like a KV bucket): each
 * heartbeat is appended before it is acknowledged, and the database is written from memory only
 * every few seconds. After an instance dies, whoever ends or resumes its sessions reads the last
 * position here.
 *
 * Appends are group-committed: each heartbeat is a plain publish, and one acknowledged publish
 * (the barrier) per event-loop turn confirms the whole batch — JetStream stores one connection's
 * messages to a stream in order, so the barrier's ack means every append before it is stored.
 * A heartbeat is answered only after its batch's barrier is acknowledged.
 */
export class JetStreamProgressJournal implements ProgressJournal {
  private waiting: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;

  constructor(private readonly nc: NatsConnection, private readonly js: JetStreamClient, private readonly jsm: JetStreamManager) {}

  static async open(nc: NatsConnection, js: JetStreamClient, jsm: JetStreamManager): Promise<JetStreamProgressJournal> {
    try {
      await jsm.streams.info(PROGRESS_STREAM);
    } catch (e) {
      if (!(e instanceof JetStreamApiError) || e.code !== JetStreamApiCodes.StreamNotFound) throw e;
      await jsm.streams
        .add({
          name: PROGRESS_STREAM,
          subjects: ['progress.playback.*'],
          storage: StorageType.File,
          retention: RetentionPolicy.Limits,
          discard: DiscardPolicy.Old,
          max_msgs_per_subject: 1,
          // A session is long over after a day.
          max_age: nanos(24 * 60 * 60 * 1000),
          description: 'Last heartbeat of each playback session (internal to playback)',
        })
        .catch(async (err: unknown) => {
          // Another instance created it first.
          await jsm.streams.info(PROGRESS_STREAM).catch(() => {
            throw err;
          });
        });
    }
    return new JetStreamProgressJournal(nc, js, jsm);
  }

  record(s: ProgressSnapshot): Promise<void> {
    this.nc.publish(subjectOf(s.sessionId), JSON.stringify({ p: s.positionSeconds, w: s.watchedSeconds, r: s.rebufferMs, t: s.at.getTime() }));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.commit());
      }
    });
  }

  private async commit(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    this.scheduled = false;
    try {
      await this.js.publish(BARRIER, EMPTY);
      for (const w of batch) w.resolve();
    } catch (e) {
      for (const w of batch) w.reject(e);
    }
  }

  async last(sessionId: string): Promise<ProgressSnapshot | null> {
    let msg;
    try {
      msg = await this.jsm.streams.getMessage(PROGRESS_STREAM, { last_by_subj: subjectOf(sessionId) });
    } catch (e) {
      if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.NoMessageFound) return null;
      throw e;
    }
    if (!msg) return null;
    const v = msg.json<{ p: number; w: number; r: number; t: number }>();
    return { sessionId, positionSeconds: v.p, watchedSeconds: v.w, rebufferMs: v.r, at: new Date(v.t) };
  }
}
