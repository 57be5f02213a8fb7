import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { Api, Movie } from '../../api/client';
import { ApiError, describeError } from '../../api/errors';
import type { ListAdminReviewsResponse } from '../../api/gen/flix/engagement/v1/engagement_service';
import type { Review } from '../../api/gen/flix/engagement/v1/resources';
import { useApi } from '../../app/services';
import { formatDateTime } from '../../lib/format';
import { Button } from '../../ui/Button';
import { EmptyState } from '../../ui/Feedback';
import { SelectField, TextArea } from '../../ui/Field';
import { Page } from '../../ui/Page';
import { reviewKeys } from './keys';
import { FILTERS, filterFor, matches, stateLabel } from './moderation';
import '../admin.css';
import './reviews.css';
import { LoadMore, LoadState } from '../QueryStates';

const PAGE_SIZE = 20;
/** catalog's BatchGetMovies takes at most 100 ids. */
const BATCH = 100;

type Verdict = 'approved' | 'rejected';

async function titlesOf(api: Api, ids: string[]): Promise<Map<string, Movie>> {
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += BATCH) chunks.push(ids.slice(i, i + BATCH));
  const answers = await Promise.all(chunks.map((c) => api.movies.batchGet(c)));
  return new Map(answers.flatMap((a) => a.movies ?? []).map((m) => [m.id, m]));
}

/**
 * Reviews: the moderation queue. Reviews are published as soon as they are written; here an
 * operator approves them (they leave the queue) or rejects them with a reason (viewers no longer
 * see them). Newest written first, across every title, paged.
 */
export default function ReviewsPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const current = filterFor(params.get('show'));
  const key = reviewKeys.queue(current.filter);
  const [announcement, setAnnouncement] = useState('');
  const cardRefs = useRef(new Map<string, HTMLElement>());
  const listHeadingRef = useRef<HTMLHeadingElement>(null);
  const pendingFocus = useRef<string | null>(null);

  const reviews = useInfiniteQuery({
    queryKey: key,
    queryFn: ({ pageParam }) => api.admin.reviews({ filter: current.filter, pageSize: PAGE_SIZE, pageToken: pageParam }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextPageToken || undefined,
    placeholderData: keepPreviousData,
  });
  const list = reviews.data?.pages.flatMap((p) => p.reviews ?? []) ?? [];

  const movieIds = [...new Set(list.map((r) => r.movieId))].sort();
  const titles = useQuery({
    queryKey: reviewKeys.titles(movieIds),
    queryFn: () => titlesOf(api, movieIds),
    enabled: movieIds.length > 0,
    placeholderData: keepPreviousData,
    staleTime: 5 * 60_000,
  });
  const titleOf = (movieId: string) => titles.data?.get(movieId)?.title;

  // After a verdict the card that now stands where the acted-on one was gets the focus (or the
  // list's heading when none is left), once React has drawn the updated list.
  useEffect(() => {
    const target = pendingFocus.current;
    if (target === null) return;
    pendingFocus.current = null;
    (target ? cardRefs.current.get(target) : listHeadingRef.current)?.focus();
  });

  const onModerated = (updated: Review, verdict: Verdict) => {
    const index = list.findIndex((r) => r.id === updated.id);
    const stays = matches(current.filter, updated);
    queryClient.setQueryData<InfiniteData<ListAdminReviewsResponse, string>>(key, (data) =>
      data
        ? {
            ...data,
            pages: data.pages.map((p) => ({
              ...p,
              reviews: stays ? p.reviews.map((r) => (r.id === updated.id ? updated : r)) : p.reviews.filter((r) => r.id !== updated.id),
            })),
          }
        : data,
    );
    // The other filters' lists are out of date now; they reload when next shown.
    void queryClient.invalidateQueries({ queryKey: reviewKeys.all, refetchType: 'none' });
    const rest = list.filter((r) => r.id !== updated.id);
    pendingFocus.current = stays ? updated.id : (rest[Math.min(index, rest.length - 1)]?.id ?? '');
    const name = titleOf(updated.movieId) ?? 'the title';
    setAnnouncement(verdict === 'approved' ? `Approved the review of ${name}.` : `Rejected the review of ${name}; viewers no longer see it.`);
  };

  const count = list.length;
  return (
    <Page title="Reviews" className="admin-page">
      <p className="admin-note muted">
        Reviews appear to viewers as soon as they are written. Approve the ones that are fine (they leave the queue); reject the others with a reason, which
        only admins see. A rewritten review comes back to the queue.
      </p>
      <div className="admin-toolbar">
        <SelectField
          label="Show"
          value={current.param}
          onChange={(e) => {
            setAnnouncement('');
            setParams(e.target.value === FILTERS[0].param ? {} : { show: e.target.value });
          }}
        >
          {FILTERS.map((f) => (
            <option key={f.param} value={f.param}>
              {f.label}
            </option>
          ))}
        </SelectField>
      </div>

      <section className="admin-list" aria-labelledby="admin-reviews-results" aria-busy={reviews.isPlaceholderData || undefined}>
        <h2 id="admin-reviews-results" ref={listHeadingRef} tabIndex={-1} className="admin-reviews-heading">
          {current.label}
        </h2>
        <p className="admin-count" role="status">
          {announcement ? `${announcement} ` : ''}
          {reviews.isSuccess && count > 0 ? `${count}${reviews.hasNextPage ? '+' : ''} review${count === 1 ? '' : 's'} shown, newest first.` : ''}
        </p>
        <LoadState query={reviews} loading="Loading reviews" failed="The reviews could not be loaded." />
        {reviews.isSuccess && count === 0 ? (
          <EmptyState title={current.param === 'awaiting' ? 'Nothing awaits moderation.' : `No ${current.label.toLowerCase()} reviews.`}>
            {current.param === 'awaiting' ? <p>New reviews show up here as viewers write them.</p> : null}
          </EmptyState>
        ) : null}
        {count > 0 ? (
          <ul className="admin-reviews">
            {list.map((r) => (
              <li key={r.id}>
                <ReviewCard
                  review={r}
                  title={titleOf(r.movieId)}
                  titlesLoading={titles.isPending && titles.fetchStatus !== 'idle'}
                  onModerated={onModerated}
                  cardRef={(el) => {
                    if (el) cardRefs.current.set(r.id, el);
                    else cardRefs.current.delete(r.id);
                  }}
                />
              </li>
            ))}
          </ul>
        ) : null}
        <LoadMore query={reviews} label="Load more" errorTitle="More reviews could not be loaded." />
      </section>
    </Page>
  );
}

