import { MongoServerError, type Collection, type Db } from 'mongodb';

/**
 * What an operator did with one dead letter. `_id` is `<DLQ stream creation time>|<sequence>`:
 * sequences start again if the DLQ stream is ever re-created, its creation time tells them apart.
 * Kept for good (one small document per operator action).
 */
export interface DeadLetterActionDoc {
  _id: string;
  sequence: number;
  kind: 'replayed' | 'discarded';
  /** `pending` while a replay is under way (published, not yet removed from the DLQ). */
  state: 'pending' | 'done';
  actor: string;
  at: Date;
  subject: string;
  consumer: string;
  eventId: string;
  replayMessageId?: string;
  replayStream?: string;
  replaySequence?: number;
}

export const deadLetterActionKey = (dlqCreated: string, seq: number) => `${dlqCreated}|${seq}`;

/** The record of replays and discards; the first one for a message wins, later ones read it. */
export class DeadLetterActions {
  private readonly coll: Collection<DeadLetterActionDoc>;
  constructor(db: Db) {
    this.coll = db.collection<DeadLetterActionDoc>('dead_letter_actions');
  }

  get(id: string): Promise<DeadLetterActionDoc | null> {
    return this.coll.findOne({ _id: id });
  }

  /** Inserts the record, or returns the one already there (someone acted first). */
  async claim(doc: DeadLetterActionDoc): Promise<{ doc: DeadLetterActionDoc; first: boolean }> {
    try {
      await this.coll.insertOne(doc);
      return { doc, first: true };
    } catch (err) {
      if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
      const existing = await this.coll.findOne({ _id: doc._id });
      if (!existing) throw err;
      return { doc: existing, first: false };
    }
  }

  /** Marks a replay done, with where the re-published message was stored. */
  async complete(id: string, replay: { replayStream?: string; replaySequence?: number }): Promise<DeadLetterActionDoc | null> {
    return this.coll.findOneAndUpdate({ _id: id }, { $set: { state: 'done', ...replay } }, { returnDocument: 'after' });
  }
}
