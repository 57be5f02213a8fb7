import type { ClientSession, Collection, Db, MongoClient } from 'mongodb';
import { DomainError } from '@flix/errors';
import { isDuplicateKey } from '@flix/mongo';
import type { CatalogEvent } from '../domain/events.js';
import type { MovieRecord } from '../domain/model.js';
import type { MuxEvent } from '../domain/mux-events.js';
import type { MovieRepository, MuxEventOutcome } from '../domain/ports.js';
import type { EventWriter } from '../events/event-writer.js';
import { nextSeq } from './sequence.js';
import { runInTransaction } from '@flix/events';

export type MovieDoc = Omit<MovieRecord, 'id'> & { _id: string; seq: number };

export const toDoc = ({ id, ...rest }: MovieRecord, seq: number): MovieDoc => ({ _id: id, ...rest, seq });
export const fromDoc = ({ _id, seq: _seq, ...rest }: MovieDoc): MovieRecord => ({ id: _id, ...rest });

interface MuxEventDoc {
  _id: string;
  type: string;
  movieId: string;
  createdAt: Date;
  receivedAt: Date;
  raw: string;
  outcome: 'applied' | 'unchanged';
}

export class MongoMovieRepository implements MovieRepository {
  readonly movies: Collection<MovieDoc>;
  private readonly muxEvents: Collection<MuxEventDoc>;

  constructor(private readonly client: MongoClient, private readonly db: Db, private readonly writeEvents: EventWriter) {
    this.movies = db.collection<MovieDoc>('movies');
    this.muxEvents = db.collection<MuxEventDoc>('mux_events');
  }

  async insert(movie: MovieRecord, events: CatalogEvent[]): Promise<void> {
    await runInTransaction(this.client, async (session) => {
      const seq = await nextSeq(this.db, 'movies', session);
      await this.movies.insertOne(toDoc(movie, seq), { session });
      await this.writeEvents(session, events);
    });
  }

  async seedIfEmpty(movies: MovieRecord[], events: (m: MovieRecord) => CatalogEvent[]): Promise<boolean> {
    return runInTransaction(this.client, async (session) => {
      if (await this.movies.findOne({}, { session, projection: { _id: 1 } })) return false;
      const first = await nextSeq(this.db, 'movies', session, movies.length);
      await this.movies.insertMany(movies.map((m, i) => toDoc(m, first + i)), { session });
      await this.writeEvents(session, movies.flatMap(events));
      return true;
    });
  }

  async findById(id: string): Promise<MovieRecord | null> {
    const doc = await this.movies.findOne({ _id: id });
    return doc ? fromDoc(doc) : null;
  }

  async findMany(ids: string[]): Promise<MovieRecord[]> {
    return (await this.movies.find({ _id: { $in: ids } }).toArray()).map(fromDoc);
  }

  async replace(movie: MovieRecord, expectedVersion: number, events: CatalogEvent[]): Promise<MovieRecord> {
    const next = { ...movie, version: expectedVersion + 1 };
    await runInTransaction(this.client, (session) => this.replaceIn(session, next, expectedVersion, events));
    return next;
  }

  async recordMuxEvent(
    event: MuxEvent,
    raw: string,
    apply: (movie: MovieRecord | null) => { movie: MovieRecord; events: CatalogEvent[] } | null,
  ): Promise<MuxEventOutcome> {
    const movieId = event.type === 'ignored' ? '' : event.movieId;
    try {
      return await runInTransaction(this.client, async (session) => {
        const doc = movieId ? await this.movies.findOne({ _id: movieId }, { session }) : null;
        const change = apply(doc ? fromDoc(doc) : null);
        await this.muxEvents.insertOne(
          { _id: event.id, type: event.type === 'ignored' ? event.rawType : event.type, movieId, createdAt: event.createdAt, receivedAt: new Date(), raw, outcome: change ? 'applied' : 'unchanged' },
          { session },
        );
        if (!change || !doc) return { outcome: 'unchanged' } as const;
        const stored = { ...change.movie, updatedAt: new Date(), version: doc.version + 1 };
        await this.replaceIn(session, stored, doc.version, change.events);
        return { outcome: 'applied', movie: stored } as const;
      });
    } catch (e) {
      if (isDuplicateKey(e)) return { outcome: 'duplicate' };
      throw e;
    }
  }

  /** Adds a rating delta to the aggregate inside the consumer's transaction; false when the title is unknown. */
  async applyRatingDelta(session: ClientSession, movieId: string, sum: number, count: number): Promise<boolean> {
    const seq = await nextSeq(this.db, 'movies', session);
    const res = await this.movies.updateOne(
      { _id: movieId },
      // New ratings also count towards popularity (never taken back: it measures attention).
      { $inc: { ratingSum: sum, ratingCount: count, popularity: Math.max(count, 0), version: 1 }, $set: { seq, updatedAt: new Date() } },
      { session },
    );
    return res.matchedCount > 0;
  }

  private async replaceIn(session: ClientSession, next: MovieRecord, expectedVersion: number, events: CatalogEvent[]): Promise<void> {
    const seq = await nextSeq(this.db, 'movies', session);
    const res = await this.movies.replaceOne({ _id: next.id, version: expectedVersion }, toDoc(next, seq), { session });
    if (res.matchedCount === 0) throw new DomainError('aborted', 'CONCURRENT_MODIFICATION', 'the movie was changed by another request; retry');
    await this.writeEvents(session, events);
  }
}
