import type { UseInfiniteQueryResult } from '@tanstack/react-query';
import { Button } from '../ui/Button';
import { ErrorBanner } from '../ui/Feedback';

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
