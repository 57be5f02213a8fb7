import type { ServiceHandlers } from '@flix/grpc';
import type { AnalyticsServiceService } from '@flix/proto/flix/analytics/v1/analytics_service';
import type { Reports } from '../reports.js';

/** The gRPC face of analytics. */
export function analyticsHandlers(reports: Reports): ServiceHandlers<typeof AnalyticsServiceService> {
  return {
    async getSummary(req, ctx) {
      return reports.summary(ctx.principal, req);
    },
  };
}
