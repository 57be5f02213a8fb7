import type { MongoClient } from 'mongodb';
import { engagementEvents, ENGAGEMENT_STREAM, handlersOf, subjectFilter } from '@flix/contracts';
import { on, PoisonMessageError, runInTransaction, startConsumer, type ConsumerHandle, type IdempotencyStore } from '@flix/events';
import type { NatsClients } from '@flix/events';
import type { Logger } from '@flix/logging';
import { DomainError } from '@flix/errors';
import { ratingDelta, type RatingChange } from '../domain/ratings.js';
import type { MongoMovieRepository } from '../storage/movies-repository.js';

/**
 * Keeps each title's rating aggregate current from engagement's rating events. The delta and the
 * "handled" mark commit in one transaction, so a redelivery can never count a rating twice.
 */
export function startRatingConsumer(deps: {
  nats: NatsClients;
  client: MongoClient;
  movies: MongoMovieRepository;
  idempotency: IdempotencyStore;
  logger: Logger;
  onApplied?: (movieId: string) => void;
}): Promise<ConsumerHandle> {
  const apply = async (change: RatingChange, ctx: { recordProcessed: (s: import('mongodb').ClientSession) => Promise<void>; logger: Logger }) => {
    let delta: ReturnType<typeof ratingDelta>;
    try {
      delta = ratingDelta(change);
    } catch (e) {
      if (e instanceof DomainError) throw new PoisonMessageError(e.message);
      throw e;
    }
    const known = await runInTransaction(deps.client, async (session) => {
      await ctx.recordProcessed(session);
      return deps.movies.applyRatingDelta(session, delta.movieId, delta.sum, delta.count);
    });
    // Ratings of titles we do not carry (partner titles, typos upstream) are acknowledged and skipped.
    if (!known) ctx.logger.warn({ movieId: delta.movieId }, 'rating for an unknown title ignored');
    else deps.onApplied?.(delta.movieId);
  };
  return startConsumer({
    js: deps.nats.js,
    jsm: deps.nats.jsm,
    stream: ENGAGEMENT_STREAM,
    durable: 'catalog',
    filterSubject: subjectFilter(engagementEvents, 'engagement.rating.>'),
    idempotency: deps.idempotency,
    logger: deps.logger,
    handlers: handlersOf(
      on(engagementEvents.ratingSet, (e, ctx) => apply({ kind: 'set', movieId: e.movieId, stars: e.stars, previousStars: e.previousStars }, ctx)),
      on(engagementEvents.ratingDeleted, (e, ctx) => apply({ kind: 'deleted', movieId: e.movieId, previousStars: e.previousStars }, ctx)),
    ),
  });
}
