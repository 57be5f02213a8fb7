import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { ViewingEntry } from '../api/client';
import { RequireProfile } from '../app/guards';
import { deferred, movie, notFound, PROFILE, renderScreen, unavailable } from '../account/test-support';
import HistoryPage from './HistoryPage';

const entry = (movieId: string, over: Partial<ViewingEntry> = {}): ViewingEntry => ({
  movieId,
  profileId: PROFILE.id,
  positionSeconds: 600,
  durationSeconds: 6000,
  progress: 0.1,
  completed: false,
  lastWatchedTime: '2030-01-02T10:00:00Z',
  completedTime: undefined,
  timesCompleted: 0,
  ...over,
});

const TITLES = { m1: movie('m1', 'Heat'), m2: movie('m2', 'Alien'), m3: movie('m3', 'Up') };
const batchGet = vi.fn(async (ids: string[]) => ({ movies: ids.flatMap((id) => TITLES[id as keyof typeof TITLES] ?? []), missingIds: [], restrictedIds: [] }));

function renderHistory(playback: Record<string, unknown>, movies: Record<string, unknown> = { batchGet }) {
  return renderScreen(
    <RequireProfile>
      <HistoryPage />
    </RequireProfile>,
    { api: { playback, movies }, path: '/history', url: '/history' },
  );
}

const cards = () => within(screen.getByRole('list')).getAllByRole('listitem');

describe('HistoryPage', () => {
  it('lists entries with their titles, progress and date, paged with Load more', async () => {
    const history = vi.fn(async ({ pageToken }: { pageToken?: string }) =>
      pageToken
        ? { entries: [entry('m3', { completed: true, progress: 1 })], nextPageToken: '' }
        : { entries: [entry('m1'), entry('m2')], nextPageToken: 'next' },
    );
    renderHistory({ history });
    expect(await screen.findByRole('link', { name: /^Heat\s*, 10% watched.*Watched / })).toBeTruthy();
    expect(screen.getAllByText('Stopped at 10:00 of 1:40:00')).toHaveLength(2);
    expect(history).toHaveBeenCalledWith({ profileId: PROFILE.id, pageSize: 24, pageToken: '' });
    expect(batchGet).toHaveBeenCalledWith(['m1', 'm2'], PROFILE.id);
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect(await screen.findByRole('link', { name: /^Up.*Watched/ })).toBeTruthy();
    expect(screen.getByText('Finished')).toBeTruthy();
    expect(cards()).toHaveLength(3);
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
  });

  it('removes an entry at once and puts it back where it was when the call fails', async () => {
    const history = vi.fn(async () => ({ entries: [entry('m1'), entry('m2'), entry('m3')], nextPageToken: '' }));
    const call = deferred<object>();
    const removeFromHistory = vi.fn(() => call.promise);
    renderHistory({ history, removeFromHistory });

    const remove = await screen.findByRole('button', { name: 'Remove Alien from your history' });
    fireEvent.click(remove);
    await waitFor(() => expect(removeFromHistory).toHaveBeenCalledWith('m2', PROFILE.id));

    // Optimistic: gone while the call is in flight; focus on the next title's button.
    await waitFor(() => expect(screen.queryByRole('link', { name: /^Alien/ })).toBeNull());
    expect(cards()).toHaveLength(2);
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Remove Up from your history' }));

    call.reject(unavailable());
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Alien could not be removed');
    expect(alert.textContent).toContain('It is back in your history.');
    // Back in its place, between Heat and Up.
    await waitFor(() => expect(cards()).toHaveLength(3));
    expect(cards().map((li) => within(li).getByRole('link').querySelector('.title-card-name')?.textContent)).toEqual(['Heat', 'Alien', 'Up']);
  });

  it('keeps the removal when the call succeeds and announces it', async () => {
    let entries = [entry('m1'), entry('m2')];
    const history = vi.fn(async () => ({ entries, nextPageToken: '' }));
    const removeFromHistory = vi.fn(async (movieId: string) => {
      entries = entries.filter((e) => e.movieId !== movieId);
      return {};
    });
    renderHistory({ history, removeFromHistory });
    fireEvent.click(await screen.findByRole('button', { name: 'Remove Heat from your history' }));
    expect(await screen.findByText('Removed Heat from your history.')).toBeTruthy();
    await waitFor(() => expect(history).toHaveBeenCalledTimes(2)); // refetched after the change
    expect(cards()).toHaveLength(1);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('keeps an entry whose title is gone, so it can still be removed', async () => {
    const history = vi.fn(async () => ({ entries: [entry('m1'), entry('gone')], nextPageToken: '' }));
    renderHistory({ history });
    expect(await screen.findByRole('link', { name: /^Heat/ })).toBeTruthy();
    expect(screen.getByText('Title no longer available')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Remove Unavailable title from your history' })).toBeTruthy();
  });

  it('shows an empty state with ways to find something to watch', async () => {
    renderHistory({ history: async () => ({ entries: [], nextPageToken: '' }) });
    expect(await screen.findByText('Nothing watched yet')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Go to Home' }).getAttribute('href')).toBe('/browse');
    expect(screen.getByRole('link', { name: 'Search titles' }).getAttribute('href')).toBe('/search');
  });
});
