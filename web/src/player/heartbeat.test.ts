import { describe, expect, it } from 'vitest';
import { PlayerState } from '../api/gen/flix/playback/v1/resources';
import { heartbeatBody, MAX_REBUFFER_MS, nextHeartbeatDelayMs, playerState, RebufferMeter, retryDelayMs, tokenRefreshDelayMs } from './heartbeat';

const playing = { paused: false, seeking: false };

describe('RebufferMeter', () => {
  it('counts a stall between waiting and playing', () => {
    const m = new RebufferMeter();
    m.playing(0);
    m.waiting(1_000, playing);
    expect(m.stalled).toBe(true);
    m.playing(3_500);
    expect(m.stalled).toBe(false);
    expect(m.take(4_000)).toBe(2_500);
    expect(m.take(5_000)).toBe(0);
  });

  it('ignores waiting before the first frame (start-up), while paused and while seeking', () => {
    const m = new RebufferMeter();
    m.waiting(0, playing);
    m.playing(2_000);
    m.waiting(3_000, { paused: true, seeking: false });
    m.waiting(4_000, { paused: false, seeking: true });
    m.playing(9_000);
    expect(m.take(10_000)).toBe(0);
  });

  it('stops counting when the viewer pauses or seeks during a stall', () => {
    const m = new RebufferMeter();
    m.playing(0);
    m.waiting(1_000, playing);
    m.interrupted(1_400);
    m.playing(8_000);
    expect(m.take(8_000)).toBe(400);
  });

  it('splits a stall still going on across heartbeats', () => {
    const m = new RebufferMeter();
    m.playing(0);
    m.waiting(10_000, playing);
    expect(m.take(12_000)).toBe(2_000);
    expect(m.stalled).toBe(true);
    m.playing(13_000);
    expect(m.take(20_000)).toBe(1_000);
  });

  it('adds several stalls and keeps what a failed heartbeat gives back', () => {
    const m = new RebufferMeter();
    m.playing(0);
    m.waiting(1_000, playing);
    m.playing(1_300);
    m.waiting(2_000, playing);
    m.waiting(2_100, playing); // a second 'waiting' does not restart the clock
    m.playing(2_500);
    const taken = m.take(3_000);
    expect(taken).toBe(800);
    m.giveBack(taken);
    expect(m.take(4_000)).toBe(800);
  });

  it('never reports more than the backend accepts', () => {
    const m = new RebufferMeter();
    m.playing(0);
    m.waiting(0, playing);
    expect(m.take(60 * 60_000)).toBe(MAX_REBUFFER_MS);
  });
});

describe('playerState', () => {
  it('maps the element to the PlayerState enum', () => {
    expect(playerState({ paused: false, ended: false }, false)).toBe(PlayerState.PLAYER_STATE_PLAYING);
    expect(playerState({ paused: false, ended: false }, true)).toBe(PlayerState.PLAYER_STATE_BUFFERING);
    expect(playerState({ paused: true, ended: false }, true)).toBe(PlayerState.PLAYER_STATE_PAUSED);
    expect(playerState({ paused: false, ended: true }, false)).toBe(PlayerState.PLAYER_STATE_PAUSED);
  });
});

describe('heartbeatBody', () => {
  it('sends the real position, the state, whole kbps and rebuffer ms as an int64 string', () => {
    expect(heartbeatBody({ positionSeconds: 125.1234567, paused: false, ended: false, bitrateKbps: 3499.7 }, false, 420.4)).toEqual({
      positionSeconds: 125.123,
      state: 'PLAYER_STATE_PLAYING',
      bitrateKbps: 3500,
      rebufferMs: '420',
    });
  });

  it('sends zeros for what the element does not know yet', () => {
    expect(heartbeatBody({ positionSeconds: Number.NaN, paused: true, ended: false, bitrateKbps: Number.NaN }, false, -3)).toEqual({
      positionSeconds: 0,
      state: 'PLAYER_STATE_PAUSED',
      bitrateKbps: 0,
      rebufferMs: '0',
    });
  });
});

describe('next heartbeat', () => {
  const cadence = { heartbeatIntervalSeconds: 15, staleAfterSeconds: 90 };

  it("follows the response's nextHeartbeatSeconds, else the session's interval", () => {
    expect(nextHeartbeatDelayMs({ nextHeartbeatSeconds: 20 }, cadence)).toBe(20_000);
    expect(nextHeartbeatDelayMs({ nextHeartbeatSeconds: 0 }, cadence)).toBe(15_000);
    expect(nextHeartbeatDelayMs(undefined, cadence)).toBe(15_000);
  });

  it('stays well inside the stale limit and has a floor', () => {
    expect(nextHeartbeatDelayMs({ nextHeartbeatSeconds: 300 }, cadence)).toBe(45_000);
    expect(nextHeartbeatDelayMs({ nextHeartbeatSeconds: 0.1 }, cadence)).toBe(1_000);
    expect(nextHeartbeatDelayMs(undefined, { heartbeatIntervalSeconds: 0, staleAfterSeconds: 0 })).toBe(30_000);
  });

  it('retries failed heartbeats sooner, backing off up to the interval', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, cadence))).toEqual([2_000, 4_000, 8_000, 15_000, 15_000]);
  });
});

describe('tokenRefreshDelayMs', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');

  it('refreshes a minute before the tokens expire', () => {
    expect(tokenRefreshDelayMs('2030-01-01T01:00:00Z', now)).toBe(59 * 60_000);
    expect(tokenRefreshDelayMs('2030-01-01T00:10:00.500Z', now, 30_000)).toBe(570_500);
  });

  it('refreshes soon, not in a loop, when expiry is already close or past', () => {
    expect(tokenRefreshDelayMs('2030-01-01T00:00:30Z', now)).toBe(5_000);
    expect(tokenRefreshDelayMs('2029-12-31T00:00:00Z', now)).toBe(5_000);
  });

  it('has nothing to schedule without a valid expiry', () => {
    expect(tokenRefreshDelayMs(undefined, now)).toBeUndefined();
    expect(tokenRefreshDelayMs('soon', now)).toBeUndefined();
  });
});
