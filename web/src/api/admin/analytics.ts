import type * as analytics from '../gen/flix/analytics/v1/analytics_service';
import { q, type AdminRequests, type Params } from './requests';

/** Studio → Analytics: analytics' dashboard read (admin only). */
export const analyticsAdmin = ({ get }: AdminRequests) => ({
  /**
   * KPIs, per-UTC-day series, top titles and the alert incidents of [from, to) (RFC 3339;
   * widened to whole UTC days; at most 400 days).
   */
  analyticsSummary: (params: Params<analytics.GetSummaryRequest>) => get<analytics.GetSummaryResponse>('/v1/admin/analytics/summary', q(params)),
});
