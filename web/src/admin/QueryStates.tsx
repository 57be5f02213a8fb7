import type { UseInfiniteQueryResult } from '@tanstack/react-query';
import { Button } from '../ui/Button';
import { ErrorBanner, Spinner } from '../ui/Feedback';

/** What a Studio query shows before it has data: a spinner, or why it failed with Try again. */
export function LoadState({ query, loading, failed }: { query: { isPending: boolean; isError: boolean; isFetchNextPageError?: boolean; error: Error | null; refetch: () => unknown }; loading: string; failed: string }) {
  if (query.isPending) return <Spinner label={loading} />;
  // A failed next page keeps the pages shown; LoadMore says why beneath them.
  if (!query.isError || query.isFetchNextPageError) return null;
  return (
    <ErrorBanner title={failed} error={query.error}>
      <Button onClick={() => void query.refetch()}>Try again</Button>
    </ErrorBanner>
  );
}

/**
 * The button under a paged Studio list ("Load more", "Older sessions"…) and, when the next page
 * failed, why — without hiding the pages already shown.
 */
export function LoadMore({ query, label, errorTitle }: { query: UseInfiniteQueryResult<unknown, Error>; label: string; errorTitle: string }) {
  return (
    <>
      {query.hasNextPage ? (
        <div className="admin-more">
          <Button onClick={() => void query.fetchNextPage()} busy={query.isFetchingNextPage}>
            {label}
          </Button>
        </div>
      ) : null}
      {query.isFetchNextPageError ? <ErrorBanner title={errorTitle} error={query.error} /> : null}
    </>
  );
}

/** Every page of a list an operator wants whole on one screen (plans, streams), fetched in turn. */
export async function allPages<Item, Page extends { nextPageToken?: string }>(fetchPage: (pageToken: string) => Promise<Page>, items: (page: Page) => Item[] | undefined): Promise<Item[]> {
  const all: Item[] = [];
  let pageToken = '';
  do {
    const page = await fetchPage(pageToken);
    all.push(...(items(page) ?? []));
    pageToken = page.nextPageToken ?? '';
  } while (pageToken);
  return all;
}
