import type { EngagementServiceService } from '@flix/proto/flix/engagement/v1/engagement_service';
import type { Movie } from '@flix/proto/flix/catalog/v1/resources';
import { DomainError } from '@flix/errors';
import type { CallContext, ServiceHandlers } from '@flix/grpc';
import { decodePageToken, encodePageToken, pageSize } from '@flix/mongo';
import type { Engagement } from '../domain/engagement.js';
import type { ListedRecord, ListKind, Page, PagePosition } from '../domain/model.js';
import { actionFromProto, filterFromProto, listedToProto, ratingToProto, reviewToProto } from './mappers.js';

/** Titles as the caller may see them, to show beside watchlist and favourites entries. */
export type MovieDetails = (movieIds: string[], accessToken: string) => Promise<Map<string, Movie>>;


const position = (token: string): PagePosition | undefined => {
  const p = decodePageToken(token);
  if (!p) return undefined;
  if (typeof p.t !== 'number' || typeof p.id !== 'string')
    throw new DomainError('invalid_argument', 'INVALID_PAGE_TOKEN', 'pageToken: not a token this API returned', [{ field: 'pageToken', description: 'not a token this API returned' }]);
  return { t: p.t, id: p.id };
};

const nextToken = (page: Page<unknown>) => (page.next ? encodePageToken({ t: page.next.t, id: page.next.id }) : '');

/** The gRPC face of engagement: translate messages, call the domain, translate back. */
export function engagementHandlers(engagement: Engagement, details: MovieDetails): ServiceHandlers<typeof EngagementServiceService> {
  const listed = async (ctx: CallContext, list: ListKind, req: { profileId: string; pageSize: number; pageToken: string }) => {
    const caller = ctx.caller;
    const page = await engagement.list(caller, list, req.profileId, { size: pageSize(req.pageSize, 20, 100), after: position(req.pageToken) });
    const movies = page.items.length > 0 && caller?.accessToken ? await withDetails(details, page.items, caller.accessToken, ctx) : new Map<string, Movie>();
    return { items: page.items.map((r) => listedToProto(r, movies.get(r.movieId))), nextPageToken: nextToken(page) };
  };
  const added = async (ctx: CallContext, list: ListKind, req: { profileId: string; movieId: string }) => {
    const caller = ctx.caller;
    const rec = await engagement.addToList(caller, list, req.profileId, req.movieId);
    const movies = await withDetails(details, [rec], caller!.accessToken, ctx);
    return listedToProto(rec, movies.get(rec.movieId));
  };
  return {
    async setRating(req, ctx) {
      const r = await engagement.setRating(ctx.caller, req.movieId, req.profileId, { stars: req.stars, thumbs: req.thumbs, review: req.review });
      return ratingToProto(r);
    },
    async getRating(req, ctx) {
      return ratingToProto(await engagement.getRating(ctx.caller, req.movieId, req.profileId));
    },
    async deleteRating(req, ctx) {
      return { previousStars: await engagement.deleteRating(ctx.caller, req.movieId, req.profileId) };
    },
    async listRatings(req, ctx) {
      const page = await engagement.listRatings(ctx.caller, req.profileId, { size: pageSize(req.pageSize, 20, 100), after: position(req.pageToken) });
      return { ratings: page.items.map(ratingToProto), nextPageToken: nextToken(page) };
    },
    async listReviews(req, ctx) {
      const page = await engagement.listReviews(ctx.principal, req.movieId, req.includeModerated, { size: pageSize(req.pageSize, 20, 100), after: position(req.pageToken) });
      const admin = !!ctx.principal?.roles.includes('admin');
      return { reviews: page.items.map((r) => reviewToProto(r, { admin })), nextPageToken: nextToken(page) };
    },
    async listAdminReviews(req, ctx) {
      const page = await engagement.listAllReviews(ctx.principal, filterFromProto(req.filter), { size: pageSize(req.pageSize, 20, 100), after: position(req.pageToken) });
      return { reviews: page.items.map((r) => reviewToProto(r, { admin: true })), nextPageToken: nextToken(page) };
    },
    async moderateReview(req, ctx) {
      return reviewToProto(await engagement.moderateReview(ctx.principal, req.reviewId, actionFromProto(req.action), req.reason), { admin: true });
    },
    listWatchlist: (req, ctx) => listed(ctx, 'watchlist', req),
    addToWatchlist: (req, ctx) => added(ctx, 'watchlist', req),
    async removeFromWatchlist(req, ctx) {
      return { removed: await engagement.removeFromList(ctx.caller, 'watchlist', req.profileId, req.movieId) };
    },
    listFavourites: (req, ctx) => listed(ctx, 'favourites', req),
    addFavourite: (req, ctx) => added(ctx, 'favourites', req),
    async removeFavourite(req, ctx) {
      return { removed: await engagement.removeFromList(ctx.caller, 'favourites', req.profileId, req.movieId) };
    },
  };
}

/** Catalog details are a nicety: when the catalog is down the list still answers, without them. */
async function withDetails(details: MovieDetails, items: ListedRecord[], accessToken: string, ctx: CallContext): Promise<Map<string, Movie>> {
  try {
    return await details(items.map((i) => i.movieId), accessToken);
  } catch (err) {
    ctx.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'catalog details unavailable; listing ids only');
    return new Map();
  }
}
