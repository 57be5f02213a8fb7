import type { Api } from '../api/client';
import type { ListedTitle } from '../api/gen/flix/engagement/v1/resources';
import { useApi } from '../app/services';
import { formatDate } from '../lib/format';
import { useProfileId } from '../profiles/active-profile';
import { LibraryPage, PAGE_SIZE, type LibraryPageData } from './LibraryPage';

export const listedItem = (t: ListedTitle, verb: string) => ({
  movieId: t.movieId,
  movie: t.movie,
  caption: t.addTime ? `${verb} ${formatDate(t.addTime)}` : undefined,
});

async function watchlistPage(api: Api, profileId: string, pageToken: string): Promise<LibraryPageData> {
  const page = await api.engagement.watchlist({ profileId, pageSize: PAGE_SIZE, pageToken });
  return { items: (page.items ?? []).map((t) => listedItem(t, 'Added')), nextPageToken: page.nextPageToken };
}

/** The profile's watchlist ("My list"). */
export default function MyListPage() {
  const api = useApi();
  const profileId = useProfileId();
  return (
    <LibraryPage
      title="My list"
      listName="My list"
      queryKey={['watchlist', 'pages', profileId]}
      fetchPage={(token) => watchlistPage(api, profileId, token)}
      remove={(movieId) => api.engagement.removeFromWatchlist(profileId, movieId)}
      alsoInvalidate={[['watchlist']]}
      empty={{ title: 'Your list is empty', text: 'Add titles with “My list” on a title’s page to keep them here for later.' }}
    />
  );
}
