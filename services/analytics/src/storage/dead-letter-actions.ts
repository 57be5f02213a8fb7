import type { Collection, Db } from 'mongodb';
import { isDuplicateKey } from '@flix/mongo';
import type { DeadLetterAction } from '../domain/dead-letters.js';
import type { DeadLetterActionLog } from '../domain/ports.js';

/** One operator action; `_id` is its deadLetterActionKey. */
interface DeadLetterActionDoc extends DeadLetterAction {
  _id: string;
}

const actionOf = ({ _id, ...action }: DeadLetterActionDoc): DeadLetterAction => action;

/** The record of replays and discards; the first one for a message wins, later ones read it. */
export class DeadLetterActions implements DeadLetterActionLog {
  private readonly coll: Collection<DeadLetterActionDoc>;
  constructor(db: Db) {
    this.coll = db.collection<DeadLetterActionDoc>('dead_letter_actions');
  }

  async get(key: string): Promise<DeadLetterAction | null> {
    const doc = await this.coll.findOne({ _id: key });
    return doc && actionOf(doc);
  }

  async claim(key: string, action: DeadLetterAction): Promise<DeadLetterAction> {
    try {
      await this.coll.insertOne({ ...action, _id: key });
      return action;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const existing = await this.coll.findOne({ _id: key });
      if (!existing) throw err;
      return actionOf(existing);
    }
  }

  async complete(key: string, replay: { replayStream?: string; replaySequence?: number }): Promise<DeadLetterAction | null> {
    const doc = await this.coll.findOneAndUpdate({ _id: key }, { $set: { state: 'done', ...replay } }, { returnDocument: 'after' });
    return doc && actionOf(doc);
  }
}
