import type { Api, ViewingEntry } from '../api/client';
import { useApi } from '../app/services';
import { formatDate, formatPosition } from '../lib/format';
import { useProfileId } from '../profiles/active-profile';
import { LibraryPage, PAGE_SIZE, type LibraryItem, type LibraryPageData } from './LibraryPage';
import { titlesFor } from '../browse/titles';

export function historyItem(entry: ViewingEntry, movie: LibraryItem['movie']): LibraryItem {
  const when = formatDate(entry.lastWatchedTime);
  const caption = when ? `Watched ${when}` : undefined;
  if (entry.completed) return { movieId: entry.movieId, movie, caption, detail: 'Finished' };
  return {
    movieId: entry.movieId,
    movie,
    progress: Math.min(1, Math.max(0, entry.progress || 0)),
    caption,
    detail: entry.durationSeconds > 0 ? `Stopped at ${formatPosition(entry.positionSeconds)} of ${formatPosition(entry.durationSeconds)}` : undefined,
  };
}

/** One page of history with the titles its entries name (history carries ids only). */
export async function historyPage(api: Api, profileId: string, pageToken: string): Promise<LibraryPageData> {
  const page = await api.playback.history({ profileId, pageSize: PAGE_SIZE, pageToken });
  const entries = page.entries ?? [];
  const titles = await titlesFor(api, entries.map((e) => e.movieId), profileId);
  return { items: entries.map((e) => historyItem(e, titles.get(e.movieId))), nextPageToken: page.nextPageToken };
}

/** What the profile watched, newest first, with progress; entries can be removed. */
export default function HistoryPage() {
  const api = useApi();
  const profileId = useProfileId();
  return (
    <LibraryPage
      title="Viewing history"
      listName="your history"
      queryKey={['history', 'pages', profileId]}
      fetchPage={(token) => historyPage(api, profileId, token)}
      remove={(movieId) => api.playback.removeFromHistory(movieId, profileId)}
      alsoInvalidate={[['continue-watching', profileId], ['viewing'], ['recommendations', profileId]]}
      empty={{ title: 'Nothing watched yet', text: 'Titles you watch on this profile appear here, with where you stopped.' }}
      intro={<p className="muted">What this profile has watched, most recent first. Removing a title also takes it out of Continue watching.</p>}
    />
  );
}
