import { MongoServerError, type Collection, type Db } from 'mongodb';
import type { Logger } from '@flix/logging';

/** One event as the event store keeps it. */
export interface StoredEvent {
  /** The event's occur_time: the time-series time field. */
  time: Date;
  /** The time-series meta field: low cardinality, so buckets stay large. */
  meta: { stream: string; subject: string };
  eventId: string;
  type: string;
  userId?: string;
  movieId?: string;
  /** proto3 JSON as published; the raw text when it was not JSON. */
  payload: unknown;
  receivedAt: Date;
}

export type EventStoreKind = 'timeseries' | 'collection';

/**
 * The raw event store: a MongoDB time-series collection where the server has them (MongoDB 5+),
 * otherwise an ordinary collection with the same documents and a TTL on `time`.
 *
 * Time-series collections take neither unique indexes nor writes inside transactions, so the
 * "counted once" guarantee lives in the rollup transaction's `ingested` marker, and the raw copy
 * is written right after that commits; a redelivery after a crash in between finds the marker
 * and only fills in the missing raw copy (`ensureStored`).
 */
export class EventStore {
  readonly coll: Collection<StoredEvent>;
  kind: EventStoreKind = 'collection';

  constructor(
    private readonly db: Db,
    private readonly retentionDays: number,
    private readonly logger: Logger,
    readonly name = 'events',
  ) {
    this.coll = db.collection<StoredEvent>(name);
  }

  async init(): Promise<EventStoreKind> {
    const expireAfterSeconds = this.retentionDays * 86_400;
    const existing = await this.db.listCollections({ name: this.name }, { nameOnly: false }).toArray();
    if (existing.length > 0) {
      this.kind = existing[0]!.type === 'timeseries' ? 'timeseries' : 'collection';
    } else {
      try {
        await this.db.createCollection(this.name, {
          timeseries: { timeField: 'time', metaField: 'meta', granularity: 'seconds' },
          expireAfterSeconds,
        });
        this.kind = 'timeseries';
      } catch (err) {
        if (err instanceof MongoServerError && err.code === 48) {
          // NamespaceExists: another instance created it meanwhile.
          return this.init();
        }
        this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'server has no time-series collections; the event store is an ordinary collection');
        await this.db.createCollection(this.name).catch((e: unknown) => {
          if (!(e instanceof MongoServerError && e.code === 48)) throw e;
        });
        this.kind = 'collection';
      }
    }
    await this.coll.createIndexes([
      { key: { eventId: 1 }, name: 'event_id' },
      { key: { 'meta.subject': 1, time: 1 }, name: 'subject_time' },
      ...(this.kind === 'collection' ? [{ key: { time: 1 }, name: 'time_ttl', expireAfterSeconds }] : []),
    ]);
    this.logger.info({ collection: this.name, kind: this.kind }, 'event store ready');
    return this.kind;
  }

  async storeMany(docs: StoredEvent[]): Promise<void> {
    if (docs.length > 0) await this.coll.insertMany(docs, { ordered: false });
  }

  /** After a redelivery: stores the raw copy only if the earlier delivery did not get to it. */
  async ensureStored(doc: StoredEvent): Promise<boolean> {
    const found = await this.coll.findOne({ eventId: doc.eventId, time: doc.time }, { projection: { _id: 1 } });
    if (found) return false;
    await this.coll.insertOne(doc);
    return true;
  }
}
