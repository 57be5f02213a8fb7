/** Titles section: query keys and the words an operator reads for the catalog's enums. */
import { AssetStatus, MovieStatus, PlanTier, type Movie } from '../../api/gen/flix/catalog/v1/resources';
import { formatMoney } from '../../lib/format';

export interface TitleFilters {
  q: string;
  status: string;
  videoStatus: string;
  source: string;
}

export const titleKeys = {
  all: ['admin', 'titles'] as const,
  list: (f: TitleFilters) => ['admin', 'titles', 'list', f] as const,
  one: (movieId: string) => ['admin', 'titles', 'one', movieId] as const,
};

/** Filter values as the catalog takes them (ListMoviesRequest.status / video_status / source). */
export const STATUS_OPTIONS = [
  { value: '', label: 'Any status' },
  { value: 'draft', label: 'Draft' },
  { value: 'published', label: 'Published' },
  { value: 'archived', label: 'Archived' },
];
export const VIDEO_OPTIONS = [
  { value: '', label: 'Any video' },
  { value: 'none', label: 'No video yet' },
  { value: 'waiting', label: 'Waiting for upload' },
  { value: 'processing', label: 'Processing' },
  { value: 'ready', label: 'Ready' },
  { value: 'errored', label: 'Errored' },
];
export const SOURCE_OPTIONS = [
  { value: 'flix', label: 'Flix titles' },
  { value: 'partners', label: 'Partner titles' },
  { value: 'all', label: 'All sources' },
];

const STATUS_WORDS: Record<string, { label: string; tone: string }> = {
  [MovieStatus.MOVIE_STATUS_DRAFT]: { label: 'Draft', tone: 'badge-warn' },
  [MovieStatus.MOVIE_STATUS_PUBLISHED]: { label: 'Published', tone: 'badge-ok' },
  [MovieStatus.MOVIE_STATUS_ARCHIVED]: { label: 'Archived', tone: '' },
};
export const statusWords = (s: MovieStatus | undefined) => STATUS_WORDS[s ?? ''] ?? { label: 'Unknown', tone: '' };

const VIDEO_WORDS: Record<string, { label: string; tone: string }> = {
  [AssetStatus.ASSET_STATUS_WAITING]: { label: 'Waiting for upload', tone: 'badge-warn' },
  [AssetStatus.ASSET_STATUS_PROCESSING]: { label: 'Processing', tone: 'badge-warn' },
  [AssetStatus.ASSET_STATUS_READY]: { label: 'Ready', tone: 'badge-ok' },
  [AssetStatus.ASSET_STATUS_ERRORED]: { label: 'Errored', tone: 'badge-danger' },
};
export const videoWords = (m: Pick<Movie, 'video'>) => (m.video ? (VIDEO_WORDS[m.video.status] ?? { label: 'Unknown', tone: '' }) : { label: 'No video', tone: '' });

/** Mux is still working on it: the editor keeps asking until the asset is ready or errored. */
export const videoInFlight = (m: Pick<Movie, 'video'> | undefined): boolean =>
  m?.video?.status === AssetStatus.ASSET_STATUS_WAITING || m?.video?.status === AssetStatus.ASSET_STATUS_PROCESSING;

export const PLAN_OPTIONS = [
  { value: PlanTier.PLAN_TIER_UNSPECIFIED, label: 'Not in any plan (rental only)' },
  { value: PlanTier.PLAN_TIER_BASIC, label: 'Basic and up' },
  { value: PlanTier.PLAN_TIER_STANDARD, label: 'Standard and up' },
  { value: PlanTier.PLAN_TIER_PREMIUM, label: 'Premium only' },
];

/** "Basic+ · rent 3.99" — how a title can be watched. */
export function accessWords(m: Pick<Movie, 'requiredPlan' | 'rentalPrice' | 'partner'>): string {
  const parts: string[] = [];
  if (m.requiredPlan && m.requiredPlan !== PlanTier.PLAN_TIER_UNSPECIFIED) parts.push(`${PLAN_OPTIONS.find((o) => o.value === m.requiredPlan)?.label.replace(' and up', '+').replace(' only', '') ?? m.requiredPlan}`);
  if (m.rentalPrice && Number(m.rentalPrice.amountMinor) > 0) parts.push(`rent ${formatMoney(m.rentalPrice)}`);
  if (m.partner) parts.push(`at ${m.partner.partnerName}`);
  return parts.join(' · ') || '—';
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}
