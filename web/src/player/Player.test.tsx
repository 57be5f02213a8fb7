import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Api, Movie } from '../api/client';
import { Code, errorFromResponse } from '../api/errors';
import type { StartSessionResponse } from '../api/gen/flix/playback/v1/playback_service';
import { MaxQuality, SessionState, type PlaybackSession } from '../api/gen/flix/playback/v1/resources';
import { ServicesProvider } from '../app/services';
import type { Session } from '../auth/session';
import { attachStream, type StreamOptions } from './hls-loader';
import { Player } from './Player';

vi.mock('./hls-loader', () => ({ attachStream: vi.fn() }));

const attach = vi.mocked(attachStream);
const destroy = vi.fn();

const session: StartSessionResponse = {
  sessionId: 'sess-1',
  playbackUrl: 'http://127.0.0.1:8088/pb.m3u8?token=t1',
  playbackToken: 't1',
  thumbnailUrl: 'http://127.0.0.1:8088/pb/thumbnail.jpg?token=th',
  thumbnailToken: 'th',
  storyboardUrl: '',
  storyboardToken: '',
  expiresAt: new Date(Date.now() + 3 * 3600_000).toISOString(),
  resumePositionSeconds: 125,
  maxQuality: MaxQuality.MAX_QUALITY_HD,
  durationSeconds: 5400,
  heartbeatIntervalSeconds: 15,
  staleAfterSeconds: 90,
  maxConcurrentStreams: 2,
};

const movie = { id: 'demo-000001', title: 'Silent Harbor', rentalPrice: { amountMinor: '399', currency: 'USD' } } as Movie;

const info = (reason: string, metadata: Record<string, string> = {}) => [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'flix.playback', metadata }];

function fakeApi() {
  const playback = {
    start: vi.fn(async () => session),
    heartbeat: vi.fn(async () => ({ state: SessionState.SESSION_STATE_PLAYING, nextHeartbeatSeconds: 15, completed: false, refreshTokens: false })),
    refreshTokens: vi.fn(),
    stop: vi.fn(async () => ({}) as PlaybackSession),
  };
  const movies = { get: vi.fn(async () => movie), similar: vi.fn(async () => ({ recommendations: [], nextPageToken: '' })) };
  return { playback, movies, api: { playback, movies } as unknown as Api };
}

function renderPlayer(fake = fakeApi()) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const router = createMemoryRouter(
    [
      { path: '/watch/:movieId', element: <Player movieId="demo-000001" profileId="prof-1" /> },
      { path: '/title/:movieId', element: <p>Title page</p> },
      { path: '*', element: <p>Elsewhere</p> },
    ],
    { initialEntries: ['/watch/demo-000001'] },
  );
  const view = render(
    <ServicesProvider services={{ api: fake.api, session: {} as unknown as Session }}>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </ServicesProvider>,
  );
  return { ...fake, ...view, router };
}

beforeEach(() => {
  localStorage.setItem('flix.deviceId', 'device-1');
  attach.mockReset();
  destroy.mockReset();
  attach.mockResolvedValue({ bitrateKbps: () => 2500, destroy });
  vi.spyOn(HTMLMediaElement.prototype, 'play').mockResolvedValue(undefined);
  vi.spyOn(HTMLMediaElement.prototype, 'pause').mockImplementation(() => undefined);
});
afterEach(() => vi.restoreAllMocks());

describe('Player refusals', () => {
  it('429: too many screens, the API’s message, try again and manage your plan', async () => {
    const fake = fakeApi();
    fake.playback.start.mockRejectedValueOnce(
      errorFromResponse(429, { code: Code.RESOURCE_EXHAUSTED, message: 'your plan allows 2 concurrent streams and 2 are playing; stop one to start another', details: info('TOO_MANY_STREAMS', { limit: '2' }) }),
    );
    const { playback } = renderPlayer(fake);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveProperty('dataset.testid', 'player-error');
    expect(alert.textContent).toContain('Too many screens');
    expect(alert.textContent).toContain('Your plan allows 2 concurrent streams');
    await waitFor(() => expect(document.activeElement).toBe(alert));
    expect(screen.getByRole('link', { name: 'Manage your plan' }).getAttribute('href')).toBe('/account');
    expect(playback.start).toHaveBeenCalledWith({ movieId: 'demo-000001', profileId: 'prof-1', deviceId: 'device-1' });

    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(playback.start).toHaveBeenCalledTimes(2));
    expect(await screen.findByTestId('player-video')).toBeTruthy();
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
    expect(playback.stop).not.toHaveBeenCalled();
  });

  it('403 not entitled: billing’s reason, see plans and rent for the price', async () => {
    const fake = fakeApi();
    fake.playback.start.mockRejectedValueOnce(
      errorFromResponse(403, { code: Code.PERMISSION_DENIED, message: 'movieId: your plan does not include this title; upgrade your plan or rent it', details: info('NOT_ENTITLED', { reason: 'TIER_TOO_LOW' }) }),
    );
    renderPlayer(fake);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Your plan does not include this title');
    expect(screen.getByRole('link', { name: 'See plans' }).getAttribute('href')).toBe('/plans');
    expect((await screen.findByRole('link', { name: 'Rent for $3.99' })).getAttribute('href')).toBe('/title/demo-000001');
  });

  it('403 maturity: not available on this profile, switch profile', async () => {
    const fake = fakeApi();
    fake.playback.start.mockRejectedValueOnce(
      errorFromResponse(403, { code: Code.PERMISSION_DENIED, message: 'profileId: this profile is limited to PG titles and demo-000001 is rated R', details: info('MATURITY_LIMIT', { limit: 'PG', rating: 'R' }) }),
    );
    renderPlayer(fake);
    expect((await screen.findByRole('alert')).textContent).toContain('Not available on this profile');
    expect(screen.getByRole('link', { name: 'Switch profile' }).getAttribute('href')).toBe('/profiles');
    expect(screen.queryByRole('link', { name: 'See plans' })).toBeNull();
  });
});

