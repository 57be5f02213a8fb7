import { isDuplicateKey } from '@flix/mongo';
import type { Collection, Db, Filter } from 'mongodb';
import type { AccountPreferences, Interaction, SignalChange, SignalKind, SignalState, TitleInfo } from '../domain/model.js';
import type { ApplyOutcome, ChangeCounter, InteractionStore, PreferenceStore, TitleStore } from '../domain/ports.js';

interface InteractionDoc {
  _id: string;
  profileId: string;
  userId: string;
  movieId: string;
  signals: Partial<Record<SignalKind, SignalState>>;
  updatedAt: Date;
}

type TitleDoc = Omit<TitleInfo, 'id'> & { _id: string };
type PreferenceDoc = Omit<AccountPreferences, 'userId'> & { _id: string };
interface CounterDoc {
  _id: string;
  value: number;
}

const COUNTER_ID = 'changes';

/** One counter document bumped by every effective change, so each instance knows when to retrain. */
export class MongoChangeCounter implements ChangeCounter {
  private readonly coll: Collection<CounterDoc>;
  constructor(db: Db) {
    this.coll = db.collection<CounterDoc>('model_state');
  }
  async current(): Promise<number> {
    return (await this.coll.findOne({ _id: COUNTER_ID }))?.value ?? 0;
  }
  async bump(): Promise<void> {
    await this.coll.updateOne({ _id: COUNTER_ID }, { $inc: { value: 1 } }, { upsert: true });
  }
}

/**
 * Interactions as one document per profile and title, each signal kind last-writer-wins on the
 * producer's occur time (event id breaking ties): a repeated event matches nothing, and a rating
 * deleted then set arriving in the wrong order still ends with the later of the two.
 */
export class MongoInteractionStore implements InteractionStore {
  private readonly coll: Collection<InteractionDoc>;
  constructor(db: Db, private readonly counter: MongoChangeCounter) {
    this.coll = db.collection<InteractionDoc>('interactions');
  }

  async apply(c: SignalChange): Promise<ApplyOutcome> {
    const _id = `${c.profileId}|${c.movieId}`;
    try {
      await this.coll.updateOne(
        { _id },
        { $setOnInsert: { profileId: c.profileId, userId: c.userId, movieId: c.movieId, signals: {}, updatedAt: new Date() } },
        { upsert: true },
      );
    } catch (err) {
      // Two deliveries raced to create the document: it exists now, which is all we need.
      if (!isDuplicateKey(err)) throw err;
    }
    const path = `signals.${c.kind}`;
    const newer = {
      _id,
      $or: [{ [path]: { $exists: false } }, { [`${path}.at`]: { $lt: c.at } }, { [`${path}.at`]: c.at, [`${path}.eventId`]: { $lt: c.eventId } }],
    } as Filter<InteractionDoc>;
    const r = await this.coll.updateOne(newer, { $set: { [path]: { value: c.value, at: c.at, eventId: c.eventId }, updatedAt: new Date() } });
    if (r.modifiedCount === 0) return 'stale';
    await this.counter.bump();
    return 'applied';
  }

  async forgetPlayback(input: { userId: string; profileId: string; movieId: string; at: Date; eventId: string }): Promise<ApplyOutcome> {
    const base = { userId: input.userId, profileId: input.profileId, movieId: input.movieId, at: input.at, eventId: input.eventId, value: 0 };
    const a = await this.apply({ ...base, kind: 'completed' });
    const b = await this.apply({ ...base, kind: 'started' });
    return a === 'applied' || b === 'applied' ? 'applied' : 'stale';
  }

  async forProfile(profileId: string): Promise<Interaction[]> {
    return (await this.coll.find({ profileId }).limit(5000).toArray()).map(fromDoc);
  }

  async *all(): AsyncIterable<Interaction> {
    for await (const d of this.coll.find({}, { batchSize: 5000 })) yield fromDoc(d);
  }

  async *changedSince(since: Date): AsyncIterable<Interaction> {
    for await (const d of this.coll.find({ updatedAt: { $gte: since } }, { batchSize: 5000 })) yield fromDoc(d);
  }
}

const fromDoc = (d: InteractionDoc): Interaction => ({ profileId: d.profileId, userId: d.userId, movieId: d.movieId, signals: d.signals ?? {}, updatedAt: d.updatedAt });

/** The catalog copy: a title document only moves to a higher catalog version. */
export class MongoTitleStore implements TitleStore {
  private readonly coll: Collection<TitleDoc>;
  constructor(db: Db, private readonly counter: MongoChangeCounter) {
    this.coll = db.collection<TitleDoc>('titles');
  }

  async upsert(t: TitleInfo): Promise<ApplyOutcome> {
    const { id, ...rest } = t;
    try {
      const r = await this.coll.updateOne({ _id: id, version: { $lt: t.version } }, { $set: rest }, { upsert: true });
      if (r.modifiedCount === 0 && r.upsertedCount === 0) return 'stale';
    } catch (err) {
      // The document exists with this version or a newer one.
      if (isDuplicateKey(err)) return 'stale';
      throw err;
    }
    await this.counter.bump();
    return 'applied';
  }

  async all(): Promise<TitleInfo[]> {
    return (await this.coll.find({}).toArray()).map(({ _id, ...rest }) => ({ id: _id, ...rest }));
  }
}

/** What each account picked (language, genres), last-writer-wins on the event's occur time. */
export class MongoPreferenceStore implements PreferenceStore {
  private readonly coll: Collection<PreferenceDoc>;
  constructor(db: Db) {
    this.coll = db.collection<PreferenceDoc>('preferences');
  }

  async upsert(p: AccountPreferences): Promise<ApplyOutcome> {
    const { userId, ...rest } = p;
    try {
      const r = await this.coll.updateOne({ _id: userId, at: { $lt: p.at } }, { $set: rest }, { upsert: true });
      return r.modifiedCount + r.upsertedCount > 0 ? 'applied' : 'stale';
    } catch (err) {
      if (isDuplicateKey(err)) return 'stale';
      throw err;
    }
  }

  async get(userId: string): Promise<AccountPreferences | null> {
    const d = await this.coll.findOne({ _id: userId });
    return d ? { userId: d._id, language: d.language, genres: d.genres, at: d.at } : null;
  }
}
