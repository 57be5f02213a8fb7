import { requireUserCaller } from '@flix/auth';
import { DomainError } from '@flix/errors';
import type { ServiceHandlers } from '@flix/grpc';
import { decodePageToken, encodePageToken, pageSize } from '@flix/mongo';
import type { RecommendationsServiceService } from '@flix/proto/flix/recommendations/v1/recommendations_service';
import { ReasonKind, type Recommendation } from '@flix/proto/flix/recommendations/v1/resources';
import type { Suggestion } from '../domain/model.js';
import type { Page, Recommendations } from '../domain/recommendations.js';

const REASON: Record<Suggestion['reasonKind'], ReasonKind> = {
  similar_to_seen: ReasonKind.REASON_KIND_SIMILAR_TO_SEEN,
  popular_in_language: ReasonKind.REASON_KIND_POPULAR_IN_LANGUAGE,
  favourite_genre: ReasonKind.REASON_KIND_FAVOURITE_GENRE,
  popular: ReasonKind.REASON_KIND_POPULAR,
  same_genre: ReasonKind.REASON_KIND_SAME_GENRE,
};

export const suggestionToProto = (s: Suggestion): Recommendation => ({
  movieId: s.movieId,
  title: s.title,
  score: s.score,
  reason: s.reason,
  reasonKind: REASON[s.reasonKind],
  becauseMovieId: s.becauseMovieId,
  genres: s.genres,
  maturity: s.maturity ?? '',
  thumbnailUrl: s.thumbnailUrl,
});

const offset = (token: string): number => {
  const o = decodePageToken(token)?.o ?? 0;
  if (typeof o !== 'number' || !Number.isInteger(o) || o < 0)
    throw new DomainError('invalid_argument', 'INVALID_PAGE_TOKEN', 'pageToken: not a token this API returned', [{ field: 'pageToken', description: 'not a token this API returned' }]);
  return o;
};

const response = (p: Page<Suggestion>) => ({ recommendations: p.items.map(suggestionToProto), nextPageToken: p.next === null ? '' : encodePageToken({ o: p.next }) });

/** The gRPC face of recommendations: translate messages, call the domain, translate back. */
export function recommendationsHandlers(recs: Recommendations): ServiceHandlers<typeof RecommendationsServiceService> {
  return {
    async listRecommendations(req, ctx) {
      const caller = requireUserCaller(ctx.caller);
      const size = pageSize(req.pageSize, 20, 100);
      const page = await recs.forProfile(caller, { profileId: req.profileId.trim(), pageSize: size, offset: offset(req.pageToken) });
      return response(page);
    },
    async listSimilarMovies(req, ctx) {
      const size = pageSize(req.pageSize, 20, 100);
      const page = await recs.similar(ctx.caller, { movieId: req.movieId.trim(), profileId: req.profileId.trim(), pageSize: size, offset: offset(req.pageToken) });
      return response(page);
    },
  };
}
