import type { Maturity } from '@flix/profiles/maturity';

/** Ordered from the youngest audience up (identity's profiles use the same scale). */
export { MATURITY_LEVELS, maturityRank, type Maturity } from '@flix/profiles/maturity';

/** Ordered from the cheapest plan up. */
export const PLAN_TIERS = ['BASIC', 'STANDARD', 'PREMIUM'] as const;
export type PlanTier = (typeof PLAN_TIERS)[number];

export const MOVIE_STATUSES = ['draft', 'published', 'archived'] as const;
export type MovieStatus = (typeof MOVIE_STATUSES)[number];
export const ASSET_STATUSES = ['waiting', 'processing', 'ready', 'errored'] as const;
export type AssetStatus = (typeof ASSET_STATUSES)[number];

/** The catalog's genre vocabulary; titles may only use these (case-insensitive on input). */
export const KNOWN_GENRES = [
  'Action', 'Adventure', 'Animation', 'Comedy', 'Crime', 'Documentary', 'Drama', 'Family', 'Fantasy',
  'History', 'Horror', 'Music', 'Mystery', 'Romance', 'Sci-Fi', 'Sport', 'Thriller', 'War', 'Western',
] as const;

/** ISO 639-1 codes the catalog carries audio or subtitles in. */
export const KNOWN_LANGUAGES = [
  'ar', 'bn', 'cs', 'da', 'de', 'el', 'en', 'es', 'fa', 'fi', 'fr', 'he', 'hi', 'hu', 'id', 'it', 'ja', 'ko', 'ms',
  'nl', 'no', 'pl', 'pt', 'ro', 'ru', 'sv', 'ta', 'te', 'th', 'tr', 'uk', 'ur', 'vi', 'zh',
] as const;

/** Our own titles have this source; partner titles carry their partner id. */
export const OWN_SOURCE = 'flix';

export interface Price {
  amountMinor: number;
  currency: string;
}

export interface VideoRecord {
  uploadId: string;
  assetId: string;
  playbackId: string;
  status: AssetStatus;
  durationSeconds: number;
  maxResolution: string;
  aspectRatio: string;
  errors: string[];
  updatedAt: Date;
  /** createdAt of the newest Mux event applied: older events never overwrite newer state. */
  lastEventAt: Date | null;
}

export interface PartnerOfferRecord {
  partnerId: string;
  partnerName: string;
  price: Price | null;
  url: string;
  lastSeenAt: Date;
}

export interface MovieRecord {
  id: string;
  /** `flix` or a partner id. */
  source: string;
  title: string;
  description: string;
  genres: string[];
  directors: string[];
  cast: string[];
  releaseYear: number;
  runtimeMinutes: number;
  maturity: Maturity;
  audioLanguages: string[];
  subtitleLanguages: string[];
  thumbnailUrl: string;
  backdropUrl: string;
  trailerUrl: string;
  requiredPlan: PlanTier | null;
  rentalPrice: Price | null;
  availableFrom: Date | null;
  availableUntil: Date | null;
  status: MovieStatus;
  video: VideoRecord | null;
  /** Sum of stars and number of ratings: deltas on these commute, an average would not. */
  ratingSum: number;
  ratingCount: number;
  popularity: number;
  partner: PartnerOfferRecord | null;
  createdAt: Date;
  updatedAt: Date;
  publishedAt: Date | null;
  /** Compare-and-set version; every write bumps it. */
  version: number;
}

export const ratingAverage = (m: Pick<MovieRecord, 'ratingSum' | 'ratingCount'>): number =>
  m.ratingCount > 0 ? Math.round((m.ratingSum / m.ratingCount) * 100) / 100 : 0;

/** What a viewer may see: published, and inside the availability window at `now`. */
export function isVisible(m: Pick<MovieRecord, 'status' | 'availableFrom' | 'availableUntil'>, now: Date): boolean {
  if (m.status !== 'published') return false;
  if (m.availableFrom && m.availableFrom.getTime() > now.getTime()) return false;
  if (m.availableUntil && m.availableUntil.getTime() <= now.getTime()) return false;
  return true;
}

