import type { PlaybackServiceService } from '@flix/proto/flix/playback/v1/playback_service';
import type { ServiceHandlers } from '@flix/grpc';
import type { PlaybackSettings } from '../domain/model.js';
import type { Playback } from '../domain/playback.js';
import { playerStateFromProto, qualityToProto, sessionToProto, stateToProto, tokensToProto, viewingToProto } from './mappers.js';

/** The gRPC face of playback: translate messages, call the domain, translate back. */
export function playbackHandlers(playback: Playback, settings: PlaybackSettings): ServiceHandlers<typeof PlaybackServiceService> {
  return {
    async startSession(req, ctx) {
      const r = await playback.start(ctx.caller, { movieId: req.movieId, profileId: req.profileId, deviceId: req.deviceId });
      return {
        sessionId: r.session.id,
        playbackUrl: r.tokens.playbackUrl,
        playbackToken: r.tokens.playbackToken,
        thumbnailToken: r.tokens.thumbnailToken,
        storyboardToken: r.tokens.storyboardToken,
        thumbnailUrl: r.tokens.thumbnailUrl,
        storyboardUrl: r.tokens.storyboardUrl,
        expiresAt: r.tokens.expiresAt,
        resumePositionSeconds: r.resumePositionSeconds,
        maxQuality: qualityToProto(r.session.maxQuality),
        durationSeconds: r.session.durationSeconds,
        heartbeatIntervalSeconds: settings.heartbeatIntervalSeconds,
        staleAfterSeconds: settings.staleAfterSeconds,
        maxConcurrentStreams: r.session.maxStreams,
      };
    },
    async refreshSessionTokens(req, ctx) {
      return tokensToProto(await playback.refreshTokens(ctx.caller, req.sessionId));
    },
    async heartbeat(req, ctx) {
      const r = await playback.heartbeat(ctx.caller, {
        sessionId: req.sessionId,
        positionSeconds: req.positionSeconds,
        state: playerStateFromProto(req.state),
        bitrateKbps: req.bitrateKbps,
        rebufferMs: req.rebufferMs,
      });
      return { state: stateToProto(r.session.state), nextHeartbeatSeconds: settings.heartbeatIntervalSeconds, completed: r.session.completed, refreshTokens: r.refreshTokens };
    },
    async stopSession(req, ctx) {
      return sessionToProto(await playback.stop(ctx.principal, { sessionId: req.sessionId, positionSeconds: req.positionSeconds }));
    },
    async getSession(req, ctx) {
      return sessionToProto(await playback.get(ctx.principal, req.sessionId));
    },
    async listContinueWatching(req, ctx) {
      const page = await playback.continueWatching(ctx.caller, req);
      return { entries: page.records.map(viewingToProto), nextPageToken: page.next };
    },
    async listWatchHistory(req, ctx) {
      const page = await playback.watchHistory(ctx.caller, req);
      return { entries: page.records.map(viewingToProto), nextPageToken: page.next };
    },
    async getViewingEntry(req, ctx) {
      return viewingToProto(await playback.viewingEntry(ctx.caller, { profileId: req.profileId, movieId: req.movieId }));
    },
    async deleteWatchHistoryEntry(req, ctx) {
      await playback.removeFromHistory(ctx.caller, { profileId: req.profileId, movieId: req.movieId });
      return {};
    },
  };
}
