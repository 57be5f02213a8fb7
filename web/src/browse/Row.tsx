import { infiniteQueryOptions, useInfiniteQuery, type QueryKey } from '@tanstack/react-query';
import { useId, type ReactNode } from 'react';
import { ErrorBanner } from '../ui/Feedback';
import { TitleCard, type CardTitle } from './TitleCard';
import { useInView } from './useInView';
import './browse.css';

export interface RowItem<M extends CardTitle = CardTitle> {
  movie: M;
  progress?: number;
  caption?: string;
}

export interface RowPage<M extends CardTitle = CardTitle> {
  items: RowItem<M>[];
  nextPageToken: string;
}

/** A row's query: the same options wherever its pages are read, so they share one cache entry. */
export function rowQuery<M extends CardTitle>(queryKey: QueryKey, fetchPage: (pageToken: string) => Promise<RowPage<M>>) {
  return infiniteQueryOptions({
    queryKey,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: '',
    getNextPageParam: (last: RowPage<M>) => last.nextPageToken || undefined,
  });
}

/**
 * A titled, horizontally scrolling row that pages with the API's page tokens: the next page
 * loads from a "More" button at the end of the row (reachable by keyboard).
 */
export function Row<M extends CardTitle>({
  title,
  query: options,
  action,
  eager,
  hideWhenEmpty = true,
}: {
  title: string;
  /** From rowQuery: what the row shows and how it pages. */
  query: ReturnType<typeof rowQuery<M>>;
  action?: ReactNode;
  eager?: boolean;
  hideWhenEmpty?: boolean;
}) {
  const headingId = useId();
  const [ref, inView] = useInView<HTMLElement>();
  const query = useInfiniteQuery({ ...options, enabled: eager || inView });
  const items = query.data?.pages.flatMap((p) => p.items) ?? [];
  if (query.isSuccess && items.length === 0 && hideWhenEmpty) return <section ref={ref} aria-hidden="true" />;

  return (
    <section className="row" ref={ref} aria-labelledby={headingId}>
      <div className="row-head">
        <h2 className="section-title" id={headingId}>
          {title}
        </h2>
        {action}
      </div>
      {query.isError ? <ErrorBanner error={query.error} /> : null}
      {query.isPending ? (
        <div className="row-track row-skeleton" role="status">
          <span className="visually-hidden">Loading {title}…</span>
          {Array.from({ length: 6 }, (_, i) => (
            <div key={i} className="poster" aria-hidden="true" />
          ))}
        </div>
      ) : (
        <ul className="row-track">
          {items.map((item, i) => (
            <li key={`${item.movie.id}-${i}`}>
              <TitleCard movie={item.movie} progress={item.progress} caption={item.caption} eager={eager && i < 6} />
            </li>
          ))}
          {query.hasNextPage ? (
            <li className="row-more">
              <button type="button" className="btn btn-ghost" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
                {query.isFetchingNextPage ? 'Loading…' : `More ${title.toLowerCase()}`}
              </button>
            </li>
          ) : null}
        </ul>
      )}
    </section>
  );
}
