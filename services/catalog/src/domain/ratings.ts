import { DomainError } from '@flix/errors';

export type RatingChange =
  | { kind: 'set'; movieId: string; stars: number; previousStars: number }
  | { kind: 'deleted'; movieId: string; previousStars: number };

const isStars = (n: number) => Number.isInteger(n) && n >= 1 && n <= 5;

/**
 * A rating event as a delta on (sum, count). Deltas commute, so the aggregate is right whatever
 * order events arrive in, as long as each is applied once (the consumer's idempotency store).
 */
export function ratingDelta(c: RatingChange): { movieId: string; sum: number; count: number } {
  const bad = (msg: string) => new DomainError('invalid_argument', 'INVALID_RATING_EVENT', msg);
  if (!c.movieId) throw bad('rating event without movie_id');
  if (c.kind === 'set') {
    if (!isStars(c.stars)) throw bad(`stars must be 1..5, got ${c.stars}`);
    if (c.previousStars !== 0 && !isStars(c.previousStars)) throw bad(`previous_stars must be 0..5, got ${c.previousStars}`);
    return { movieId: c.movieId, sum: c.stars - c.previousStars, count: c.previousStars === 0 ? 1 : 0 };
  }
  if (!isStars(c.previousStars)) throw bad(`previous_stars must be 1..5, got ${c.previousStars}`);
  return { movieId: c.movieId, sum: -c.previousStars, count: -1 };
}
