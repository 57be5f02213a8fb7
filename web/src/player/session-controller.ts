/**
 * One playback session, from StartSession to its one stop: heartbeats at the cadence the API
 * sets, token refreshes before expiry, and the backend ending the session mid-play. No React
 * and no DOM here (the video is read through `probe`), so it is tested with fake timers.
 */
import type { Api } from '../api/client';
import type { StartSessionRequest, StartSessionResponse } from '../api/gen/flix/playback/v1/playback_service';
import { heartbeatBody, nextHeartbeatDelayMs, RebufferMeter, retryDelayMs, tokenRefreshDelayMs, type MediaProbe } from './heartbeat';
import { tokenOf } from './playback-token';
import { sessionIsOver } from './problems';

export type SessionApi = Pick<Api['playback'], 'start' | 'heartbeat' | 'refreshTokens' | 'stop'>;

export type SessionStatus =
  | { kind: 'starting' }
  | { kind: 'refused'; error: unknown }
  | { kind: 'live'; session: StartSessionResponse; completed: boolean }
  /** The backend ended it (entitlement withdrawn, replaced, expired): nothing left to stop. */
  | { kind: 'over'; session: StartSessionResponse; error: unknown }
  | { kind: 'stopped'; session: StartSessionResponse };

interface StreamCredentials {
  url: string;
  token: string | undefined;
  expiresAt: string | undefined;
}

export interface SessionControllerOptions {
  api: SessionApi;
  request: StartSessionRequest;
  probe: () => MediaProbe;
  onStatus: (status: SessionStatus) => void;
}

export class PlaybackSessionController {
  /** Fed by the video's events; read and reset by each heartbeat. */
  readonly rebuffer = new RebufferMeter();
  private status: SessionStatus = { kind: 'starting' };
  private session: StartSessionResponse | undefined;
  private credentials: StreamCredentials | undefined;
  private stopped = false;
  /** The one stop request, once sent (later callers wait for the same). */
  private stopping: Promise<void> | undefined;
  private heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  private tokenTimer: ReturnType<typeof setTimeout> | undefined;
  private beating = false;
  private beatAgain = false;
  private heartbeatFailures = 0;
  private tokenFailures = 0;
  private refreshing: Promise<boolean> | undefined;

  constructor(private readonly opts: SessionControllerOptions) {}

  getStatus(): SessionStatus {
    return this.status;
  }

  /** The master playlist URL as StartSession gave it. */
  get playbackUrl(): string | undefined {
    return this.credentials?.url;
  }

  /** The newest playback token: every playlist and segment request carries it. */
  readonly currentToken = (): string | undefined => this.credentials?.token;

  async start(): Promise<void> {
    let session: StartSessionResponse;
    try {
      session = await this.opts.api.start(this.opts.request);
    } catch (error) {
      if (!this.stopped) this.setStatus({ kind: 'refused', error });
      return;
    }
    this.session = session;
    if (this.stopped) {
      // The viewer left while it was starting: end it at once, position unknown (the start's).
      this.opts.api.stop(session.sessionId, 0, true).catch(() => undefined);
      return;
    }
    this.credentials = { url: session.playbackUrl, token: tokenOf(session.playbackUrl) ?? session.playbackToken, expiresAt: session.expiresAt };
    this.setStatus({ kind: 'live', session, completed: false });
    this.scheduleHeartbeat(nextHeartbeatDelayMs(undefined, session));
    this.scheduleTokenRefresh();
  }

  /** A heartbeat now (pause, end of a seek); one already in flight is followed by one more, not more. */
  pulse(): void {
    void this.heartbeat();
  }

