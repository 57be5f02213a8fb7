import type { ClientSession, Db } from 'mongodb';

interface CounterDoc {
  _id: string;
  seq: number;
}

/**
 * Takes `n` numbers of the named change feed inside the caller's transaction and returns the
 * first. Every writer updates the same counter document, so concurrent transactions conflict and
 * retry: feed numbers are handed out in commit order, and a reader that has seen N has seen
 * every change up to N.
 */
export async function nextSeq(db: Db, name: string, session: ClientSession, n = 1): Promise<number> {
  const doc = await db
    .collection<CounterDoc>('counters')
    .findOneAndUpdate({ _id: name }, { $inc: { seq: n } }, { upsert: true, returnDocument: 'after', session });
  if (!doc) throw new Error(`counter ${name} not returned`);
  return doc.seq - n + 1;
}
