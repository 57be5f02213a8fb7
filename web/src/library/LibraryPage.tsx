import { useInfiniteQuery, useMutation, useQueryClient, type InfiniteData, type QueryKey } from '@tanstack/react-query';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import type { Movie } from '../api/client';
import { describeError } from '../api/errors';
import { TitleCard } from '../browse/TitleCard';
import { Button, ButtonLink } from '../ui/Button';
import { EmptyState, ErrorBanner, Spinner } from '../ui/Feedback';
import { Page } from '../ui/Page';
import '../browse/browse.css';
import './library.css';

export const PAGE_SIZE = 24;

/** One title on a library screen; `movie` is absent when the catalog no longer shows it. */
export interface LibraryItem {
  movieId: string;
  movie?: Movie;
  progress?: number;
  caption?: string;
  /** A second line under the card (where the viewer stopped). */
  detail?: string;
}

export interface LibraryPageData {
  items: LibraryItem[];
  nextPageToken: string;
}

type Pages = InfiniteData<LibraryPageData, string>;

/** Where an item was, so a failed removal puts it back exactly there. */
interface Removed {
  item: LibraryItem;
  page: number;
  index: number;
}

function without(data: Pages | undefined, movieId: string): Pages | undefined {
  if (!data) return data;
  return { ...data, pages: data.pages.map((p) => ({ ...p, items: p.items.filter((i) => i.movieId !== movieId) })) };
}

function restored(data: Pages | undefined, removed: Removed): Pages | undefined {
  if (!data) return data;
  if (data.pages.some((p) => p.items.some((i) => i.movieId === removed.item.movieId))) return data;
  const pages = data.pages.map((p, n) => {
    if (n !== Math.min(removed.page, data.pages.length - 1)) return p;
    const items = [...p.items];
    items.splice(Math.min(removed.index, items.length), 0, removed.item);
    return { ...p, items };
  });
  return { ...data, pages };
}

function locate(data: Pages | undefined, movieId: string): Removed | undefined {
  for (const [page, p] of (data?.pages ?? []).entries()) {
    const index = p.items.findIndex((i) => i.movieId === movieId);
    if (index >= 0) return { item: p.items[index]!, page, index };
  }
  return undefined;
}

/**
 * A profile's titles (my list, favourites, history) as a grid, paged with "Load more", each
 * with a remove button. Removal is optimistic: the title goes at once and comes back, where it
 * was, if the call fails.
 */