function ReviewCard({
  review,
  title,
  titlesLoading,
  onModerated,
  cardRef,
}: {
  review: Review;
  title: string | undefined;
  titlesLoading: boolean;
  onModerated: (r: Review, verdict: Verdict) => void;
  cardRef: (el: HTMLElement | null) => void;
}) {
  const api = useApi();
  const headingId = useId();
  const [rejecting, setRejecting] = useState(false);
  const actionsRef = useRef<HTMLDivElement>(null);
  const state = stateLabel(review);
  const name = title ?? (titlesLoading ? 'Loading title…' : `Title ${review.movieId}`);

  const approve = useMutation({
    mutationFn: () => api.admin.approveReview(review.id),
    onSuccess: (updated) => onModerated(updated, 'approved'),
  });

  const closeReject = () => {
    setRejecting(false);
    requestAnimationFrame(() => actionsRef.current?.querySelector<HTMLButtonElement>('.btn-danger')?.focus());
  };

  return (
    <article className={`admin-review admin-review-${state.tone}`} aria-labelledby={headingId} tabIndex={-1} ref={cardRef}>
      <header className="admin-review-head">
        <h3 id={headingId}>
          <Link to={`/admin/titles/${encodeURIComponent(review.movieId)}`}>{name}</Link>
        </h3>
        <span className={`badge admin-review-state-${state.tone}`}>{state.text}</span>
      </header>
      <p className="admin-review-stars" role="img" aria-label={`${review.stars} out of 5 stars`}>
        {[1, 2, 3, 4, 5].map((n) => (
          <span key={n} aria-hidden="true" className={n <= review.stars ? 'admin-star-on' : 'admin-star-off'}>
            ★
          </span>
        ))}
      </p>
      <blockquote className="admin-review-text">{review.text}</blockquote>
      <dl className="admin-review-meta">
        <dt>Reviewer</dt>
        <dd>
          <Reviewer userId={review.userId} profileId={review.profileId} />
        </dd>
        <dt>Written</dt>
        <dd>
          <time dateTime={review.updateTime}>{formatDateTime(review.updateTime)}</time>
          {review.createTime && review.updateTime && review.createTime !== review.updateTime ? <span className="muted"> (rewritten)</span> : null}
        </dd>
        {review.moderationReason ? (
          <>
            <dt>Reason</dt>
            <dd>{review.moderationReason}</dd>
          </>
        ) : null}
      </dl>

      {rejecting ? (
        <RejectForm review={review} title={name} onCancel={closeReject} onRejected={(r) => onModerated(r, 'rejected')} />
      ) : (
        <div className="row-actions" ref={actionsRef}>
          {state.text !== 'Approved' ? (
            <Button busy={approve.isPending} onClick={() => approve.mutate()} aria-label={`Approve the review of ${name}`}>
              Approve
            </Button>
          ) : null}
          {state.text !== 'Rejected' ? (
            <Button
              variant="danger"
              disabled={approve.isPending}
              onClick={() => {
                approve.reset();
                setRejecting(true);
              }}
              aria-label={`Reject the review of ${name}`}
            >
              Reject…
            </Button>
          ) : null}
        </div>
      )}
      {approve.isError ? (
        <p className="field-error" role="alert">
          Not approved: {describeError(approve.error)}
        </p>
      ) : null}
    </article>
  );
}

