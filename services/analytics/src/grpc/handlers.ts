import { requireAdmin } from '@flix/auth';
import type { ServiceHandlers } from '@flix/grpc';
import type { AnalyticsServiceService } from '@flix/proto/flix/analytics/v1/analytics_service';
import type { StreamAdministration } from '../domain/ports.js';
import type { Reports } from '../domain/reports.js';
import { consumerToProto, deadLetterActionToProto, deadLetterToProto, streamToProto, summaryToProto } from './mappers.js';

/** The gRPC face of analytics: every call is an admin's. */
export function analyticsHandlers(reports: Reports, streams: StreamAdministration): ServiceHandlers<typeof AnalyticsServiceService> {
  return {
    async getSummary(req, ctx) {
      requireAdmin(ctx.principal);
      return summaryToProto(await reports.summary(req));
    },
    async listStreams(req, ctx) {
      requireAdmin(ctx.principal);
      const page = await streams.listStreams(req);
      return { ...page, streams: page.streams.map(streamToProto) };
    },
    async listStreamConsumers(req, ctx) {
      requireAdmin(ctx.principal);
      const page = await streams.listConsumers(req);
      return { ...page, consumers: page.consumers.map(consumerToProto) };
    },
    async listDeadLetters(req, ctx) {
      requireAdmin(ctx.principal);
      const page = await streams.listDeadLetters(req);
      return { ...page, deadLetters: page.deadLetters.map(deadLetterToProto) };
    },
    async replayDeadLetter(req, ctx) {
      const admin = requireAdmin(ctx.principal);
      return deadLetterActionToProto(await streams.replay(admin.subject, req.sequence));
    },
    async discardDeadLetter(req, ctx) {
      const admin = requireAdmin(ctx.principal);
      return deadLetterActionToProto(await streams.discard(admin.subject, req.sequence));
    },
  };
}
