import type { Api, Movie } from '../api/client';

/** batchGet takes at most this many ids per call. */
const BATCH = 100;

/**
 * Titles for ids (continue watching and history carry only ids), as GET /v1/movies:batchGet
 * shows them to this profile; ids it may not see (gone, unpublished, above its maturity limit)
 * are absent from the map.
 */
export async function titlesFor(api: Api, movieIds: string[], profileId: string): Promise<Map<string, Movie>> {
  const unique = [...new Set(movieIds)];
  const found = new Map<string, Movie>();
  for (let i = 0; i < unique.length; i += BATCH) {
    const { movies } = await api.movies.batchGet(unique.slice(i, i + BATCH), profileId);
    for (const m of movies) found.set(m.id, m);
  }
  return found;
}
