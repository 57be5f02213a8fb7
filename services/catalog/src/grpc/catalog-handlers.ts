import type { CatalogServiceService } from '@flix/proto/flix/catalog/v1/catalog_service';
import type { Principal } from '@flix/auth';
import type { ServiceHandlers } from '@flix/grpc';
import { decodePageToken, encodePageToken, pageSize } from '@flix/mongo';
import type { BrowseParams, Catalog } from '../domain/catalog.js';
import { maskToFields, movieInputFromProto, movieToProto } from './mappers.js';

const privileged = (p: Principal | undefined) => !!p && (p.roles.includes('admin') || p.isService);

type Browse = Omit<BrowseParams, never>;
const browse = (r: Browse): BrowseParams => ({
  genre: r.genre,
  language: r.language,
  releaseYearMin: r.releaseYearMin,
  releaseYearMax: r.releaseYearMax,
  maturity: r.maturity,
  profileId: r.profileId,
  source: r.source,
  includeUnpublished: r.includeUnpublished,
  status: r.status,
  videoStatus: r.videoStatus,
});

/** The gRPC face of the catalog: translate messages, call the domain, translate back. */
export function catalogHandlers(catalog: Catalog): ServiceHandlers<typeof CatalogServiceService> {
  return {
    async listMovies(req, ctx) {
      const page = await catalog.list(ctx.caller, browse(req), req.orderBy, {
        pageSize: pageSize(req.pageSize, 20, 100),
        position: decodePageToken(req.pageToken),
      });
      const opts = { privileged: privileged(ctx.principal) };
      return { movies: page.items.map((m) => movieToProto(m, opts)), nextPageToken: page.next ? encodePageToken(page.next) : '', totalSize: page.total };
    },
    async searchMovies(req, ctx) {
      const page = await catalog.search(ctx.caller, req.q, browse(req), {
        pageSize: pageSize(req.pageSize, 20, 100),
        position: decodePageToken(req.pageToken),
      });
      const opts = { privileged: privileged(ctx.principal) };
      return { movies: page.items.map((m) => movieToProto(m, opts)), nextPageToken: page.next ? encodePageToken(page.next) : '', totalSize: page.total };
    },
    async getMovie(req, ctx) {
      return movieToProto(await catalog.get(ctx.caller, req.movieId, req.profileId ?? ''), { privileged: privileged(ctx.principal) });
    },
    async batchGetMovies(req, ctx) {
      const { movies, missing, restricted } = await catalog.batchGet(ctx.caller, req.movieIds, req.profileId ?? '');
      const opts = { privileged: privileged(ctx.principal) };
      return { movies: movies.map((m) => movieToProto(m, opts)), missingIds: missing, restrictedIds: restricted };
    },
    async listGenres(req, ctx) {
      const all = await catalog.genres(ctx.principal, req.source);
      const size = pageSize(req.pageSize, 50, 100);
      const start = Number(decodePageToken(req.pageToken)?.o ?? 0);
      const page = all.slice(start, start + size);
      return { genres: page, nextPageToken: start + size < all.length ? encodePageToken({ o: start + size }) : '' };
    },
    async createMovie(req, ctx) {
      return movieToProto(await catalog.create(ctx.principal, movieInputFromProto(req.movie, true)), { privileged: true });
    },
    async updateMovie(req, ctx) {
      const mask = maskToFields(req.updateMask);
      const input = movieInputFromProto(req.movie, mask.length > 0);
      return movieToProto(await catalog.update(ctx.principal, req.movie?.id ?? '', input, mask), { privileged: true });
    },
    async deleteMovie(req, ctx) {
      return movieToProto(await catalog.archive(ctx.principal, req.movieId), { privileged: true });
    },
    async publishMovie(req, ctx) {
      return movieToProto(await catalog.publish(ctx.principal, req.movieId), { privileged: true });
    },
    async archiveMovie(req, ctx) {
      return movieToProto(await catalog.archive(ctx.principal, req.movieId), { privileged: true });
    },
    async createUpload(req, ctx) {
      const r = await catalog.createUpload(ctx.principal, req.movieId, req.corsOrigin);
      return { uploadId: r.uploadId, uploadUrl: r.uploadUrl, movie: movieToProto(r.movie, { privileged: true }) };
    },
  };
}
