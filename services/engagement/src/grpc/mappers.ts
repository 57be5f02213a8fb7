import type { Movie } from '@flix/proto/flix/catalog/v1/resources';
import { ModerationAction, ReviewFilter } from '@flix/proto/flix/engagement/v1/engagement_service';
import { ReviewState, type ListedTitle, type Rating, type Review } from '@flix/proto/flix/engagement/v1/resources';
import type { ListedRecord, ModerationAction as Action, RatingRecord, ReviewFilter as Filter, ReviewState as State } from '../domain/model.js';

const STATE_TO_PROTO: Record<State, ReviewState> = {
  published: ReviewState.REVIEW_STATE_PUBLISHED,
  flagged: ReviewState.REVIEW_STATE_FLAGGED,
  hidden: ReviewState.REVIEW_STATE_HIDDEN,
};

export function actionFromProto(a: ModerationAction): Action | null {
  if (a === ModerationAction.MODERATION_ACTION_FLAG) return 'flag';
  if (a === ModerationAction.MODERATION_ACTION_HIDE) return 'hide';
  if (a === ModerationAction.MODERATION_ACTION_PUBLISH) return 'publish';
  return null;
}

/** null for a value this build does not know (a newer client's). */
export function filterFromProto(f: ReviewFilter): Filter | null {
  switch (f) {
    case ReviewFilter.REVIEW_FILTER_UNSPECIFIED:
    case ReviewFilter.REVIEW_FILTER_AWAITING_MODERATION:
      return 'awaiting';
    case ReviewFilter.REVIEW_FILTER_PUBLISHED:
      return 'published';
    case ReviewFilter.REVIEW_FILTER_FLAGGED:
      return 'flagged';
    case ReviewFilter.REVIEW_FILTER_HIDDEN:
      return 'hidden';
    case ReviewFilter.REVIEW_FILTER_ALL:
      return 'all';
    default:
      return null;
  }
}

/** The profile's own view of its rating. */
export const ratingToProto = (r: RatingRecord): Rating => ({
  movieId: r.movieId,
  profileId: r.profileId,
  stars: r.stars,
  review: r.review,
  reviewId: r.review ? r.id : '',
  reviewState: r.review ? STATE_TO_PROTO[r.reviewState] : ReviewState.REVIEW_STATE_UNSPECIFIED,
  createTime: r.createdAt,
  updateTime: r.updatedAt,
});

/** A review as listed under a title; who wrote it and the moderators' verdict are for admins only. */
export const reviewToProto = (r: RatingRecord, opts: { admin: boolean }): Review => ({
  id: r.id,
  movieId: r.movieId,
  stars: r.stars,
  text: r.review,
  createTime: r.createdAt,
  updateTime: r.updatedAt,
  state: opts.admin ? STATE_TO_PROTO[r.reviewState] : ReviewState.REVIEW_STATE_UNSPECIFIED,
  profileId: opts.admin ? r.profileId : '',
  userId: opts.admin ? r.userId : '',
  moderationReason: opts.admin ? r.moderationReason : '',
  moderateTime: opts.admin && r.moderatedAt ? r.moderatedAt : undefined,
});

export const listedToProto = (r: ListedRecord, movie: Movie | undefined): ListedTitle => ({ movieId: r.movieId, addTime: r.addedAt, movie });
