import { ApiError, Code } from '../api/errors';
import type { TokenSource } from '../api/http';
import type { User } from '../api/gen/flix/identity/v1/resources';

/**
 * The signed-in session, outside React so the HTTP layer and every tab share one truth.
 *
 * The refresh token never reaches page scripts: identity sets it as an httpOnly, SameSite=Strict
 * cookie scoped to /v1/auth (refreshTokenDelivery COOKIE). The access token lives in memory
 * only; a reload gets a new one from the cookie. Refreshes are serialised across tabs with a
 * Web Lock — two tabs rotating the same cookie at once would look like token reuse and revoke
 * the whole family — and a BroadcastChannel shares the result, so one rotation serves all tabs.
 */
export type SessionState =
  | { status: 'restoring' }
  | { status: 'signed-out'; notice?: string }
  | { status: 'signed-in'; user: User };

export interface TokenGrant {
  accessToken: string;
  /** Seconds. */
  expiresIn: number;
}

/** The identity calls the session makes (api/client.ts implements them over HTTP). */
export interface AuthTransport {
  refresh(): Promise<TokenGrant>;
  me(accessToken: string): Promise<User>;
  logout(accessToken: string, allSessions: boolean): Promise<void>;
}

type Broadcast =
  | { type: 'token'; accessToken: string; expiresAt: number; user: User }
  | { type: 'signed-out' };

interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

export interface SessionOptions {
  now?: () => number;
  locks?: LockManagerLike;
  channel?: { postMessage(m: Broadcast): void; addEventListener(t: 'message', l: (e: MessageEvent<Broadcast>) => void): void };
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /**
   * Remembers (in localStorage) that this browser has a session, since scripts cannot see the
   * httpOnly cookie: a visitor who never signed in is not sent to /v1/auth/refresh for a 401.
   */
  hint?: { get(): boolean; set(signedIn: boolean): void };
}

/** Refresh this long before the access token expires (clock skew, slow networks). */
export const REFRESH_MARGIN_MS = 60_000;
const LOCK_NAME = 'flix-session-refresh';

export class Session implements TokenSource {
  private state: SessionState = { status: 'restoring' };
  private token?: { value: string; expiresAt: number };
  private refreshing?: Promise<string | undefined>;
  private timer: unknown;
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;
  private readonly locks?: LockManagerLike;
  private readonly channel?: SessionOptions['channel'];
  private readonly setTimer: NonNullable<SessionOptions['setTimer']>;
  private readonly clearTimer: NonNullable<SessionOptions['clearTimer']>;
  private readonly hint?: SessionOptions['hint'];

  constructor(
    private readonly transport: AuthTransport,
    opts: SessionOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.locks = opts.locks;
    this.channel = opts.channel;
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
    this.hint = opts.hint;
    this.channel?.addEventListener('message', (e) => this.onBroadcast(e.data));
  }

  getState = (): SessionState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** On page load: the cookie, if any, becomes a session. */
  async restore(): Promise<void> {
    if (this.hint && !this.hint.get()) {
      this.setState({ status: 'signed-out' });
      return;
    }
    const token = await this.refreshNow();
    if (!token && this.state.status === 'restoring') this.setState({ status: 'signed-out' });
  }

  /** After login or register (their answers carry the first access token). */
  signedIn(user: User, grant: TokenGrant): void {
    this.adopt(grant.accessToken, this.now() + grant.expiresIn * 1000, user, true);
  }

  /** The user changed (display name, roles): keep the session's copy current. */
  updateUser(user: User): void {
    if (this.state.status === 'signed-in') this.setState({ status: 'signed-in', user });
  }

  async logout(allSessions = false): Promise<void> {
    // The gateway refuses an expired access token before identity could clear the cookie.
    const token = await this.accessToken().catch(() => undefined);
    try {
      if (token) await this.transport.logout(token, allSessions);
    } finally {
      this.end(undefined, true);
    }
  }

  async accessToken(): Promise<string | undefined> {
    if (this.state.status === 'signed-out') return undefined;
    if (this.token && this.token.expiresAt - this.now() > REFRESH_MARGIN_MS) return this.token.value;
    if (this.state.status === 'restoring' && !this.refreshing && !this.token) return undefined;
    return this.refreshNow();
  }

  async tokenRejected(rejected: string): Promise<string | undefined> {
    // Another call may already have replaced it; otherwise it is no good however young it is
    // (its signing key was rotated out, the account was changed).
    if (this.token?.value === rejected) this.token = undefined;
    if (this.token && this.token.expiresAt - this.now() > REFRESH_MARGIN_MS) return this.token.value;
    return this.refreshNow();
  }

  /** One refresh at a time in this tab, and (with Web Locks) across tabs. */
  private refreshNow(): Promise<string | undefined> {
    this.refreshing ??= (async () => {
      try {
        const run = () => this.rotate();
        return await (this.locks ? this.locks.request(LOCK_NAME, run) : run());
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private async rotate(): Promise<string | undefined> {
    // Another tab may have rotated while this one waited for the lock.
    if (this.token && this.token.expiresAt - this.now() > REFRESH_MARGIN_MS) return this.token.value;
    let grant: TokenGrant;
    try {
      grant = await this.transport.refresh();
    } catch (err) {
      if (err instanceof ApiError && err.code === Code.UNAUTHENTICATED) {
        const wasSignedIn = this.state.status === 'signed-in';
        this.end(wasSignedIn ? 'Your session has ended. Please sign in again.' : undefined, wasSignedIn);
        return undefined;
      }
      // Offline or a server hiccup: keep the session; the next call tries again.
      if (this.state.status === 'restoring') this.setState({ status: 'signed-out', notice: 'Flix cannot be reached right now. Please try again.' });
      throw err;
    }
    const expiresAt = this.now() + grant.expiresIn * 1000;
    const user = this.state.status === 'signed-in' ? this.state.user : await this.transport.me(grant.accessToken);
    this.adopt(grant.accessToken, expiresAt, user, true);
    return grant.accessToken;
  }

  private adopt(accessToken: string, expiresAt: number, user: User, announce: boolean): void {
    this.token = { value: accessToken, expiresAt };
    this.hint?.set(true);
    this.setState({ status: 'signed-in', user });
    this.schedule();
    if (announce) this.channel?.postMessage({ type: 'token', accessToken, expiresAt, user });
  }

  private end(notice: string | undefined, announce: boolean): void {
    this.token = undefined;
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
    this.hint?.set(false);
    this.setState({ status: 'signed-out', notice });
    if (announce) this.channel?.postMessage({ type: 'signed-out' });
  }

  /** Refresh ahead of expiry so an idle page (a paused film) still has a valid token. */
  private schedule(): void {
    if (this.timer !== undefined) this.clearTimer(this.timer);
    if (!this.token) return;
    const due = Math.max(this.token.expiresAt - this.now() - REFRESH_MARGIN_MS, 1_000);
    this.timer = this.setTimer(() => {
      this.timer = undefined;
      void this.refreshNow().catch(() => undefined);
    }, due);
  }

  private onBroadcast(m: Broadcast): void {
    if (m.type === 'signed-out') {
      if (this.state.status !== 'signed-out') this.end(undefined, false);
      return;
    }
    if (!this.token || m.expiresAt > this.token.expiresAt) this.adopt(m.accessToken, m.expiresAt, m.user, false);
  }

  private setState(next: SessionState): void {
    this.state = next;
    for (const l of this.listeners) l();
  }
}
