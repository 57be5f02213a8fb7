import type { Api, Movie } from '../api/client';

/** Titles for a list of ids (continue watching, history), in the order asked; unknown ones left out. */
export async function titlesFor(api: Api, movieIds: string[], profileId: string): Promise<Map<string, Movie>> {
  const unique = [...new Set(movieIds)];
  if (unique.length === 0) return new Map();
  const { movies } = await api.movies.batchGet(unique, profileId);
  return new Map(movies.map((m) => [m.id, m]));
}