  /** New tokens now (a heartbeat asked, or a segment was refused); concurrent calls share one request. */
  refreshTokens(): Promise<boolean> {
    if (this.status.kind !== 'live') return Promise.resolve(false);
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /**
   * Ends the session once, whatever asks (leaving the page, closing the tab, the end of the
   * film). Always sent with keepalive: leaving the player is usually followed by a navigation
   * or a closing tab, which would cancel an ordinary request. Resolves when the backend has
   * answered (or failed to).
   */
  stop(positionSeconds?: number): Promise<void> {
    if (this.stopped) return this.stopping ?? Promise.resolve();
    this.stopped = true;
    this.clearTimers();
    const session = this.session;
    if (!session || this.status.kind !== 'live') return Promise.resolve(); // Not started yet: start() stops it when it answers.
    const position = positionSeconds ?? this.opts.probe().positionSeconds;
    this.setStatus({ kind: 'stopped', session });
    // A lost stop costs little: the backend ends a silent session after staleAfterSeconds.
    this.stopping = this.opts.api.stop(session.sessionId, Number.isFinite(position) && position > 0 ? position : 0, true).then(
      () => undefined,
      () => undefined,
    );
    return this.stopping;
  }

  private async heartbeat(): Promise<void> {
    const status = this.status;
    if (status.kind !== 'live') return;
    if (this.beating) {
      this.beatAgain = true;
      return;
    }
    clearTimeout(this.heartbeatTimer);
    this.beating = true;
    const session = status.session;
    const stalled = this.rebuffer.stalled;
    const rebufferMs = this.rebuffer.take(Date.now());
    let delay: number;
    try {
      const res = await this.opts.api.heartbeat(session.sessionId, heartbeatBody(this.opts.probe(), stalled, rebufferMs));
      if (this.status.kind !== 'live') return;
      this.heartbeatFailures = 0;
      if (res.completed && !this.status.completed) this.setStatus({ ...this.status, completed: true });
      if (res.refreshTokens) void this.refreshTokens();
      delay = nextHeartbeatDelayMs(res, session);
    } catch (error) {
      if (this.status.kind !== 'live') return;
      if (sessionIsOver(error)) return this.over(error);
      // Passing trouble (network, 5xx): keep playing, report this stretch's rebuffering next time.
      this.rebuffer.giveBack(rebufferMs);
      this.heartbeatFailures += 1;
      delay = retryDelayMs(this.heartbeatFailures, session);
    } finally {
      this.beating = false;
    }
    if (this.beatAgain) {
      this.beatAgain = false;
      void this.heartbeat();
    } else {
      this.scheduleHeartbeat(delay);
    }
  }

  private async doRefresh(): Promise<boolean> {
    const status = this.status;
    if (status.kind !== 'live') return false;
    clearTimeout(this.tokenTimer);
    try {
      const tokens = await this.opts.api.refreshTokens(status.session.sessionId);
      if (this.status.kind !== 'live') return false;
      const url = tokens.playbackUrl || this.credentials?.url || status.session.playbackUrl;
      this.credentials = { url, token: tokenOf(tokens.playbackUrl) ?? (tokens.playbackToken || this.credentials?.token), expiresAt: tokens.expiresAt };
      this.tokenFailures = 0;
      this.scheduleTokenRefresh();
      return true;
    } catch (error) {
      if (this.status.kind !== 'live') return false;
      if (sessionIsOver(error)) {
        this.over(error);
        return false;
      }
      this.tokenFailures += 1;
      this.tokenTimer = setTimeout(() => void this.refreshTokens(), retryDelayMs(this.tokenFailures, status.session));
      return false;
    }
  }

  private over(error: unknown): void {
    if (this.status.kind !== 'live') return;
    this.stopped = true; // The backend has ended it; a stop would only be refused.
    this.clearTimers();
    this.setStatus({ kind: 'over', session: this.status.session, error });
  }

  private scheduleHeartbeat(delayMs: number): void {
    clearTimeout(this.heartbeatTimer);
    if (this.status.kind === 'live') this.heartbeatTimer = setTimeout(() => void this.heartbeat(), delayMs);
  }

  private scheduleTokenRefresh(): void {
    clearTimeout(this.tokenTimer);
    const delay = tokenRefreshDelayMs(this.credentials?.expiresAt, Date.now());
    if (delay !== undefined && this.status.kind === 'live') this.tokenTimer = setTimeout(() => void this.refreshTokens(), delay);
  }

  private clearTimers(): void {
    clearTimeout(this.heartbeatTimer);
    clearTimeout(this.tokenTimer);
  }

  private setStatus(status: SessionStatus): void {
    this.status = status;
    this.opts.onStatus(status);
  }
}
