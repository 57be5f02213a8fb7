import type * as engagement from '../gen/flix/engagement/v1/engagement_service';
import { ModerationAction } from '../gen/flix/engagement/v1/engagement_service';
import type { Review } from '../gen/flix/engagement/v1/resources';
import { enc, q, type AdminRequests, type Params } from './requests';

/** Studio → Reviews: engagement's moderation queue and verdicts. */
export const reviewsAdmin = ({ get, post }: AdminRequests) => ({
  /** Reviews of every title, newest written first; without a filter, those awaiting moderation. */
  reviews: (params: Params<engagement.ListAdminReviewsRequest> = {}) => get<engagement.ListAdminReviewsResponse>('/v1/admin/reviews', q(params)),
  /** Approves a review: it stays (or is again) visible to viewers and leaves the queue. */
  approveReview: (reviewId: string) => post<Review>(`/v1/admin/reviews/${enc(reviewId)}:moderate`, { action: ModerationAction.MODERATION_ACTION_PUBLISH }),
  /** Rejects a review: viewers no longer see it (its stars still count). The API requires a reason. */
  rejectReview: (reviewId: string, reason: string) =>
    post<Review>(`/v1/admin/reviews/${enc(reviewId)}:moderate`, { action: ModerationAction.MODERATION_ACTION_HIDE, reason }),
});
