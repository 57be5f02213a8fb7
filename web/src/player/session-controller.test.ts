import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, Code, errorFromResponse } from '../api/errors';
import type { HeartbeatResponse, StartSessionResponse } from '../api/gen/flix/playback/v1/playback_service';
import { MaxQuality, SessionState, type PlaybackSession, type PlaybackTokens } from '../api/gen/flix/playback/v1/resources';
import type { MediaProbe } from './heartbeat';
import { PlaybackSessionController, type SessionApi, type SessionStatus } from './session-controller';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function startResponse(over: Partial<StartSessionResponse> = {}): StartSessionResponse {
  return {
    sessionId: 's1',
    playbackUrl: 'http://video/abc.m3u8?token=t1',
    playbackToken: 't1',
    thumbnailToken: '',
    thumbnailUrl: '',
    storyboardToken: '',
    storyboardUrl: '',
    expiresAt: iso(T0 + 60 * 60_000),
    resumePositionSeconds: 0,
    maxQuality: MaxQuality.MAX_QUALITY_HD,
    durationSeconds: 3600,
    heartbeatIntervalSeconds: 15,
    staleAfterSeconds: 90,
    maxConcurrentStreams: 2,
    ...over,
  };
}

const beat = (over: Partial<HeartbeatResponse> = {}): HeartbeatResponse => ({ state: SessionState.SESSION_STATE_PLAYING, nextHeartbeatSeconds: 15, completed: false, refreshTokens: false, ...over });
const tokens = (token: string, expiresAt: number): PlaybackTokens => ({
  playbackUrl: `http://video/abc.m3u8?token=${token}`,
  playbackToken: token,
  thumbnailUrl: '',
  thumbnailToken: '',
  storyboardUrl: '',
  storyboardToken: '',
  expiresAt: iso(expiresAt),
});

function fakeApi() {
  return {
    start: vi.fn<SessionApi['start']>(async () => startResponse()),
    heartbeat: vi.fn<SessionApi['heartbeat']>(async () => beat()),
    refreshTokens: vi.fn<SessionApi['refreshTokens']>(async () => tokens('t2', T0 + 2 * 60 * 60_000)),
    stop: vi.fn<SessionApi['stop']>(async () => ({}) as PlaybackSession),
  };
}