describe('Player playback', () => {
  it('plays the session’s URL from the resume point, labelled with the title', async () => {
    renderPlayer();
    await waitFor(() => expect(attach).toHaveBeenCalledTimes(1));
    const [video, opts] = attach.mock.calls[0] as [HTMLVideoElement, StreamOptions];
    expect(video).toBe(screen.getByTestId('player-video'));
    expect(opts.url).toBe(session.playbackUrl);
    expect(opts.startPosition).toBe(125);
    expect(opts.token()).toBe('t1');
    expect(screen.getByText('Resuming at 2:05')).toBeTruthy();
    expect(document.querySelector('[data-session-id="sess-1"]')).not.toBeNull();
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Watching Silent Harbor');
    expect(video.getAttribute('aria-label')).toBe('Silent Harbor');
  });

  it('a heartbeat refused with 403 mid-play stops playback with the API’s message', async () => {
    const fake = fakeApi();
    fake.playback.heartbeat.mockRejectedValueOnce(
      errorFromResponse(403, { code: Code.PERMISSION_DENIED, message: 'the session has ended: your subscription has ended', details: info('ENTITLEMENT_ENDED', { reason: 'SUBSCRIPTION_EXPIRED' }) }),
    );
    renderPlayer(fake);
    await waitFor(() => expect(attach).toHaveBeenCalled());
    const video = screen.getByTestId('player-video');
    fireEvent.pause(video); // a heartbeat goes out at once on pause
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Playback stopped');
    expect(alert.textContent).toContain('Your subscription has ended.');
    expect(screen.getByRole('link', { name: 'See plans' })).toBeTruthy();
    expect(fake.playback.heartbeat).toHaveBeenCalledWith('sess-1', expect.objectContaining({ state: 'PLAYER_STATE_PAUSED', bitrateKbps: 2500 }));
    await waitFor(() => expect(destroy).toHaveBeenCalled());
    expect(fake.playback.stop).not.toHaveBeenCalled();
  });

  it('stops the session once when the tab closes (keepalive), not again on unmount', async () => {
    const { playback, unmount } = renderPlayer();
    await waitFor(() => expect(attach).toHaveBeenCalled());
    act(() => {
      window.dispatchEvent(new Event('pagehide'));
    });
    unmount();
    expect(playback.stop).toHaveBeenCalledTimes(1);
    expect(playback.stop).toHaveBeenCalledWith('sess-1', 125, true);
  });

  it('stops the session when leaving the player, and Escape goes back to the title', async () => {
    const { playback, router } = renderPlayer();
    await waitFor(() => expect(attach).toHaveBeenCalled());
    await userEvent.keyboard('{Escape}');
    await screen.findByText('Title page');
    expect(router.state.location.pathname).toBe('/title/demo-000001');
    expect(playback.stop).toHaveBeenCalledTimes(1);
    expect(playback.stop).toHaveBeenCalledWith('sess-1', 125, true);
  });

  it('at the end: stops the session and offers the title page', async () => {
    const { playback } = renderPlayer();
    await waitFor(() => expect(attach).toHaveBeenCalled());
    const video = screen.getByTestId('player-video');
    Object.defineProperty(video, 'duration', { value: 5400, configurable: true });
    fireEvent.ended(video);
    expect(await screen.findByRole('heading', { name: 'You finished Silent Harbor' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Back to title' }).getAttribute('href')).toBe('/title/demo-000001');
    expect(playback.stop).toHaveBeenCalledWith('sess-1', 5400, true);
    expect(playback.stop).toHaveBeenCalledTimes(1);
  });
});
