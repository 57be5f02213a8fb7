import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { UploadError, type UploadProgress } from '../../api/admin/titles';
import { Code } from '../../api/errors';
import { AssetStatus, MovieStatus, type Movie } from '../../api/gen/flix/catalog/v1/resources';
import { apiError, renderStudio } from '../test-support';
import { movie, titleRoutes, video } from './titles-test-support';

const invalid = (fields: [string, string][]) =>
  apiError(400, Code.INVALID_ARGUMENT, `${fields[0]![0]}: ${fields[0]![1]}`, fields.map(([field, description]) => ({ field, description })));

const described = (el: HTMLElement) =>
  (el.getAttribute('aria-describedby') ?? '')
    .split(' ')
    .map((id) => document.getElementById(id)?.textContent)
    .join(' ');

// Whole forms and a live upload: more than the default 5 s when the machine is busy.
describe('Studio: title editor', () => {
  it('shows the catalog’s refusals beside each field, then creates the draft and opens its editor', async () => {
    const created = movie({ id: 'm-new', title: 'Velvet Cartographer' });
    const createTitle = vi
      .fn()
      .mockRejectedValueOnce(
        invalid([
          ['title', 'is required'],
          ['genres[0]', 'unknown genre "Dramedy" (known: Action, Drama)'],
          ['artwork.thumbnailUrl', 'must be an http(s) URL'],
          ['requiredPlan', 'a title needs a plan tier, a rental price, or both'],
        ]),
      )
      .mockResolvedValueOnce(created);
    const { router } = renderStudio('/admin/titles/new', { admin: { createTitle, title: vi.fn(async () => created) } }, { routes: titleRoutes });

    await screen.findByRole('heading', { name: 'New title' });
    fireEvent.change(screen.getByLabelText('Genres'), { target: { value: 'Dramedy, ' } });
    fireEvent.change(screen.getByLabelText('Release year'), { target: { value: '2025' } });
    fireEvent.change(screen.getByLabelText('Runtime (minutes)'), { target: { value: '112' } });
    fireEvent.change(screen.getByLabelText('Thumbnail URL'), { target: { value: 'ftp://poster' } });
    fireEvent.change(screen.getByLabelText('Required plan'), { target: { value: 'PLAN_TIER_UNSPECIFIED' } });
    fireEvent.change(screen.getByLabelText('Available from'), { target: { value: '2026-12-01T20:00' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create title' }));

    const title = screen.getByLabelText('Title');
    await waitFor(() => expect(title.getAttribute('aria-invalid')).toBe('true'));
    expect(described(title)).toContain('is required');
    expect(document.activeElement).toBe(title);
    expect(described(screen.getByLabelText('Genres'))).toContain('unknown genre "Dramedy"');
    expect(described(screen.getByLabelText('Thumbnail URL'))).toContain('must be an http(s) URL');
    expect(described(screen.getByLabelText('Required plan'))).toContain('a plan tier, a rental price, or both');
    expect(screen.getByLabelText('Synopsis').getAttribute('aria-invalid')).toBeNull();
    expect(screen.getByRole('alert').textContent).toMatch(/check the 4 fields marked below/);
    expect(createTitle).toHaveBeenLastCalledWith(
      expect.objectContaining({
        title: '',
        genres: ['Dramedy'],
        releaseYear: 2025,
        runtimeMinutes: 112,
        audioLanguages: ['en'],
        requiredPlan: 'PLAN_TIER_UNSPECIFIED',
        rentalPrice: undefined,
        artwork: { thumbnailUrl: 'ftp://poster', backdropUrl: '' },
        availableFrom: new Date('2026-12-01T20:00').toISOString(),
      }),
    );

    fireEvent.change(title, { target: { value: 'Velvet Cartographer' } });
    fireEvent.change(screen.getByLabelText('Rental price'), { target: { value: '3.99' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create title' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/admin/titles/m-new'));
    expect(createTitle).toHaveBeenLastCalledWith(expect.objectContaining({ rentalPrice: { amountMinor: '399', currency: 'USD' } }));
    expect(await screen.findByText(/Velvet Cartographer is created as a draft/)).toBeTruthy();
    expect(await screen.findByText('No video yet. Upload the film’s file; Mux makes the streams.')).toBeTruthy();
  });

  it('says what is wrong with a rental price before asking the catalog', async () => {
    const createTitle = vi.fn();
    renderStudio('/admin/titles/new', { admin: { createTitle } }, { routes: titleRoutes });
    fireEvent.change(await screen.findByLabelText('Rental price'), { target: { value: 'cheap' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create title' }));
    expect(await screen.findByText('Enter an amount such as 3.99')).toBeTruthy();
    expect(createTitle).not.toHaveBeenCalled();
  });

  it('saves only the fields that changed (an emptied field is cleared)', async () => {
    const m = movie({ subtitleLanguages: ['fr'] });
    const updateTitle = vi.fn(async (next: Partial<Movie>) => ({ ...m, ...next }));
    renderStudio('/admin/titles/m-1', { admin: { title: vi.fn(async () => m), updateTitle } }, { routes: titleRoutes });
    const synopsis = await screen.findByLabelText('Synopsis');
    fireEvent.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(await screen.findByText('Nothing to save: no field has changed.')).toBeTruthy();
    fireEvent.change(synopsis, { target: { value: 'A keeper, a storm, a ship.' } });
    fireEvent.change(screen.getByLabelText('Subtitle languages'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Backdrop URL'), { target: { value: 'https://img.example/b.jpg' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(await screen.findByText('Changes saved.')).toBeTruthy();
    expect(updateTitle).toHaveBeenCalledWith(expect.objectContaining({ id: 'm-1', description: 'A keeper, a storm, a ship.', subtitleLanguages: [] }), [
      'description',
      'subtitleLanguages',
      'artwork.backdropUrl',
    ]);
  });

  it('uploads the file with a progress bar, can cancel, and follows the video to ready without a reload', async () => {
    let current = movie();
    const title = vi.fn(async () => current);
    const createTitleUpload = vi.fn(async () => {
      current = movie({ video: video(AssetStatus.ASSET_STATUS_WAITING) });
      return { uploadId: 'up-1', uploadUrl: 'http://mux.test/upload/up-1', movie: current };
    });
    let report: (p: UploadProgress) => void = () => undefined;
    let finish: () => void = () => undefined;
    const putVideoFile = vi.fn(
      (_url: string, _file: Blob, opts: { onProgress?: (p: UploadProgress) => void; signal?: AbortSignal }) =>
        new Promise<void>((resolve, reject) => {
          report = (p) => opts.onProgress?.(p);
          finish = resolve;
          opts.signal?.addEventListener('abort', () => reject(new UploadError('The upload was cancelled.', true)));
        }),
    );
    renderStudio('/admin/titles/m-1', { admin: { title, createTitleUpload, putVideoFile } }, { routes: titleRoutes });

    const input = await screen.findByLabelText('Video file');
    expect(screen.getByRole('button', { name: 'Upload video' })).toHaveProperty('disabled', true);
    const file = new File([new Uint8Array(2048)], 'lighthouse.mp4', { type: 'video/mp4' });
    fireEvent.change(input, { target: { files: [file] } });
    expect(screen.getByText('lighthouse.mp4, 2 KB')).toBeTruthy();

    // First try: cancelled half-way.
    fireEvent.click(screen.getByRole('button', { name: 'Upload video' }));
    const bar = await screen.findByRole('progressbar', { name: 'Uploading to Mux' });
    expect(createTitleUpload).toHaveBeenCalledWith('m-1', window.location.origin);
    expect(putVideoFile).toHaveBeenCalledWith('http://mux.test/upload/up-1', file, expect.anything());
    act(() => report({ loaded: 1024, total: 2048 }));
    expect(bar.getAttribute('value')).toBe('50');
    expect(screen.getByText('50% · 1 KB of 2 KB')).toBeTruthy();
    expect(screen.getByTestId('video-status').textContent).toBe('Waiting for upload');
    fireEvent.click(screen.getByRole('button', { name: 'Cancel upload' }));
    expect(await screen.findByText(/The upload was cancelled/)).toBeTruthy();
    expect(screen.queryByRole('progressbar')).toBeNull();

    // Second try: the file arrives, then Mux processes it and the badge follows.
    fireEvent.click(screen.getByRole('button', { name: 'Upload video' }));
    await screen.findByRole('progressbar');
    act(() => report({ loaded: 2048, total: 2048 }));
    current = movie({ video: video(AssetStatus.ASSET_STATUS_PROCESSING) });
    await act(async () => finish());
    expect(await screen.findByText('The file is uploaded. Mux is processing it.')).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId('video-status').textContent).toBe('Processing'));
    current = movie({ video: video(AssetStatus.ASSET_STATUS_READY) });
    await waitFor(() => expect(screen.getByTestId('video-status').textContent).toBe('Ready'), { timeout: 4000 });
    expect(screen.getByText('2:05')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Publish' })).toHaveProperty('disabled', false);
    expect(screen.getByRole('button', { name: 'Upload a new video' })).toBeTruthy();
  });

  it('disables Publish with the reason until the video is ready, shows the catalog’s refusal, and archives after a confirmation', async () => {
    let current = movie({ video: video(AssetStatus.ASSET_STATUS_ERRORED, { errors: ['The file is not a video.'] }) });
    const publishTitle = vi.fn().mockRejectedValueOnce(
      apiError(400, Code.INVALID_ARGUMENT, 'availableUntil: is in the past: the title could never be watched', [
        { field: 'availableUntil', description: 'is in the past: the title could never be watched' },
      ], 'NOT_PUBLISHABLE'),
    );
    const archiveTitle = vi.fn(async () => (current = { ...current, status: MovieStatus.MOVIE_STATUS_ARCHIVED }));
    const { unmount } = renderStudio('/admin/titles/m-1', { admin: { title: vi.fn(async () => current), publishTitle, archiveTitle } }, { routes: titleRoutes });

    const publish = await screen.findByRole('button', { name: 'Publish' });
    expect(publish).toHaveProperty('disabled', true);
    expect(described(publish)).toBe('Publishing needs a ready video (now: errored).');
    expect(screen.getByText('The file is not a video.')).toBeTruthy();
    unmount();

    current = movie({ video: video(AssetStatus.ASSET_STATUS_READY) });
    renderStudio('/admin/titles/m-1', { admin: { title: vi.fn(async () => current), publishTitle, archiveTitle } }, { routes: titleRoutes });
    fireEvent.click(await screen.findByRole('button', { name: 'Publish' }));
    expect(await screen.findByText('The catalog did not publish the title.')).toBeTruthy();
    expect(screen.getByText('Is in the past: the title could never be watched.')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Archive The Quiet Lighthouse' }));
    expect(archiveTitle).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: 'Yes, archive The Quiet Lighthouse' }));
    expect(await screen.findByText('The Quiet Lighthouse is archived: viewers no longer see it.')).toBeTruthy();
    expect(archiveTitle).toHaveBeenCalledWith('m-1');
    expect(screen.getByRole('button', { name: 'Publish again' })).toBeTruthy();
    expect(screen.getByText('This title is archived. Publish it again before editing it.')).toBeTruthy();
  });
});
