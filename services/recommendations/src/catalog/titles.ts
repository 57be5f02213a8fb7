import { MaturityRating, MovieStatus, type Movie } from '@flix/proto/flix/catalog/v1/resources';
import { MATURITY_LEVELS, type Maturity } from '@flix/profiles/maturity';
import type { TitleInfo } from '../domain/model.js';

const STATUS: Record<number, TitleInfo['status']> = {
  [MovieStatus.MOVIE_STATUS_DRAFT]: 'draft',
  [MovieStatus.MOVIE_STATUS_PUBLISHED]: 'published',
  [MovieStatus.MOVIE_STATUS_ARCHIVED]: 'archived',
};

/** The catalog's Movie (from an event or ListMovies) as the copy recommendations keep. */
export function titleFromMovie(m: Movie): TitleInfo {
  const maturity: Maturity | null =
    m.maturityRating === MaturityRating.MATURITY_RATING_UNSPECIFIED ? null : (MATURITY_LEVELS[m.maturityRating - 1] ?? null);
  return {
    id: m.id,
    title: m.title,
    genres: m.genres,
    languages: m.audioLanguages,
    maturity,
    status: STATUS[m.status] ?? 'unknown',
    availableFrom: m.availableFrom ?? null,
    availableUntil: m.availableUntil ?? null,
    popularity: Number(m.popularity) || 0,
    thumbnailUrl: m.artwork?.thumbnailUrl ?? '',
    version: Number(m.version) || 0,
  };
}
