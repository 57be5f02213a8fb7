import { DomainError, Violations } from '@flix/errors';
import { maturityRank, type Maturity, type MovieRecord } from './model.js';

/** A profile may see a title rated at or below its limit. */
export const withinMaturityLimit = (m: Pick<MovieRecord, 'maturity'>, limit: Maturity): boolean => maturityRank(m.maturity) <= maturityRank(limit);

/** GetMovie for a profile whose limit is below the title's rating. */
export const aboveMaturityLimit = (m: Pick<MovieRecord, 'id' | 'maturity'>, limit: Maturity): DomainError =>
  new DomainError(
    'permission_denied',
    'MATURITY_LIMIT',
    `profileId: ${m.id} is rated ${m.maturity}, above this profile's maturity limit (${limit})`,
    [{ field: 'profileId', description: `limited to ${limit} titles` }],
    { limit, rating: m.maturity },
  );

export const MAX_BATCH = 100;
const MOVIE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** BatchGetMovies' ids: 1 to MAX_BATCH, each shaped like a title id (ours, demo or partner). */
export function checkMovieIds(v: Violations, ids: string[]): void {
  if (ids.length === 0) v.add('movieIds', 'name at least one id');
  if (ids.length > MAX_BATCH) v.add('movieIds', `at most ${MAX_BATCH} ids per call`);
  else
    ids.forEach((id, i) => {
      if (!MOVIE_ID.test(id)) v.add(`movieIds[${i}]`, `"${id.length > 40 ? `${id.slice(0, 40)}…` : id}" is not a title id (1 to 128 letters, digits, ".", "_" or "-")`);
    });
}
