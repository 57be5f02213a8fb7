import { defineEvent } from '@flix/events';
import { RatingDeleted, RatingSet } from '@flix/proto/flix/engagement/v1/events';

/**
 * Engagement's events (the service itself is not built yet; catalog already consumes ratings).
 * `previous_stars` makes each event a commutative delta on the aggregate.
 */
export const engagementEvents = {
  ratingSet: defineEvent({ subject: 'engagement.rating.set', type: 'flix.engagement.v1.RatingSet', codec: RatingSet }),
  ratingDeleted: defineEvent({ subject: 'engagement.rating.deleted', type: 'flix.engagement.v1.RatingDeleted', codec: RatingDeleted }),
} as const;

/** Stream that holds engagement's events. */
export const ENGAGEMENT_STREAM = 'ENGAGEMENT';
