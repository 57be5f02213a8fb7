import { ReviewFilter } from '../../api/gen/flix/engagement/v1/engagement_service';
import { ReviewState, type Review } from '../../api/gen/flix/engagement/v1/resources';

/** The queue's filters as the URL spells them (?show=…), in the order the menu lists them. */
export const FILTERS = [
  { param: 'awaiting', filter: ReviewFilter.REVIEW_FILTER_AWAITING_MODERATION, label: 'Awaiting moderation' },
  { param: 'published', filter: ReviewFilter.REVIEW_FILTER_PUBLISHED, label: 'Published' },
  { param: 'flagged', filter: ReviewFilter.REVIEW_FILTER_FLAGGED, label: 'Flagged' },
  { param: 'rejected', filter: ReviewFilter.REVIEW_FILTER_HIDDEN, label: 'Rejected' },
  { param: 'all', filter: ReviewFilter.REVIEW_FILTER_ALL, label: 'All reviews' },
] as const;

export type FilterParam = (typeof FILTERS)[number]['param'];

export const filterFor = (param: string | null) => FILTERS.find((f) => f.param === param) ?? FILTERS[0];

/** Whether a review belongs under a filter, as engagement decides it (to update the list in place). */
export function matches(filter: ReviewFilter, r: Review): boolean {
  switch (filter) {
    case ReviewFilter.REVIEW_FILTER_PUBLISHED:
      return r.state === ReviewState.REVIEW_STATE_PUBLISHED;
    case ReviewFilter.REVIEW_FILTER_FLAGGED:
      return r.state === ReviewState.REVIEW_STATE_FLAGGED;
    case ReviewFilter.REVIEW_FILTER_HIDDEN:
      return r.state === ReviewState.REVIEW_STATE_HIDDEN;
    case ReviewFilter.REVIEW_FILTER_ALL:
      return true;
    default:
      return r.state === ReviewState.REVIEW_STATE_FLAGGED || (r.state === ReviewState.REVIEW_STATE_PUBLISHED && !r.moderateTime);
  }
}

/** What an operator calls each state; a published review nobody has looked at yet is "New". */
export function stateLabel(r: Review): { text: string; tone: 'ok' | 'warn' | 'danger' | 'new' } {
  if (r.state === ReviewState.REVIEW_STATE_HIDDEN) return { text: 'Rejected', tone: 'danger' };
  if (r.state === ReviewState.REVIEW_STATE_FLAGGED) return { text: 'Flagged', tone: 'warn' };
  return r.moderateTime ? { text: 'Approved', tone: 'ok' } : { text: 'New', tone: 'new' };
}
