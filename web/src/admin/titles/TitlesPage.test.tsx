import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { AssetStatus, MovieStatus } from '../../api/gen/flix/catalog/v1/resources';
import { renderStudio } from '../test-support';
import { movie, titleRoutes, video } from './titles-test-support';

const ALL = [
  movie({ id: 'm-draft', title: 'Draft Without Video' }),
  movie({ id: 'm-wait', title: 'Waiting Upload', video: video(AssetStatus.ASSET_STATUS_WAITING) }),
  movie({ id: 'm-pub', title: 'Published Ready', status: MovieStatus.MOVIE_STATUS_PUBLISHED, video: video(AssetStatus.ASSET_STATUS_READY) }),
  movie({ id: 'm-arch', title: 'Archived One', status: MovieStatus.MOVIE_STATUS_ARCHIVED }),
  movie({ id: 'p-1', title: 'Partner Film', source: 'cinemalab', partner: { partnerId: 'cinemalab', partnerName: 'CinemaLab', price: undefined, url: 'https://x.example', lastSeenTime: undefined }, status: MovieStatus.MOVIE_STATUS_PUBLISHED }),
];

type Req = { status?: string; videoStatus?: string; source?: string; q?: string; pageSize?: number; pageToken?: string; orderBy?: string };

/** The catalog's filters over a fixed set, in pages of two. */
function fakeCatalog() {
  const answer = async ({ status = '', videoStatus = '', source = 'flix', q = '', pageToken = '' }: Req) => {
    const matching = ALL.filter(
      (m) =>
        (!status || m.status === `MOVIE_STATUS_${status.toUpperCase()}`) &&
        (!videoStatus || (videoStatus === 'none' ? !m.video : m.video?.status === `ASSET_STATUS_${videoStatus.toUpperCase()}`)) &&
        (source === 'all' || (source === 'flix' ? m.source === 'flix' : m.source !== 'flix')) &&
        (!q || m.title.toLowerCase().includes(q.toLowerCase())),
    );
    const start = Number(pageToken || 0);
    return { movies: matching.slice(start, start + 2), nextPageToken: start + 2 < matching.length ? String(start + 2) : '', totalSize: matching.length };
  };
  return { titles: vi.fn(answer), searchTitles: vi.fn(answer) };
}

const rowTitles = () =>
  screen
    .getAllByRole('row')
    .slice(1)
    .map((r) => within(r).getByRole('link').textContent);

describe('Studio: Titles list', () => {
  it('lists every state, newest change first, pages with More, and links each row to its editor', async () => {
    const api = fakeCatalog();
    const { router } = renderStudio('/admin/titles', { admin: api }, { routes: titleRoutes });
    expect(await screen.findByText('Draft Without Video')).toBeTruthy();
    expect(api.titles).toHaveBeenCalledWith(expect.objectContaining({ orderBy: 'updated', source: 'flix', status: '', videoStatus: '' }));
    expect(screen.getByText(/2 of 4 titles/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'More titles' }));
    await waitFor(() => expect(rowTitles()).toEqual(['Draft Without Video', 'Waiting Upload', 'Published Ready', 'Archived One']));
    expect(screen.queryByRole('button', { name: 'More titles' })).toBeNull();

    const row = screen.getByRole('link', { name: 'Waiting Upload' }).closest('tr')!;
    expect(within(row).getByText('Draft')).toBeTruthy();
    expect(within(row).getByText('Waiting for upload')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'New title' }).getAttribute('href')).toBe('/admin/titles/new');
    fireEvent.click(screen.getByRole('link', { name: 'Published Ready' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/admin/titles/m-pub'));
  });

  it('filters by status, video status and source (kept in the URL), and searches as you type', async () => {
    const api = fakeCatalog();
    const { router } = renderStudio('/admin/titles', { admin: api }, { routes: titleRoutes });
    await screen.findByText('Draft Without Video');

    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'draft' } });
    fireEvent.change(screen.getByLabelText('Video'), { target: { value: 'none' } });
    await waitFor(() => expect(rowTitles()).toEqual(['Draft Without Video']));
    expect(api.titles).toHaveBeenLastCalledWith(expect.objectContaining({ status: 'draft', videoStatus: 'none' }));
    expect(router.state.location.search).toBe('?status=draft&video=none');

    fireEvent.change(screen.getByLabelText('Video'), { target: { value: 'ready' } });
    expect(await screen.findByText('No title matches these filters.')).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Status'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Video'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Source'), { target: { value: 'partners' } });
    await waitFor(() => expect(rowTitles()).toEqual(['Partner Film']));
    expect(screen.getByText('CinemaLab')).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Source'), { target: { value: 'all' } });
    fireEvent.change(screen.getByRole('searchbox', { name: 'Search titles' }), { target: { value: 'archiv' } });
    await waitFor(() => expect(rowTitles()).toEqual(['Archived One']));
    expect(api.searchTitles).toHaveBeenLastCalledWith(expect.objectContaining({ q: 'archiv', source: 'all' }));
    await waitFor(() => expect(router.state.location.search).toBe('?source=all&q=archiv'));
  });

  it('starts from the filters in the URL', async () => {
    const api = fakeCatalog();
    renderStudio('/admin/titles?status=archived', { admin: api }, { routes: titleRoutes });
    await waitFor(() => expect(rowTitles()).toEqual(['Archived One']));
    expect((screen.getByLabelText('Status') as HTMLSelectElement).value).toBe('archived');
  });
});
