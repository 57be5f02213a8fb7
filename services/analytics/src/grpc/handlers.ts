import { requireAdmin } from '@flix/auth';
import type { ServiceHandlers } from '@flix/grpc';
import type { AnalyticsServiceService } from '@flix/proto/flix/analytics/v1/analytics_service';
import type { Reports } from '../domain/reports.js';
import type { StreamAdmin } from '../stream-admin.js';
import { summaryToProto } from './mappers.js';

/** The gRPC face of analytics. */
export function analyticsHandlers(reports: Reports, streams: StreamAdmin): ServiceHandlers<typeof AnalyticsServiceService> {
  return {
    async getSummary(req, ctx) {
      requireAdmin(ctx.principal);
      return summaryToProto(await reports.summary(req));
    },
    async listStreams(req, ctx) {
      return streams.listStreams(ctx.principal, req);
    },
    async listStreamConsumers(req, ctx) {
      return streams.listConsumers(ctx.principal, req);
    },
    async listDeadLetters(req, ctx) {
      return streams.listDeadLetters(ctx.principal, req);
    },
    async replayDeadLetter(req, ctx) {
      return streams.replay(ctx.principal, req);
    },
    async discardDeadLetter(req, ctx) {
      return streams.discard(ctx.principal, req);
    },
  };
}
