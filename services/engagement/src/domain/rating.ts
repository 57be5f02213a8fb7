import { Violations } from '@flix/errors';
import type { EngagementEvent } from './events.js';
import { MAX_REVIEW_CHARS, MAX_STARS, MIN_STARS, type ModerationAction, type RatingRecord, type ReviewState } from './model.js';

/** CineStream's thumbs on our 1–5 scale: down = 1 star, neutral = 3, up = 5. */
export const THUMBS_TO_STARS: Readonly<Record<string, number>> = { '-1': 1, '0': 3, '1': 5 };

export interface RatingInput {
  stars: number;
  /** Absent unless the client sent thumbs. */
  thumbs?: number;
  review: string;
}

/** Validates a rating request: stars 1..5 or thumbs -1/0/1 (not both), review length. */
export function parseRating(input: RatingInput): { stars: number; review: string } {
  const v = new Violations();
  let stars = input.stars;
  if (input.thumbs !== undefined) {
    const mapped = THUMBS_TO_STARS[String(input.thumbs)];
    if (input.stars !== 0) v.add('thumbs', 'give either stars or thumbs, not both');
    else if (mapped === undefined) v.add('thumbs', `must be -1, 0 or 1 (got ${input.thumbs})`);
    else stars = mapped;
  } else if (!Number.isInteger(stars) || stars < MIN_STARS || stars > MAX_STARS) {
    v.add('stars', `must be a whole number from ${MIN_STARS} to ${MAX_STARS} (got ${stars})`);
  }
  const review = input.review.trim();
  if (review.length > MAX_REVIEW_CHARS) v.add('review', `at most ${MAX_REVIEW_CHARS} characters (got ${review.length})`);
  v.throwIfAny();
  return { stars, review };
}

/**
 * The rating that replaces `current` (null: the profile's first rating of the title) and the
 * event that says so. `previousStars` comes from the very record the compare-and-set replaces,
 * so concurrent re-ratings each report the value they actually overwrote.
 */
export function rate(
  current: RatingRecord | null,
  who: { userId: string; profileId: string; movieId: string },
  input: { stars: number; review: string },
  now: Date,
  newId: () => string,
): { next: RatingRecord; event: EngagementEvent } {
  const reviewChanged = !current || current.review !== input.review;
  const next: RatingRecord = current
    ? {
        ...current,
        // The account that rates last owns the rating (a profile belongs to one account anyway).
        userId: who.userId,
        stars: input.stars,
        review: input.review,
        // New words get a fresh look from viewers; unchanged words keep the moderators' verdict.
        reviewState: reviewChanged ? 'published' : current.reviewState,
        moderationReason: reviewChanged ? '' : current.moderationReason,
        // ...and go back into the moderators' queue.
        moderatedAt: reviewChanged ? null : current.moderatedAt,
        updatedAt: now,
      }
    : { id: newId(), ...who, stars: input.stars, review: input.review, reviewState: 'published', moderationReason: '', moderatedAt: null, createdAt: now, updatedAt: now, version: 0 };
  return {
    next,
    event: {
      subject: 'engagement.rating.set',
      payload: { ...who, stars: input.stars, previousStars: current?.stars ?? 0, hasReview: input.review !== '' },
    },
  };
}

export function unrate(current: RatingRecord): EngagementEvent {
  return {
    subject: 'engagement.rating.deleted',
    payload: { userId: current.userId, profileId: current.profileId, movieId: current.movieId, previousStars: current.stars },
  };
}

const STATE_AFTER: Record<ModerationAction, ReviewState> = { flag: 'flagged', hide: 'hidden', publish: 'published' };

/** A moderator's verdict on a review. */
export function moderate(current: RatingRecord, action: ModerationAction, reason: string, now: Date): RatingRecord {
  // updatedAt stays: a verdict must not move the review up the title's newest-first list.
  return { ...current, reviewState: STATE_AFTER[action], moderationReason: action === 'publish' ? '' : reason.trim(), moderatedAt: now };
}
