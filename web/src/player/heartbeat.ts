/**
 * Heartbeat bookkeeping, free of timers and the DOM: what the player reports (state, position,
 * bitrate, rebuffering since the previous heartbeat) and when it reports next.
 */
import { PlayerState } from '../api/gen/flix/playback/v1/resources';

/** What the video element says at one instant. */
export interface MediaProbe {
  positionSeconds: number;
  paused: boolean;
  ended: boolean;
  /** kbps of the rendition playing, 0 when unknown (native HLS). */
  bitrateKbps: number;
}

/** HeartbeatRequest without its session id (proto3 JSON: int64 rebuffer_ms is a string). */
export interface HeartbeatBody {
  positionSeconds: number;
  state: PlayerState;
  bitrateKbps: number;
  rebufferMs: string;
}

/** The backend refuses more rebuffering than this in one heartbeat (playback's MAX_REBUFFER_MS). */
export const MAX_REBUFFER_MS = 10 * 60_000;
const DEFAULT_INTERVAL_SECONDS = 30;
const MIN_INTERVAL_SECONDS = 1;

/**
 * Time spent stalled ('waiting') while the viewer wanted playback: not while paused, not while
 * seeking (the viewer asked for that wait) and not before the first frame (that is start-up time).
 */
export class RebufferMeter {
  private stalledSince: number | null = null;
  private pendingMs = 0;
  private started = false;

  /** 'playing': frames are moving again. */
  playing(now: number): void {
    this.started = true;
    this.settle(now);
  }

  /** 'waiting': out of data. */
  waiting(now: number, media: { paused: boolean; seeking: boolean }): void {
    if (!this.started || media.paused || media.seeking || this.stalledSince !== null) return;
    this.stalledSince = now;
  }

  /** 'pause', 'seeking', 'ended', 'emptied': whatever wait follows is not a rebuffer. */
  interrupted(now: number): void {
    this.settle(now);
  }

  get stalled(): boolean {
    return this.stalledSince !== null;
  }

  /** Milliseconds rebuffered since the previous take (a stall still going on is split at `now`). */
  take(now: number): number {
    let ms = this.pendingMs;
    if (this.stalledSince !== null) {
      ms += Math.max(0, now - this.stalledSince);
      this.stalledSince = now;
    }
    this.pendingMs = 0;
    return Math.min(MAX_REBUFFER_MS, Math.round(ms));
  }

  /** A heartbeat that never arrived: its rebuffering goes into the next one. */
  giveBack(ms: number): void {
    this.pendingMs += ms;
  }

  private settle(now: number): void {
    if (this.stalledSince !== null) this.pendingMs += Math.max(0, now - this.stalledSince);
    this.stalledSince = null;
  }
}

export function playerState(media: Pick<MediaProbe, 'paused' | 'ended'>, stalled: boolean): PlayerState {
  if (media.paused || media.ended) return PlayerState.PLAYER_STATE_PAUSED;
  if (stalled) return PlayerState.PLAYER_STATE_BUFFERING;
  return PlayerState.PLAYER_STATE_PLAYING;
}

export function heartbeatBody(media: MediaProbe, stalled: boolean, rebufferMs: number): HeartbeatBody {
  const position = Number.isFinite(media.positionSeconds) && media.positionSeconds > 0 ? media.positionSeconds : 0;
  const bitrate = Number.isFinite(media.bitrateKbps) && media.bitrateKbps > 0 ? Math.round(media.bitrateKbps) : 0;
  return {
    positionSeconds: Math.round(position * 1000) / 1000,
    state: playerState(media, stalled),
    bitrateKbps: bitrate,
    rebufferMs: String(Math.max(0, Math.min(MAX_REBUFFER_MS, Math.round(rebufferMs)))),
  };
}

/** The session's cadence, as StartSession gave it. */
export interface Cadence {
  heartbeatIntervalSeconds: number;
  staleAfterSeconds: number;
}

/** Seconds the backend allows between heartbeats, kept well inside the point where it ends the session. */
function safeInterval(seconds: number | undefined, cadence: Cadence): number {
  let s = seconds && seconds > 0 ? seconds : cadence.heartbeatIntervalSeconds > 0 ? cadence.heartbeatIntervalSeconds : DEFAULT_INTERVAL_SECONDS;
  if (cadence.staleAfterSeconds > 0) s = Math.min(s, cadence.staleAfterSeconds / 2);
  return Math.max(MIN_INTERVAL_SECONDS, s);
}

/** After a heartbeat: its nextHeartbeatSeconds, else the session's interval. */
export function nextHeartbeatDelayMs(response: { nextHeartbeatSeconds?: number } | undefined, cadence: Cadence): number {
  return Math.round(safeInterval(response?.nextHeartbeatSeconds, cadence) * 1000);
}

/** After a heartbeat that failed (network, 5xx): sooner than usual, backing off, never past the interval. */
export function retryDelayMs(failures: number, cadence: Cadence): number {
  const interval = safeInterval(undefined, cadence) * 1000;
  const backoff = 2000 * 2 ** Math.max(0, failures - 1);
  return Math.round(Math.min(interval, backoff));
}

export const TOKEN_REFRESH_MARGIN_MS = 60_000;
/** Never refresh in a tight loop, even when the new tokens are short-lived. */
const MIN_TOKEN_REFRESH_DELAY_MS = 5_000;

/** When to ask for new tokens: `marginMs` before they expire (undefined: no expiry known). */
export function tokenRefreshDelayMs(expiresAt: string | undefined, nowMs: number, marginMs = TOKEN_REFRESH_MARGIN_MS): number | undefined {
  if (!expiresAt) return undefined;
  const at = Date.parse(expiresAt);
  if (Number.isNaN(at)) return undefined;
  return Math.max(MIN_TOKEN_REFRESH_DELAY_MS, at - marginMs - nowMs);
}
