import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import type { Api, Movie } from '../api/client';
import { useApi } from '../app/services';
import { formatPosition } from '../lib/format';
import { useActiveProfile } from '../profiles/active-profile';
import { Page } from '../ui/Page';
import { Hero } from './Hero';
import { recommendationItem } from './recommendation-card';
import { Row, rowQuery, type RowPage } from './Row';
import { titlesFor } from './titles';
import './browse.css';

const ROW_SIZE = 20;
const GENRE_ROWS = 6;

async function continueWatching(api: Api, profileId: string, pageToken: string): Promise<RowPage> {
  const page = await api.playback.continueWatching({ profileId, pageSize: ROW_SIZE, pageToken });
  const titles = await titlesFor(api, page.entries.map((e) => e.movieId), profileId);
  return {
    items: page.entries.flatMap((e) => {
      const movie = titles.get(e.movieId);
      return movie ? [{ movie, progress: e.progress, caption: `${formatPosition(e.positionSeconds)} of ${formatPosition(e.durationSeconds)}` }] : [];
    }),
    nextPageToken: page.nextPageToken,
  };
}

async function recommended(api: Api, profileId: string, pageToken: string): Promise<RowPage> {
  const page = await api.recommendations.list({ profileId, pageSize: ROW_SIZE, pageToken });
  return {
    items: page.recommendations.map((r) => recommendationItem(r, true)),
    nextPageToken: page.nextPageToken,
  };
}

export default function HomePage() {
  const api = useApi();
  const { profile } = useActiveProfile();
  const profileId = profile!.id;
  const genres = useQuery({ queryKey: ['genres'], queryFn: () => api.movies.genres(), staleTime: 10 * 60_000 });
  const topGenres = [...(genres.data?.genres ?? [])].sort((a, b) => b.count - a.count).slice(0, GENRE_ROWS);
  const popular = rowQuery(['movies', 'popular', profileId], async (pageToken): Promise<RowPage<Movie>> => {
    const page = await api.movies.list({ orderBy: 'popularity', profileId, pageSize: ROW_SIZE, pageToken });
    return { items: page.movies.map((movie) => ({ movie })), nextPageToken: page.nextPageToken };
  });

  return (
    <Page title="Home" heading={`Home for ${profile!.name}`} hideHeading>
      <Hero popular={popular} />
      <Row
        title="Continue watching"
        eager
        query={rowQuery(['continue-watching', profileId], (t) => continueWatching(api, profileId, t))}
        action={<Link to="/history">History</Link>}
      />
      <Row title="Recommended for you" eager query={rowQuery(['recommendations', profileId], (t) => recommended(api, profileId, t))} />
      <Row title="Popular on Flix" eager query={popular} />
      {topGenres.map((g) => (
        <Row
          key={g.name}
          title={g.name}
          action={<Link to={`/search?genre=${encodeURIComponent(g.name)}`}>See all</Link>}
          query={rowQuery(['movies', 'genre', g.name, profileId], async (pageToken) => {
            const page = await api.movies.list({ genre: g.name, orderBy: 'popularity', profileId, pageSize: ROW_SIZE, pageToken });
            return { items: page.movies.map((movie) => ({ movie })), nextPageToken: page.nextPageToken };
          })}
        />
      ))}
    </Page>
  );
}