/** Rejecting asks why: the reason is required (here and by the API) and kept with the review. */
function RejectForm({ review, title, onCancel, onRejected }: { review: Review; title: string; onCancel: () => void; onRejected: (r: Review) => void }) {
  const api = useApi();
  const promptId = useId();
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const focusReason = () => formRef.current?.querySelector('textarea')?.focus();

  useEffect(focusReason, []);

  const reject = useMutation({
    mutationFn: (why: string) => api.admin.rejectReview(review.id, why),
    onSuccess: onRejected,
    onError: () => focusReason(),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) {
      setMissing(true);
      focusReason();
      return;
    }
    reject.mutate(reason.trim());
  };

  const err = reject.error;
  const apiFieldError = err instanceof ApiError ? err.fieldError('reason') : undefined;
  const reasonError = missing ? 'Give a reason: it is kept with the review for other admins.' : apiFieldError;
  const otherError = err && !apiFieldError ? describeError(err) : undefined;

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && !reject.isPending) {
      e.stopPropagation();
      onCancel();
    }
  };

  return (
    <form ref={formRef} className="admin-reject" aria-labelledby={promptId} onSubmit={submit} onKeyDown={onKeyDown} noValidate>
      <p id={promptId} className="admin-reject-prompt">
        Reject this review of {title}? Viewers will no longer see it; its stars still count.
      </p>
      <TextArea
        label="Reason for rejecting"
        hint="Only admins see it."
        rows={2}
        maxLength={500}
        required
        value={reason}
        error={reasonError}
        onChange={(e) => {
          setReason(e.target.value);
          if (e.target.value.trim()) setMissing(false);
          if (reject.isError) reject.reset();
        }}
      />
      {otherError ? (
        <p className="field-error" role="alert">
          Not rejected: {otherError}
        </p>
      ) : null}
      <div className="row-actions">
        <Button type="submit" variant="danger" busy={reject.isPending}>
          Reject review
        </Button>
        <Button type="button" variant="ghost" disabled={reject.isPending} onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

/** The reviewer's e-mail (identity's admin API) with a link to the account; the ids when it is unavailable. */
function Reviewer({ userId, profileId }: { userId: string; profileId: string }) {
  const api = useApi();
  const user = useQuery({
    queryKey: reviewKeys.reviewer(userId),
    queryFn: () => api.admin.user(userId),
    enabled: !!userId,
    staleTime: 5 * 60_000,
  });
  const email = user.data?.user?.email;
  const profile = user.data?.profiles?.find((p) => p.id === profileId)?.name;
  if (!userId) return <span className="muted">Unknown</span>;
  return (
    <>
      <Link to={`/admin/users/${encodeURIComponent(userId)}`}>{email ?? `Account ${userId}`}</Link>
      {profile ? <span className="muted"> · profile “{profile}”</span> : <span className="muted admin-mono"> · profile {profileId}</span>}
    </>
  );
}
