import type { Api } from '../api/client';
import { useApi } from '../app/services';
import { useProfileId } from '../profiles/active-profile';
import { LibraryPage, PAGE_SIZE, type LibraryPageData } from './LibraryPage';
import { listedItem } from './MyListPage';

async function favouritesPage(api: Api, profileId: string, pageToken: string): Promise<LibraryPageData> {
  const page = await api.engagement.favourites({ profileId, pageSize: PAGE_SIZE, pageToken });
  return { items: (page.items ?? []).map((t) => listedItem(t, 'Added')), nextPageToken: page.nextPageToken };
}

/** The profile's favourites. */
export default function FavouritesPage() {
  const api = useApi();
  const profileId = useProfileId();
  return (
    <LibraryPage
      title="Favourites"
      listName="your favourites"
      queryKey={['favourites', 'pages', profileId]}
      fetchPage={(token) => favouritesPage(api, profileId, token)}
      remove={(movieId) => api.engagement.removeFavourite(profileId, movieId)}
      alsoInvalidate={[['favourites']]}
      empty={{ title: 'No favourites yet', text: 'Mark titles you love with “Favourite” on their page and find them here.' }}
    />
  );
}
