/** Titles' component tests: the section's routes inside the Studio layout, and catalog titles. */
import type { RouteObject } from 'react-router';
import { AssetStatus, MaturityRating, MovieStatus, PlanTier, type Movie, type VideoAsset } from '../../api/gen/flix/catalog/v1/resources';
import StudioLayout from '../StudioLayout';
import TitleEditPage from './TitleEditPage';
import TitlesPage from './TitlesPage';

export const titleRoutes: RouteObject[] = [
  {
    path: 'admin',
    element: <StudioLayout />,
    children: [
      { path: 'titles', element: <TitlesPage /> },
      { path: 'titles/new', element: <TitleEditPage /> },
      { path: 'titles/:movieId', element: <TitleEditPage /> },
    ],
  },
  { path: '*', element: <p data-testid="elsewhere">elsewhere</p> },
];

export const video = (status: AssetStatus, over: Partial<VideoAsset> = {}): VideoAsset => ({
  uploadId: 'up-1',
  assetId: status === AssetStatus.ASSET_STATUS_WAITING ? '' : 'as-1',
  playbackId: status === AssetStatus.ASSET_STATUS_READY ? 'pb-1' : '',
  status,
  durationSeconds: status === AssetStatus.ASSET_STATUS_READY ? 125 : 0,
  maxResolution: status === AssetStatus.ASSET_STATUS_READY ? '1080p' : '',
  aspectRatio: status === AssetStatus.ASSET_STATUS_READY ? '16:9' : '',
  errors: [],
  updateTime: '2026-11-02T10:00:00Z',
  ...over,
});

export function movie(over: Partial<Movie> = {}): Movie {
  return {
    id: 'm-1',
    title: 'The Quiet Lighthouse',
    description: 'A keeper and a storm.',
    genres: ['Drama'],
    directors: ['Ines Moreau'],
    cast: ['Kofi Mensah'],
    releaseYear: 2024,
    runtimeMinutes: 104,
    maturityRating: MaturityRating.MATURITY_RATING_PG13,
    audioLanguages: ['en'],
    subtitleLanguages: ['fr'],
    artwork: { thumbnailUrl: '', backdropUrl: '' },
    trailerUrl: '',
    requiredPlan: PlanTier.PLAN_TIER_STANDARD,
    rentalPrice: undefined,
    availableFrom: undefined,
    availableUntil: undefined,
    status: MovieStatus.MOVIE_STATUS_DRAFT,
    video: undefined,
    rating: { average: 0, count: 0 },
    source: 'flix',
    partner: undefined,
    popularity: '0',
    createTime: '2026-11-01T10:00:00Z',
    updateTime: '2026-11-02T10:00:00Z',
    publishTime: undefined,
    version: '1',
    ...over,
  };
}