export function LibraryPage({
  title,
  listName,
  queryKey,
  fetchPage,
  remove,
  alsoInvalidate = [],
  empty,
  intro,
}: {
  title: string;
  /** How the list is named in sentences: "My list", "your favourites", "your history". */
  listName: string;
  queryKey: QueryKey;
  fetchPage: (pageToken: string) => Promise<LibraryPageData>;
  remove: (movieId: string) => Promise<unknown>;
  /** Other screens' queries that show this list (the title page's toggles, continue watching). */
  alsoInvalidate?: QueryKey[];
  empty: { title: string; text: ReactNode };
  intro?: ReactNode;
}) {
  const queryClient = useQueryClient();
  const query = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextPageToken || undefined,
  });
  const items = query.data?.pages.flatMap((p) => p.items) ?? [];

  const [announcement, setAnnouncement] = useState('');
  const [failure, setFailure] = useState<{ name: string; error: unknown } | null>(null);
  const buttons = useRef(new Map<string, HTMLButtonElement>());
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [focusNext, setFocusNext] = useState<string | null>(null);
  const mutationKey = ['library-remove', ...queryKey];

  const removal = useMutation({
    mutationKey,
    mutationFn: (item: LibraryItem) => remove(item.movieId),
    onMutate: async (item) => {
      await queryClient.cancelQueries({ queryKey });
      const data = queryClient.getQueryData<Pages>(queryKey);
      const removed = locate(data, item.movieId) ?? { item, page: 0, index: 0 };
      queryClient.setQueryData<Pages>(queryKey, (d) => without(d, item.movieId));
      return { removed };
    },
    onError: (error, item, ctx) => {
      if (ctx) queryClient.setQueryData<Pages>(queryKey, (d) => restored(d, ctx.removed));
      setAnnouncement('');
      setFailure({ name: nameOf(item), error });
    },
    onSuccess: (_res, item) => {
      setFailure(null);
      setAnnouncement(`Removed ${nameOf(item)} from ${listName}.`);
    },
    onSettled: async () => {
      // Refetch only when the last of several quick removals is done, so none flickers back.
      if (queryClient.isMutating({ mutationKey }) > 1) return;
      await Promise.all([queryKey, ...alsoInvalidate].map((key) => queryClient.invalidateQueries({ queryKey: key })));
    },
  });

  const onRemove = (item: LibraryItem) => {
    // Focus would fall to the page with the button gone: move it to the neighbour's button.
    const at = items.findIndex((i) => i.movieId === item.movieId);
    const neighbour = items[at + 1] ?? items[at - 1];
    setFocusNext(neighbour ? neighbour.movieId : '');
    removal.mutate(item);
  };

  useEffect(() => {
    if (focusNext === null) return;
    const target = focusNext ? buttons.current.get(focusNext) : undefined;
    if (target) target.focus();
    else headingRef.current?.focus();
    setFocusNext(null);
  }, [focusNext, items.length]);

  return (
    <Page title={title} className="library-page">
      {intro}
      <div role="status" className="library-announcement">
        {announcement}
      </div>
      {failure ? (
        <ErrorBanner title={`${failure.name} could not be removed`}>
          <p>
            {describeError(failure.error)} It is back in {listName}.
          </p>
        </ErrorBanner>
      ) : null}
      <h2 className="visually-hidden" ref={headingRef} tabIndex={-1}>
        {items.length > 0 ? `${title}: titles` : title}
      </h2>
      {query.isPending ? <Spinner label={`Loading ${listName}`} /> : null}
      {query.isError ? (
        <ErrorBanner error={query.error} title={`${title} could not be loaded`}>
          <Button onClick={() => void query.refetch()}>Try again</Button>
        </ErrorBanner>
      ) : null}
      {query.isSuccess && items.length === 0 ? (
        <EmptyState title={empty.title}>
          <p>{empty.text}</p>
          <div className="row-actions library-empty-actions">
            <ButtonLink to="/browse" variant="primary">
              Go to Home
            </ButtonLink>
            <ButtonLink to="/search" variant="ghost">
              Search titles
            </ButtonLink>
          </div>
        </EmptyState>
      ) : null}
      {items.length > 0 ? (
        <ul className="grid library-grid">
          {items.map((item) => {
            const name = nameOf(item);
            return (
              <li key={item.movieId} className="library-item">
                {item.movie ? (
                  <TitleCard movie={item.movie} progress={item.progress} caption={item.caption} />
                ) : (
                  <div className="library-gone">
                    <div className="poster library-gone-art" aria-hidden="true" />
                    <span className="library-gone-name">Title no longer available</span>
                    {item.caption ? <span className="muted library-gone-caption">{item.caption}</span> : null}
                  </div>
                )}
                {item.detail ? <p className="library-detail">{item.detail}</p> : null}
                <button
                  type="button"
                  className="btn btn-ghost library-remove"
                  ref={(el) => {
                    if (el) buttons.current.set(item.movieId, el);
                    else buttons.current.delete(item.movieId);
                  }}
                  aria-label={`Remove ${name} from ${listName}`}
                  onClick={() => onRemove(item)}
                >
                  Remove
                </button>
              </li>
            );
          })}
        </ul>
      ) : null}
      {query.isFetchNextPageError ? <ErrorBanner error={query.error} title="More titles could not be loaded" /> : null}
      {query.hasNextPage ? (
        <div className="library-more">
          <Button busy={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
            Load more
          </Button>
        </div>
      ) : null}
      {query.isSuccess && items.length > 0 && !query.hasNextPage ? (
        <p className="muted library-end">
          That is everything. Find more on <Link to="/browse">Home</Link> or <Link to="/search">Search</Link>.
        </p>
      ) : null}
    </Page>
  );
}

const nameOf = (item: LibraryItem): string => item.movie?.title || 'Unavailable title';
