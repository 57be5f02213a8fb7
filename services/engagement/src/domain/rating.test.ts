import { describe, expect, it } from 'vitest';
import { DomainError } from '@flix/errors';
import type { RatingRecord } from './model.js';
import { moderate, parseRating, rate, unrate } from './rating.js';

const who = { userId: 'u1', profileId: 'p1', movieId: 'm1' };
const t0 = new Date('2026-01-01T00:00:00Z');
const t1 = new Date('2026-01-02T00:00:00Z');

function violations(fn: () => unknown): { field: string; description: string }[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e.fieldViolations;
    throw e;
  }
  throw new Error('expected a validation error');
}

describe('parseRating', () => {
  it('accepts 1..5 stars and trims the review', () => {
    expect(parseRating({ stars: 1, review: '' })).toEqual({ stars: 1, review: '' });
    expect(parseRating({ stars: 5, review: '  Great film.  ' })).toEqual({ stars: 5, review: 'Great film.' });
  });

  it.each([0, 6, -1, 2.5])('rejects %s stars naming the field', (stars) => {
    expect(violations(() => parseRating({ stars, review: '' }))).toEqual([{ field: 'stars', description: expect.stringContaining(`got ${stars}`) }]);
  });

  it('maps thumbs down/neutral/up onto 1, 3 and 5 stars', () => {
    expect(parseRating({ stars: 0, thumbs: -1, review: '' }).stars).toBe(1);
    expect(parseRating({ stars: 0, thumbs: 0, review: '' }).stars).toBe(3);
    expect(parseRating({ stars: 0, thumbs: 1, review: '' }).stars).toBe(5);
  });

  it('rejects thumbs outside -1..1 and thumbs together with stars', () => {
    expect(violations(() => parseRating({ stars: 0, thumbs: 2, review: '' }))[0]?.field).toBe('thumbs');
    expect(violations(() => parseRating({ stars: 4, thumbs: 1, review: '' }))[0]?.description).toMatch(/not both/);
  });

  it('rejects a review over 4000 characters, reporting every bad field at once', () => {
    expect(violations(() => parseRating({ stars: 9, review: 'x'.repeat(4001) })).map((v) => v.field)).toEqual(['stars', 'review']);
  });
});

describe('rate', () => {
  const first = rate(null, who, { stars: 4, review: 'Good' }, t0, () => 'r1');

  it('a first rating reports previous_stars 0 and starts unversioned', () => {
    expect(first.next).toMatchObject({ id: 'r1', stars: 4, review: 'Good', reviewState: 'published', version: 0, createdAt: t0 });
    expect(first.event).toEqual({ subject: 'engagement.rating.set', payload: { ...who, stars: 4, previousStars: 0, hasReview: true } });
  });

  it('re-rating replaces the stars and reports the ones it replaced', () => {
    const stored: RatingRecord = { ...first.next, version: 1 };
    const again = rate(stored, who, { stars: 2, review: 'Good' }, t1, () => 'other');
    expect(again.next).toMatchObject({ id: 'r1', stars: 2, version: 1, createdAt: t0, updatedAt: t1 });
    expect(again.event.payload).toMatchObject({ stars: 2, previousStars: 4 });
  });

  it('new words republish a moderated review and put it back in the queue; the same words keep the verdict', () => {
    const hidden: RatingRecord = { ...moderate({ ...first.next, version: 1 }, 'hide', 'spoilers', t1) };
    expect(rate(hidden, who, { stars: 5, review: 'Good' }, t1, () => 'x').next).toMatchObject({ reviewState: 'hidden', moderationReason: 'spoilers', moderatedAt: t1 });
    expect(rate(hidden, who, { stars: 5, review: 'Rewritten' }, t1, () => 'x').next).toMatchObject({ reviewState: 'published', moderationReason: '', moderatedAt: null });
  });

  it('a rating without words says so in the event', () => {
    expect(rate(null, who, { stars: 3, review: '' }, t0, () => 'r').event.payload).toMatchObject({ hasReview: false });
  });
});

describe('unrate and moderate', () => {
  const stored: RatingRecord = { ...rate(null, who, { stars: 3, review: 'Fine' }, t0, () => 'r1').next, version: 2 };

  it('deleting reports the withdrawn stars', () => {
    expect(unrate(stored)).toEqual({ subject: 'engagement.rating.deleted', payload: { ...who, previousStars: 3 } });
  });

  it('moderation changes the state but not the review order', () => {
    const flagged = moderate(stored, 'flag', ' rude ', t1);
    expect(flagged).toMatchObject({ reviewState: 'flagged', moderationReason: 'rude', moderatedAt: t1, updatedAt: stored.updatedAt });
    expect(moderate(flagged, 'publish', 'ignored', t1)).toMatchObject({ reviewState: 'published', moderationReason: '' });
  });
});
