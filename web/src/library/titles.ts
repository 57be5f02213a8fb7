import type { Api, Movie } from '../api/client';
import { ApiError } from '../api/errors';

/** batchGet takes at most this many ids per call. */
const BATCH = 100;

/** The route or method does not exist (an older gateway or catalog): fetch one by one instead. */
const unsupported = (err: unknown) => err instanceof ApiError && (err.status === 404 || err.status === 405 || err.status === 501);

/** A title the profile may not see (gone, unpublished, above its maturity limit) is left out. */
async function one(api: Api, movieId: string, profileId: string): Promise<Movie | undefined> {
  try {
    return await api.movies.get(movieId, profileId);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 403)) return undefined;
    throw err;
  }
}

/**
 * Titles for ids (history entries carry only ids), through GET /v1/movies:batchGet; when that
 * route answers 404 (not deployed yet), each title is fetched on its own. Ids with no title the
 * profile may see are simply absent from the map.
 */
export async function titlesById(api: Api, movieIds: string[], profileId: string): Promise<Map<string, Movie>> {
  const unique = [...new Set(movieIds)];
  const found = new Map<string, Movie>();
  for (let i = 0; i < unique.length; i += BATCH) {
    const chunk = unique.slice(i, i + BATCH);
    let movies: Movie[];
    try {
      movies = (await api.movies.batchGet(chunk, profileId)).movies ?? [];
    } catch (err) {
      if (!unsupported(err)) throw err;
      movies = (await Promise.all(chunk.map((id) => one(api, id, profileId)))).filter((m): m is Movie => !!m);
    }
    for (const m of movies) found.set(m.id, m);
  }
  return found;
}