function setup(api = fakeApi()) {
  const media: MediaProbe = { positionSeconds: 42, paused: false, ended: false, bitrateKbps: 3500 };
  const statuses: SessionStatus[] = [];
  const controller = new PlaybackSessionController({
    api,
    request: { movieId: 'm1', profileId: 'p1', deviceId: 'd1' },
    probe: () => media,
    onStatus: (s) => statuses.push(s),
  });
  return { api, media, statuses, controller, last: () => statuses[statuses.length - 1] };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

describe('PlaybackSessionController', () => {
  it('starts, then sends heartbeats with the real position at the cadence the API sets', async () => {
    const { api, controller, media, last } = setup();
    api.heartbeat.mockResolvedValueOnce(beat({ nextHeartbeatSeconds: 20 }));
    await controller.start();
    expect(api.start).toHaveBeenCalledWith({ movieId: 'm1', profileId: 'p1', deviceId: 'd1' });
    expect(last()).toMatchObject({ kind: 'live', completed: false });

    await vi.advanceTimersByTimeAsync(14_999);
    expect(api.heartbeat).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(api.heartbeat).toHaveBeenLastCalledWith('s1', { positionSeconds: 42, state: 'PLAYER_STATE_PLAYING', bitrateKbps: 3500, rebufferMs: '0' });

    media.positionSeconds = 62;
    media.paused = true;
    await vi.advanceTimersByTimeAsync(19_999);
    expect(api.heartbeat).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(api.heartbeat).toHaveBeenLastCalledWith('s1', expect.objectContaining({ positionSeconds: 62, state: 'PLAYER_STATE_PAUSED' }));
  });

  it('reports rebuffering since the previous heartbeat, and buffering as the state while stalled', async () => {
    const { api, controller } = setup();
    await controller.start();
    controller.rebuffer.playing(Date.now());
    await vi.advanceTimersByTimeAsync(5_000);
    controller.rebuffer.waiting(Date.now(), { paused: false, seeking: false });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(api.heartbeat).toHaveBeenLastCalledWith('s1', expect.objectContaining({ state: 'PLAYER_STATE_BUFFERING', rebufferMs: '10000' }));
    controller.rebuffer.playing(Date.now() + 1_000);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(api.heartbeat).toHaveBeenLastCalledWith('s1', expect.objectContaining({ state: 'PLAYER_STATE_PLAYING', rebufferMs: '1000' }));
  });

  it('sends one heartbeat at once on pulse, and coalesces pulses while one is in flight', async () => {
    const { api, controller } = setup();
    await controller.start();
    let release!: () => void;
    api.heartbeat.mockImplementationOnce(() => new Promise((resolve) => (release = () => resolve(beat()))));
    controller.pulse();
    controller.pulse();
    controller.pulse();
    expect(api.heartbeat).toHaveBeenCalledTimes(1);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(api.heartbeat).toHaveBeenCalledTimes(2);
    // …and the regular cadence resumes from the last one.
    await vi.advanceTimersByTimeAsync(15_000);
    expect(api.heartbeat).toHaveBeenCalledTimes(3);
  });

  it('refreshes tokens a minute before they expire, and serves the newest token', async () => {
    const { api, controller } = setup();
    await controller.start();
    expect(controller.currentToken()).toBe('t1');
    await vi.advanceTimersByTimeAsync(59 * 60_000 - 1);
    expect(api.refreshTokens).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(api.refreshTokens).toHaveBeenCalledWith('s1');
    expect(controller.currentToken()).toBe('t2');
    expect(controller.playbackUrl).toBe('http://video/abc.m3u8?token=t2');
  });

  it('refreshes tokens when a heartbeat says so, one request for concurrent asks', async () => {
    const { api, controller } = setup();
    await controller.start();
    let answer!: () => void;
    api.refreshTokens.mockImplementationOnce(() => new Promise((resolve) => (answer = () => resolve(tokens('t2', T0 + 7_200_000)))));
    api.heartbeat.mockResolvedValueOnce(beat({ refreshTokens: true }));
    await vi.advanceTimersByTimeAsync(15_000);
    expect(api.refreshTokens).toHaveBeenCalledTimes(1);
    const mine = controller.refreshTokens();
    expect(api.refreshTokens).toHaveBeenCalledTimes(1);
    expect(controller.currentToken()).toBe('t1');
    answer();
    expect(await mine).toBe(true);
    expect(controller.currentToken()).toBe('t2');
  });

  it('marks the title completed when a heartbeat says so, and keeps going', async () => {
    const { api, controller, last } = setup();
    await controller.start();
    api.heartbeat.mockResolvedValueOnce(beat({ completed: true }));
    await vi.advanceTimersByTimeAsync(15_000);
    expect(last()).toMatchObject({ kind: 'live', completed: true });
    await vi.advanceTimersByTimeAsync(15_000);
    expect(api.heartbeat).toHaveBeenCalledTimes(2);
  });

  it('ends on a heartbeat 403 (entitlement withdrawn): no more heartbeats, no stop', async () => {
    const { api, controller, last } = setup();
    await controller.start();
    const revoked = errorFromResponse(403, { code: Code.PERMISSION_DENIED, message: 'the session has ended: your subscription has ended' });
    api.heartbeat.mockRejectedValueOnce(revoked);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(last()).toMatchObject({ kind: 'over', error: revoked });
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(api.heartbeat).toHaveBeenCalledTimes(1);
    expect(api.refreshTokens).not.toHaveBeenCalled();
    controller.stop();
    expect(api.stop).not.toHaveBeenCalled();
  });

  it('ends when a token refresh is refused', async () => {
    const { api, controller, last } = setup();
    await controller.start();
    api.refreshTokens.mockRejectedValueOnce(errorFromResponse(400, { code: Code.FAILED_PRECONDITION, message: 'sessionId: session s1 has ended (expired)' }));
    expect(await controller.refreshTokens()).toBe(false);
    expect(last()).toMatchObject({ kind: 'over' });
  });

  it('keeps playing through network failures, retrying sooner and keeping the rebuffer time', async () => {
    const { api, controller } = setup();
    await controller.start();
    controller.rebuffer.playing(Date.now());
    controller.rebuffer.waiting(Date.now(), { paused: false, seeking: false });
    controller.rebuffer.playing(Date.now() + 700);
    const offline = new ApiError(0, Code.UNAVAILABLE, 'offline', 'NETWORK', [], undefined);
    api.heartbeat.mockRejectedValueOnce(offline).mockRejectedValueOnce(offline);
    await vi.advanceTimersByTimeAsync(15_000);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(api.heartbeat).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(api.heartbeat).toHaveBeenCalledTimes(3);
    expect(api.heartbeat).toHaveBeenLastCalledWith('s1', expect.objectContaining({ rebufferMs: '700' }));
    expect(controller.getStatus().kind).toBe('live');
  });

  it('stops exactly once, with the position, and then sends nothing', async () => {
    const { api, controller, media, last } = setup();
    await controller.start();
    media.positionSeconds = 99.5;
    controller.stop();
    controller.stop();
    controller.stop(12);
    expect(api.stop).toHaveBeenCalledTimes(1);
    expect(api.stop).toHaveBeenCalledWith('s1', 99.5, true);
    expect(last()).toMatchObject({ kind: 'stopped' });
    controller.pulse();
    await vi.advanceTimersByTimeAsync(2 * 60 * 60_000);
    expect(api.heartbeat).not.toHaveBeenCalled();
    expect(api.refreshTokens).not.toHaveBeenCalled();
  });

  it('stops a session that answers after the viewer left', async () => {
    const api = fakeApi();
    let answer!: (s: StartSessionResponse) => void;
    api.start.mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)));
    const { controller, statuses } = setup(api);
    const started = controller.start();
    controller.stop();
    expect(api.stop).not.toHaveBeenCalled();
    answer(startResponse({ sessionId: 'late' }));
    await started;
    expect(api.stop).toHaveBeenCalledTimes(1);
    expect(api.stop).toHaveBeenCalledWith('late', 0, true);
    expect(statuses).toEqual([]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(api.heartbeat).not.toHaveBeenCalled();
  });

  it('reports a refused start, and stops nothing', async () => {
    const api = fakeApi();
    const busy = errorFromResponse(429, { code: Code.RESOURCE_EXHAUSTED, message: 'your plan allows 2 concurrent streams' });
    api.start.mockRejectedValueOnce(busy);
    const { controller, last } = setup(api);
    await controller.start();
    expect(last()).toEqual({ kind: 'refused', error: busy });
    controller.stop();
    expect(api.stop).not.toHaveBeenCalled();
  });
});
