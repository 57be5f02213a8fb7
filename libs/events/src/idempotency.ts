import { MongoServerError, type ClientSession, type Collection, type Db } from 'mongodb';

/**
 * Remembers which events a consumer has handled, keyed `<durable>:<eventId>`, so a redelivery
 * or a re-published duplicate is acknowledged without running the handler again.
 */
export interface IdempotencyStore {
  /** Prepares storage (indexes); called once by startConsumer. */
  init?(): Promise<void>;
  has(key: string): Promise<boolean>;
  /**
   * Records the key; recording an already-recorded key is not an error. With a session the
   * record joins that transaction, so a handler that writes to Mongo can make "handled" atomic
   * with its own changes (see HandlerContext.recordProcessed); there a key recorded by someone
   * else fails the transaction.
   */
  record(key: string, session?: ClientSession): Promise<void>;
}

interface ProcessedEvent {
  _id: string;
  processedAt: Date;
}

export interface MongoIdempotencyOptions {
  /** Default `processed_events`. */
  collection?: string;
  /** How long a handled id is remembered; longer than any redelivery or replay. Default 7 days. */
  ttlSeconds?: number;
}

export class MongoIdempotencyStore implements IdempotencyStore {
  private readonly coll: Collection<ProcessedEvent>;
  private readonly ttlSeconds: number;
  private indexed: Promise<void> | null = null;

  constructor(db: Db, opts: MongoIdempotencyOptions = {}) {
    this.coll = db.collection<ProcessedEvent>(opts.collection ?? 'processed_events');
    this.ttlSeconds = opts.ttlSeconds ?? 7 * 24 * 3600;
  }

  /** Creates the TTL index (idempotent); startConsumer calls it before consuming. */
  init(): Promise<void> {
    this.indexed ??= this.coll
      .createIndex({ processedAt: 1 }, { name: 'processedAt_ttl', expireAfterSeconds: this.ttlSeconds })
      .then(() => undefined)
      .catch((err: unknown) => {
        this.indexed = null;
        throw err;
      });
    return this.indexed;
  }

  async has(key: string): Promise<boolean> {
    return (await this.coll.findOne({ _id: key }, { projection: { _id: 1 } })) !== null;
  }

  async record(key: string, session?: ClientSession): Promise<void> {
    try {
      await this.coll.insertOne({ _id: key, processedAt: new Date() }, session ? { session } : {});
    } catch (err) {
      // Outside a transaction a duplicate only means the handler already recorded it in its own
      // transaction. Inside one it means another delivery of this event won: rethrowing aborts
      // this handler's transaction, which is exactly right.
      if (session || !(err instanceof MongoServerError && err.code === 11000)) throw err;
    }
  }
}

/** In-process store for tests and for consumers whose handlers are naturally idempotent. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly keys = new Set<string>();
  async has(key: string): Promise<boolean> {
    return this.keys.has(key);
  }
  async record(key: string): Promise<void> {
    this.keys.add(key);
  }
}
