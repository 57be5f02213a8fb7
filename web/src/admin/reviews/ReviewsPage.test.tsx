import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { Code } from '../../api/errors';
import { ReviewFilter } from '../../api/gen/flix/engagement/v1/engagement_service';
import { ReviewState, type Review } from '../../api/gen/flix/engagement/v1/resources';
import StudioLayout from '../StudioLayout';
import { apiError, renderStudio } from '../test-support';
import ReviewsPage from './ReviewsPage';

const routes = [
  { path: 'admin', element: <StudioLayout />, children: [{ path: 'reviews', element: <ReviewsPage /> }] },
  { path: '*', element: <p>elsewhere</p> },
];

const review = (id: string, movieId: string, stars: number, text: string, minute: number, over: Partial<Review> = {}): Review => ({
  id,
  movieId,
  stars,
  text,
  createTime: `2026-05-01T10:${String(minute).padStart(2, '0')}:00Z`,
  updateTime: `2026-05-01T10:${String(minute).padStart(2, '0')}:00Z`,
  state: ReviewState.REVIEW_STATE_PUBLISHED,
  profileId: `p-${id}`,
  userId: `u-${id}`,
  moderationReason: '',
  moderateTime: undefined,
  ...over,
});

const TITLES: Record<string, string> = { m1: 'Interstellar', m2: 'Amélie', m3: 'Heat' };

/** engagement's queue over a fixed, newest-first list; pages of two. */
function fakeQueue(reviews: Review[]) {
  return vi.fn(async ({ filter, pageToken = '' }: { filter?: ReviewFilter; pageSize?: number; pageToken?: string }) => {
    const shown = reviews.filter((r) =>
      filter === ReviewFilter.REVIEW_FILTER_HIDDEN ? r.state === ReviewState.REVIEW_STATE_HIDDEN : r.state !== ReviewState.REVIEW_STATE_HIDDEN && !r.moderateTime,
    );
    const start = Number(pageToken || 0);
    return { reviews: shown.slice(start, start + 2), nextPageToken: start + 2 < shown.length ? String(start + 2) : '' };
  });
}

const fakeApi = (reviews: Review[], admin: Record<string, unknown> = {}) => ({
  admin: {
    reviews: fakeQueue(reviews),
    user: vi.fn(async (userId: string) => ({ user: { id: userId, email: `${userId.slice(2)}@example.com` }, profiles: [{ id: `p-${userId.slice(2)}`, name: 'Main' }] })),
    ...admin,
  },
  movies: { batchGet: vi.fn(async (ids: string[]) => ({ movies: ids.filter((id) => TITLES[id]).map((id) => ({ id, title: TITLES[id] })), missingIds: [], restrictedIds: [] })) },
});

const card = (name: string) => screen.getByRole('article', { name });

