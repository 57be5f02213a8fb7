import { useInfiniteQuery } from '@tanstack/react-query';
import { useApi } from '../app/services';
import { formatDate } from '../lib/format';
import { EmptyState, ErrorBanner, Spinner } from '../ui/Feedback';
import { Stars } from './StarRating';

/** Everyone's published reviews of a title, newest first, paged with the API's page tokens. */
export function Reviews({ movieId }: { movieId: string }) {
  const api = useApi();
  const reviews = useInfiniteQuery({
    queryKey: ['reviews', movieId],
    queryFn: ({ pageParam }) => api.engagement.reviews(movieId, { pageSize: 10, pageToken: pageParam }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextPageToken || undefined,
  });
  const list = reviews.data?.pages.flatMap((p) => p.reviews) ?? [];
  return (
    <section className="reviews" aria-labelledby="reviews-heading">
      <h2 id="reviews-heading" className="section-title">
        Reviews
      </h2>
      {reviews.isPending ? <Spinner label="Loading reviews" /> : null}
      {reviews.isError ? <ErrorBanner error={reviews.error} /> : null}
      {reviews.isSuccess && list.length === 0 ? <EmptyState title="No reviews yet">Be the first to say what you thought.</EmptyState> : null}
      <ul className="review-list">
        {list.map((r) => (
          <li key={r.id} className="review">
            <div className="review-head">
              <Stars value={r.stars} />
              <time dateTime={r.createTime} className="muted">
                {formatDate(r.createTime)}
              </time>
            </div>
            <p>{r.text}</p>
          </li>
        ))}
      </ul>
      {reviews.hasNextPage ? (
        <button type="button" className="btn btn-ghost" onClick={() => void reviews.fetchNextPage()} disabled={reviews.isFetchingNextPage}>
          {reviews.isFetchingNextPage ? 'Loading…' : 'More reviews'}
        </button>
      ) : null}
    </section>
  );
}
