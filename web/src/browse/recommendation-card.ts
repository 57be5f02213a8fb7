import { MaturityRating } from '../api/gen/flix/catalog/v1/resources';
import type { Recommendation } from '../api/gen/flix/recommendations/v1/resources';
import type { RowItem } from './Row';

/** Recommendations name maturity by level ("PG13"); cards want the catalog's enum. */
const maturityFromLevel = (level: string): MaturityRating =>
  (Object.values(MaturityRating) as string[]).includes(`MATURITY_RATING_${level}`) ? (`MATURITY_RATING_${level}` as MaturityRating) : MaturityRating.MATURITY_RATING_UNSPECIFIED;

/** A recommendation carries enough of its title for a card, and the reason it was picked. */
export function recommendationItem(r: Recommendation, withReason: boolean): RowItem {
  return {
    movie: {
      id: r.movieId,
      title: r.title,
      genres: r.genres,
      artwork: { thumbnailUrl: r.thumbnailUrl, backdropUrl: '' },
      releaseYear: 0,
      maturityRating: maturityFromLevel(r.maturity),
      partner: undefined,
    },
    caption: withReason ? r.reason : undefined,
  };
}
