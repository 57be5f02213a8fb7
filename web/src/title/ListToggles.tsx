import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Api } from '../api/client';
import { useApi } from '../app/services';
import { ErrorBanner } from '../ui/Feedback';

type ListKind = 'watchlist' | 'favourites';

/** Every id on a profile's list (lists are short; pages of 100 until the end). */
async function listIds(api: Api, kind: ListKind, profileId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let pageToken = '';
  do {
    const page = kind === 'watchlist' ? await api.engagement.watchlist({ profileId, pageSize: 100, pageToken }) : await api.engagement.favourites({ profileId, pageSize: 100, pageToken });
    for (const item of page.items) ids.add(item.movieId);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return ids;
}

function useListToggle(kind: ListKind, movieId: string, profileId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  const key = [kind, 'ids', profileId];
  const ids = useQuery({ queryKey: key, queryFn: () => listIds(api, kind, profileId) });
  const on = ids.data?.has(movieId) ?? false;
  const toggle = useMutation({
    mutationFn: async (add: boolean) => {
      if (kind === 'watchlist') await (add ? api.engagement.addToWatchlist(profileId, movieId) : api.engagement.removeFromWatchlist(profileId, movieId));
      else await (add ? api.engagement.addFavourite(profileId, movieId) : api.engagement.removeFavourite(profileId, movieId));
    },
    // Optimistic: the button flips at once and flips back if the call fails.
    onMutate: async (add) => {
      await queryClient.cancelQueries({ queryKey: key });
      const before = queryClient.getQueryData<Set<string>>(key);
      const next = new Set(before);
      if (add) next.add(movieId);
      else next.delete(movieId);
      queryClient.setQueryData(key, next);
      return { before };
    },
    onError: (_e, _add, ctx) => queryClient.setQueryData(key, ctx?.before),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: [kind] });
    },
  });
  return { on, ready: ids.isSuccess, toggle };
}

export function ListToggles({ movieId, profileId }: { movieId: string; profileId: string }) {
  const watchlist = useListToggle('watchlist', movieId, profileId);
  const favourite = useListToggle('favourites', movieId, profileId);
  const error = watchlist.toggle.error ?? favourite.toggle.error;
  return (
    <>
      <button type="button" className="btn btn-ghost" aria-pressed={watchlist.on} disabled={!watchlist.ready} onClick={() => watchlist.toggle.mutate(!watchlist.on)}>
        <span aria-hidden="true">{watchlist.on ? '✓' : '+'}</span> My list
      </button>
      <button type="button" className="btn btn-ghost" aria-pressed={favourite.on} disabled={!favourite.ready} onClick={() => favourite.toggle.mutate(!favourite.on)}>
        <span aria-hidden="true">{favourite.on ? '♥' : '♡'}</span> Favourite
      </button>
      {error ? <ErrorBanner error={error} /> : null}
    </>
  );
}
