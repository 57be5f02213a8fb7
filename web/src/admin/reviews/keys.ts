import type { ReviewFilter } from '../../api/gen/flix/engagement/v1/engagement_service';

/** Query keys of Studio → Reviews. */
export const reviewKeys = {
  all: ['admin', 'reviews'] as const,
  queue: (filter: ReviewFilter) => ['admin', 'reviews', 'queue', filter] as const,
  titles: (movieIds: string[]) => ['admin', 'reviews', 'titles', ...movieIds] as const,
  reviewer: (userId: string) => ['admin', 'reviews', 'reviewer', userId] as const,
};
