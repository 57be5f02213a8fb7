import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { useApi } from '../app/services';
import { languageName } from '../lib/format';
import { useProfileId } from '../profiles/active-profile';
import { EmptyState, ErrorBanner, Spinner } from '../ui/Feedback';
import { SelectField, TextField } from '../ui/Field';
import { Page } from '../ui/Page';
import { TitleCard } from './TitleCard';
import { useDebounced } from './useDebounced';
import './browse.css';

const PAGE_SIZE = 24;
const LANGUAGES = ['en', 'fr', 'es', 'de', 'it', 'ja', 'ko', 'hi', 'pt', 'zh', 'sv', 'da'];
const DECADES = [2020, 2010, 2000, 1990, 1980, 1970, 1960, 1950];

/** Search as you type, with filters; everything lives in the URL so results can be shared and reloaded. */
export default function SearchPage() {
  const api = useApi();
  const profileId = useProfileId();
  const [params, setParams] = useSearchParams();
  const [text, setText] = useState(params.get('q') ?? '');
  const q = useDebounced(text.trim(), 250);
  const genre = params.get('genre') ?? '';
  const language = params.get('language') ?? '';
  const decade = params.get('decade') ?? '';
  const source = params.get('source') ?? 'all';

  // Typing writes the query into the URL (replace: no history entry per keystroke).
  useEffect(() => {
    const next = new URLSearchParams(params);
    if (q) next.set('q', q);
    else next.delete('q');
    if (next.toString() !== params.toString()) setParams(next, { replace: true });
  }, [q, params, setParams]);

  const setFilter = (key: string) => (e: { target: { value: string } }) => {
    const next = new URLSearchParams(params);
    if (e.target.value) next.set(key, e.target.value);
    else next.delete(key);
    setParams(next, { replace: true });
  };

  const genres = useQuery({ queryKey: ['genres'], queryFn: () => api.movies.genres(), staleTime: 10 * 60_000 });
  const filters = {
    genre,
    language,
    releaseYearMin: decade ? Number(decade) : undefined,
    releaseYearMax: decade ? Number(decade) + 9 : undefined,
    source,
    profileId,
    pageSize: PAGE_SIZE,
  };
  const results = useInfiniteQuery({
    queryKey: ['search', q, filters],
    queryFn: async ({ pageParam }) =>
      q ? api.movies.search({ ...filters, q, pageToken: pageParam }) : api.movies.list({ ...filters, orderBy: 'popularity', pageToken: pageParam }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextPageToken || undefined,
    placeholderData: (prev) => prev,
  });
  const movies = results.data?.pages.flatMap((p) => p.movies) ?? [];
  const total = results.data?.pages[0]?.totalSize ?? 0;

  return (
    <Page title={q ? `Search: ${q}` : 'Search'} heading="Search">
      <form className="search-bar" role="search" onSubmit={(e) => e.preventDefault()}>
        <TextField label="Titles, people, genres" type="search" name="q" autoComplete="off" value={text} onChange={(e) => setText(e.target.value)} placeholder="e.g. spider man" />
        <SelectField label="Genre" name="genre" value={genre} onChange={setFilter('genre')}>
          <option value="">All genres</option>
          {genres.data?.genres.map((g) => (
            <option key={g.name} value={g.name}>
              {g.name}
            </option>
          ))}
        </SelectField>
        <SelectField label="Released" name="decade" value={decade} onChange={setFilter('decade')}>
          <option value="">Any year</option>
          {DECADES.map((d) => (
            <option key={d} value={d}>
              {d}s
            </option>
          ))}
        </SelectField>
        <SelectField label="Language" name="language" value={language} onChange={setFilter('language')}>
          <option value="">Any language</option>
          {LANGUAGES.map((l) => (
            <option key={l} value={l}>
              {languageName(l)}
            </option>
          ))}
        </SelectField>
        <SelectField label="Where" name="source" value={source} onChange={setFilter('source')}>
          <option value="all">Flix and partners</option>
          <option value="flix">On Flix</option>
          <option value="partners">Partner stores</option>
        </SelectField>
      </form>
      {results.isError ? <ErrorBanner error={results.error} /> : null}
      <p className="search-summary" role="status" aria-live="polite">
        {results.isPending ? 'Searching…' : q ? `${total} result${total === 1 ? '' : 's'} for “${q}”` : `${total} titles`}
      </p>
      {results.isPending ? <Spinner label="Searching" /> : null}
      {results.isSuccess && movies.length === 0 ? (
        <EmptyState title={q ? `Nothing found for “${q}”` : 'No titles match these filters'}>Try other words or fewer filters.</EmptyState>
      ) : null}
      <ul className="grid" aria-label="Results">
        {movies.map((movie) => (
          <li key={movie.id}>
            <TitleCard movie={movie} caption={movie.partner ? `On ${movie.partner.partnerName}` : undefined} />
          </li>
        ))}
      </ul>
      {results.hasNextPage ? (
        <button type="button" className="btn btn-secondary" onClick={() => void results.fetchNextPage()} disabled={results.isFetchingNextPage}>
          {results.isFetchingNextPage ? 'Loading…' : 'Show more results'}
        </button>
      ) : null}
    </Page>
  );
}