describe('Studio: Reviews', () => {
  it('lists the reviews awaiting moderation newest first with title, stars, text, reviewer and date; loads more; filters by state', async () => {
    const api = fakeApi([
      review('r3', 'm3', 2, 'Too long by an hour.', 30),
      review('r2', 'm2', 5, 'Charming from start to end.', 20),
      review('r1', 'm1', 4, 'A wonderful trip.', 10),
      review('r0', 'm1', 1, 'Nope.', 5, { state: ReviewState.REVIEW_STATE_HIDDEN, moderationReason: 'Insults another viewer', moderateTime: '2026-05-01T11:00:00Z' }),
    ]);
    const { router } = renderStudio('/admin/reviews', api, { routes });

    expect(await screen.findByRole('heading', { level: 1, name: 'Reviews' })).toBeTruthy();
    const heat = await screen.findByRole('article', { name: 'Heat' });
    expect(within(heat).getByRole('img', { name: '2 out of 5 stars' })).toBeTruthy();
    expect(within(heat).getByText('Too long by an hour.')).toBeTruthy();
    expect(within(heat).getByText('New')).toBeTruthy();
    expect(await within(heat).findByRole('link', { name: 'r3@example.com' })).toBeTruthy();
    expect(within(heat).getByText(/profile “Main”/)).toBeTruthy();
    expect(within(heat).getByText(/2026/)).toBeTruthy();
    // Newest first, as the API answers.
    expect(screen.getAllByRole('article').map((a) => within(a).getByRole('heading').textContent)).toEqual(['Heat', 'Amélie']);
    expect(api.admin.reviews).toHaveBeenCalledWith({ filter: ReviewFilter.REVIEW_FILTER_AWAITING_MODERATION, pageSize: 20, pageToken: '' });
    expect(api.movies.batchGet).toHaveBeenCalledWith(['m2', 'm3']);

    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect(await screen.findByRole('article', { name: 'Interstellar' })).toBeTruthy();
    expect(screen.getAllByRole('article')).toHaveLength(3);
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
    expect(screen.queryByText('Nope.')).toBeNull();

    fireEvent.change(screen.getByRole('combobox', { name: 'Show' }), { target: { value: 'rejected' } });
    await waitFor(() => expect(router.state.location.search).toBe('?show=rejected'));
    expect(await screen.findByText('Nope.')).toBeTruthy();
    await waitFor(() => expect(screen.getAllByRole('article')).toHaveLength(1));
    const rejected = card('Interstellar');
    expect(within(rejected).getByText('Rejected')).toBeTruthy();
    expect(within(rejected).getByText('Insults another viewer')).toBeTruthy();
    // Approving a rejected review publishes it again.
    expect(within(rejected).getByRole('button', { name: 'Approve the review of Interstellar' })).toBeTruthy();
    expect(within(rejected).queryByRole('button', { name: /Reject/ })).toBeNull();
    expect(api.admin.reviews).toHaveBeenLastCalledWith({ filter: ReviewFilter.REVIEW_FILTER_HIDDEN, pageSize: 20, pageToken: '' });
  });

  it('rejecting asks for a reason (a field error without one), then removes the review and moves focus to the next', async () => {
    const rejectReview = vi.fn(async (id: string, reason: string) => ({
      ...review(id, 'm3', 2, 'Too long by an hour.', 30),
      state: ReviewState.REVIEW_STATE_HIDDEN,
      moderationReason: reason,
      moderateTime: '2026-05-01T12:00:00Z',
    }));
    const api = fakeApi([review('r3', 'm3', 2, 'Too long by an hour.', 30), review('r2', 'm2', 5, 'Charming.', 20)], { rejectReview });
    renderStudio('/admin/reviews', api, { routes });

    const heat = await screen.findByRole('article', { name: 'Heat' });
    fireEvent.click(within(heat).getByRole('button', { name: 'Reject the review of Heat' }));
    const form = within(heat).getByRole('form', { name: /Reject this review of Heat\?/ });
    const reason = within(form).getByRole('textbox', { name: 'Reason for rejecting' });
    expect(document.activeElement).toBe(reason);

    fireEvent.click(within(form).getByRole('button', { name: 'Reject review' }));
    expect(reason.getAttribute('aria-invalid')).toBe('true');
    const error = document.getElementById(reason.getAttribute('aria-describedby')!.split(' ').pop()!)!;
    expect(error.textContent).toMatch(/Give a reason/);
    expect(rejectReview).not.toHaveBeenCalled();
    expect(document.activeElement).toBe(reason);

    fireEvent.change(reason, { target: { value: 'Off topic' } });
    expect(reason.getAttribute('aria-invalid')).toBeNull();
    fireEvent.click(within(form).getByRole('button', { name: 'Reject review' }));

    await waitFor(() => expect(screen.queryByRole('article', { name: 'Heat' })).toBeNull());
    expect(rejectReview).toHaveBeenCalledWith('r3', 'Off topic');
    await waitFor(() => expect(document.activeElement).toBe(card('Amélie')));
    expect(screen.getByText(/Rejected the review of Heat; viewers no longer see it\./)).toBeTruthy();
    // Updated in place, not reloaded.
    expect(api.admin.reviews).toHaveBeenCalledTimes(1);
  });

  it('shows the API’s reason error beside the field, and Cancel returns focus to Reject', async () => {
    const rejectReview = vi.fn(async () => {
      throw apiError(400, Code.INVALID_ARGUMENT, 'reason: say why the review is flagged or hidden', [{ field: 'reason', description: 'say why the review is flagged or hidden' }]);
    });
    renderStudio('/admin/reviews', fakeApi([review('r1', 'm1', 4, 'A wonderful trip.', 10)], { rejectReview }), { routes });

    const trip = await screen.findByRole('article', { name: 'Interstellar' });
    fireEvent.click(within(trip).getByRole('button', { name: 'Reject the review of Interstellar' }));
    const reason = within(trip).getByRole('textbox', { name: 'Reason for rejecting' });
    fireEvent.change(reason, { target: { value: '   .' } });
    fireEvent.click(within(trip).getByRole('button', { name: 'Reject review' }));
    await waitFor(() => expect(reason.getAttribute('aria-invalid')).toBe('true'));
    expect(within(trip).getByText('say why the review is flagged or hidden')).toBeTruthy();
    expect(screen.getByRole('article', { name: 'Interstellar' })).toBeTruthy();

    fireEvent.click(within(trip).getByRole('button', { name: 'Cancel' }));
    expect(within(trip).queryByRole('textbox')).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(within(trip).getByRole('button', { name: 'Reject the review of Interstellar' })));
  });

  it('approving removes the review from the queue; the last one leaves the empty state with focus on the list heading', async () => {
    const approveReview = vi.fn(async (id: string) => ({ ...review(id, 'm1', 4, 'A wonderful trip.', 10), moderateTime: '2026-05-01T12:00:00Z' }));
    renderStudio('/admin/reviews', fakeApi([review('r1', 'm1', 4, 'A wonderful trip.', 10)], { approveReview }), { routes });

    fireEvent.click(await screen.findByRole('button', { name: 'Approve the review of Interstellar' }));
    expect(await screen.findByText('Nothing awaits moderation.')).toBeTruthy();
    expect(approveReview).toHaveBeenCalledWith('r1');
    expect(screen.getByText(/Approved the review of Interstellar\./)).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('heading', { level: 2, name: 'Awaiting moderation' })));
  });

  it('shows why the queue could not load, with a way to try again', async () => {
    const reviews = vi
      .fn()
      .mockRejectedValueOnce(apiError(503, Code.UNAVAILABLE, 'engagement is unavailable'))
      .mockResolvedValue({ reviews: [], nextPageToken: '' });
    renderStudio('/admin/reviews', { admin: { reviews }, movies: { batchGet: vi.fn() } }, { routes });

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/The reviews could not be loaded\./);
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('Nothing awaits moderation.')).toBeTruthy();
  });
});
