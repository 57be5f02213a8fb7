import {
  AssetStatus,
  MaturityRating,
  MovieStatus,
  PlanTier,
  type Movie,
  type VideoAsset,
} from '@flix/proto/flix/catalog/v1/resources';
import { MATURITY_LEVELS, OWN_SOURCE, PLAN_TIERS, ratingAverage, type AssetStatus as DomainAssetStatus, type MovieRecord, type MovieStatus as DomainMovieStatus } from '../domain/model.js';
import type { MovieInput } from '../domain/validation.js';

const STATUS: Record<DomainMovieStatus, MovieStatus> = {
  draft: MovieStatus.MOVIE_STATUS_DRAFT,
  published: MovieStatus.MOVIE_STATUS_PUBLISHED,
  archived: MovieStatus.MOVIE_STATUS_ARCHIVED,
};
const ASSET: Record<DomainAssetStatus, AssetStatus> = {
  waiting: AssetStatus.ASSET_STATUS_WAITING,
  processing: AssetStatus.ASSET_STATUS_PROCESSING,
  ready: AssetStatus.ASSET_STATUS_READY,
  errored: AssetStatus.ASSET_STATUS_ERRORED,
};

/** `privileged` (admins, services, events) also get the Mux upload, asset and playback ids. */
export function movieToProto(m: MovieRecord, opts: { privileged: boolean }): Movie {
  let video: VideoAsset | undefined;
  if (m.video) {
    video = {
      uploadId: opts.privileged ? m.video.uploadId : '',
      assetId: opts.privileged ? m.video.assetId : '',
      playbackId: opts.privileged ? m.video.playbackId : '',
      status: ASSET[m.video.status],
      durationSeconds: m.video.durationSeconds,
      maxResolution: m.video.maxResolution,
      aspectRatio: m.video.aspectRatio,
      errors: opts.privileged ? m.video.errors : [],
      updateTime: m.video.updatedAt,
    };
  }
  return {
    id: m.id,
    title: m.title,
    description: m.description,
    genres: m.genres,
    directors: m.directors,
    cast: m.cast,
    releaseYear: m.releaseYear,
    runtimeMinutes: m.runtimeMinutes,
    maturityRating: (MATURITY_LEVELS.indexOf(m.maturity) + 1) as MaturityRating,
    audioLanguages: m.audioLanguages,
    subtitleLanguages: m.subtitleLanguages,
    artwork: { thumbnailUrl: m.thumbnailUrl, backdropUrl: m.backdropUrl },
    trailerUrl: m.trailerUrl,
    requiredPlan: m.requiredPlan ? ((PLAN_TIERS.indexOf(m.requiredPlan) + 1) as PlanTier) : PlanTier.PLAN_TIER_UNSPECIFIED,
    rentalPrice: m.rentalPrice ? { amountMinor: m.rentalPrice.amountMinor, currency: m.rentalPrice.currency } : undefined,
    availableFrom: m.availableFrom ?? undefined,
    availableUntil: m.availableUntil ?? undefined,
    status: STATUS[m.status],
    video,
    rating: { average: ratingAverage(m), count: m.ratingCount },
    source: m.source || OWN_SOURCE,
    partner: m.partner
      ? {
          partnerId: m.partner.partnerId,
          partnerName: m.partner.partnerName,
          price: m.partner.price ?? undefined,
          url: m.partner.url,
          lastSeenTime: m.partner.lastSeenAt,
        }
      : undefined,
    popularity: m.popularity,
    createTime: m.createdAt,
    updateTime: m.updatedAt,
    publishTime: m.publishedAt ?? undefined,
    version: m.version,
  };
}

function maturityFromProto(r: MaturityRating): string | undefined {
  if (r === MaturityRating.MATURITY_RATING_UNSPECIFIED) return undefined;
  return MATURITY_LEVELS[r - 1] ?? `MATURITY_RATING_${r}`;
}

function planFromProto(p: PlanTier): string | null {
  if (p === PlanTier.PLAN_TIER_UNSPECIFIED) return null;
  return PLAN_TIERS[p - 1] ?? `PLAN_TIER_${p}`;
}

/**
 * The admin's title as domain input. With `every` (create, or an update with a mask) each field
 * is taken as sent; otherwise proto3 cannot tell "absent" from "empty", so only non-empty values
 * count.
 */
export function movieInputFromProto(p: Movie | undefined, every: boolean): MovieInput {
  if (!p) return {};
  const all: MovieInput = {
    title: p.title,
    description: p.description,
    genres: p.genres,
    directors: p.directors,
    cast: p.cast,
    releaseYear: p.releaseYear,
    runtimeMinutes: p.runtimeMinutes,
    maturityRating: maturityFromProto(p.maturityRating),
    audioLanguages: p.audioLanguages,
    subtitleLanguages: p.subtitleLanguages,
    thumbnailUrl: p.artwork?.thumbnailUrl ?? '',
    backdropUrl: p.artwork?.backdropUrl ?? '',
    trailerUrl: p.trailerUrl,
    requiredPlan: planFromProto(p.requiredPlan),
    rentalPrice: p.rentalPrice ? { amountMinor: p.rentalPrice.amountMinor, currency: p.rentalPrice.currency } : null,
    availableFrom: p.availableFrom ?? null,
    availableUntil: p.availableUntil ?? null,
  };
  if (every) return all;
  const present: MovieInput = {};
  for (const [k, value] of Object.entries(all) as [keyof MovieInput, unknown][]) {
    const empty = value === undefined || value === null || value === '' || value === 0 || (Array.isArray(value) && value.length === 0);
    if (!empty) (present as Record<string, unknown>)[k] = value;
  }
  return present;
}

/** FieldMask paths arrive in proto field names (snake_case); the domain speaks lowerCamelCase. */
export const maskToFields = (paths: string[] | undefined): string[] =>
  (paths ?? []).map((p) => p.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
