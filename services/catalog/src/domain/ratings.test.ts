import { describe, expect, it } from 'vitest';
import { ratingDelta, type RatingChange } from './ratings.js';

const fold = (changes: RatingChange[]) =>
  changes.map(ratingDelta).reduce((a, d) => ({ sum: a.sum + d.sum, count: a.count + d.count }), { sum: 0, count: 0 });

describe('rating deltas', () => {
  const history: RatingChange[] = [
    { kind: 'set', movieId: 'm', stars: 4, previousStars: 0 }, // A rates 4
    { kind: 'set', movieId: 'm', stars: 2, previousStars: 0 }, // B rates 2
    { kind: 'set', movieId: 'm', stars: 5, previousStars: 4 }, // A changes to 5
    { kind: 'deleted', movieId: 'm', previousStars: 2 }, // B withdraws
  ];

  it('sum to the aggregate of the current ratings', () => {
    expect(fold(history)).toEqual({ sum: 5, count: 1 });
  });

  it('commute: any delivery order gives the same aggregate', () => {
    expect(fold([...history].reverse())).toEqual({ sum: 5, count: 1 });
    expect(fold([history[2]!, history[0]!, history[3]!, history[1]!])).toEqual({ sum: 5, count: 1 });
  });

  it('reject impossible star counts', () => {
    expect(() => ratingDelta({ kind: 'set', movieId: 'm', stars: 6, previousStars: 0 })).toThrow(/stars must be 1..5/);
    expect(() => ratingDelta({ kind: 'deleted', movieId: 'm', previousStars: 0 })).toThrow(/previous_stars/);
  });
});
