import { describe, expect, it, vi } from 'vitest';
import { ApiError, Code } from '../api/errors';
import type { User } from '../api/gen/flix/identity/v1/resources';
import { REFRESH_MARGIN_MS, Session, type AuthTransport } from './session';

const user = { id: 'u1', email: 'ann@example.com', displayName: 'Ann' } as User;
const unauthenticated = () => new ApiError(401, Code.UNAUTHENTICATED, 'refresh token already used', 'REFRESH_TOKEN_REUSED', [], undefined);

function harness(overrides: Partial<AuthTransport> = {}) {
  let now = 1_000_000;
  let issued = 0;
  const transport: AuthTransport = {
    refresh: vi.fn(async () => ({ accessToken: `access-${++issued}`, expiresIn: 900 })),
    me: vi.fn(async () => user),
    logout: vi.fn(async () => undefined),
    ...overrides,
  };
  const timers: { fn: () => void; at: number }[] = [];
  const session = new Session(transport, {
    now: () => now,
    setTimer: (fn, ms) => timers.push({ fn, at: now + ms }),
    clearTimer: () => undefined,
  });
  return { session, transport, advance: (ms: number) => (now += ms), timers };
}

describe('Session', () => {
  it('restores a session from the refresh cookie on load', async () => {
    const { session, transport } = harness();
    expect(session.getState().status).toBe('restoring');
    await session.restore();
    expect(session.getState()).toEqual({ status: 'signed-in', user });
    expect(await session.accessToken()).toBe('access-1');
    expect(transport.refresh).toHaveBeenCalledTimes(1);
  });

  it('is signed out when there is no cookie', async () => {
    const { session } = harness({ refresh: vi.fn(async () => Promise.reject(unauthenticated())) });
    await session.restore();
    expect(session.getState()).toEqual({ status: 'signed-out', notice: undefined });
    expect(await session.accessToken()).toBeUndefined();
  });

  it('does not ask for a refresh when this browser never signed in', async () => {
    let remembered = false;
    const transport: AuthTransport = { refresh: vi.fn(), me: vi.fn(), logout: vi.fn() };
    const session = new Session(transport, { hint: { get: () => remembered, set: (v) => void (remembered = v) } });
    await session.restore();
    expect(session.getState().status).toBe('signed-out');
    expect(transport.refresh).not.toHaveBeenCalled();
    session.signedIn(user, { accessToken: 'a', expiresIn: 900 });
    expect(remembered).toBe(true);
  });

  it('refreshes once, shortly before expiry, however many calls ask at the same time', async () => {
    const { session, transport, advance } = harness();
    session.signedIn(user, { accessToken: 'first', expiresIn: 900 });
    expect(await session.accessToken()).toBe('first');
    advance(900_000 - REFRESH_MARGIN_MS + 1);
    const tokens = await Promise.all([session.accessToken(), session.accessToken(), session.accessToken()]);
    expect(tokens).toEqual(['access-1', 'access-1', 'access-1']);
    // Two concurrent rotations of one cookie would look like token theft and revoke the family.
    expect(transport.refresh).toHaveBeenCalledTimes(1);
  });

  it('schedules a refresh ahead of expiry so an idle page stays signed in', () => {
    const { session, timers } = harness();
    session.signedIn(user, { accessToken: 'first', expiresIn: 900 });
    expect(timers.at(-1)!.at).toBe(1_000_000 + 900_000 - REFRESH_MARGIN_MS);
  });

  it('retries a rejected token once with a fresh one', async () => {
    const { session, transport } = harness();
    session.signedIn(user, { accessToken: 'first', expiresIn: 900 });
    expect(await session.tokenRejected('first')).toBe('access-1');
    expect(transport.refresh).toHaveBeenCalledTimes(1);
  });

  it('ends the session with a notice when the refresh token was revoked (reuse detected)', async () => {
    const { session } = harness({ refresh: vi.fn(async () => Promise.reject(unauthenticated())) });
    session.signedIn(user, { accessToken: 'first', expiresIn: 900 });
    expect(await session.tokenRejected('first')).toBeUndefined();
    expect(session.getState()).toEqual({ status: 'signed-out', notice: 'Your session has ended. Please sign in again.' });
  });

  it('keeps the session through a network failure', async () => {
    const down = new ApiError(0, Code.UNAVAILABLE, 'offline', 'NETWORK', [], undefined);
    const { session, advance } = harness({ refresh: vi.fn(async () => Promise.reject(down)) });
    session.signedIn(user, { accessToken: 'first', expiresIn: 900 });
    advance(900_000);
    await expect(session.accessToken()).rejects.toBe(down);
    expect(session.getState().status).toBe('signed-in');
  });

  it('signs out on the server and clears the session', async () => {
    const { session, transport } = harness();
    session.signedIn(user, { accessToken: 'first', expiresIn: 900 });
    await session.logout(true);
    expect(transport.logout).toHaveBeenCalledWith('first', true);
    expect(session.getState().status).toBe('signed-out');
  });

  it('shares tokens and sign-outs between tabs', async () => {
    // Two tabs on one BroadcastChannel: each hears the other's messages.
    const inbox: ((e: MessageEvent) => void)[] = [];
    const tab = (self: number) => ({
      postMessage: (m: unknown) => inbox[1 - self]?.({ data: m } as MessageEvent),
      addEventListener: (_: 'message', l: (e: MessageEvent) => void) => void (inbox[self] = l),
    });
    const transport: AuthTransport = { refresh: vi.fn(), me: vi.fn(), logout: vi.fn(async () => undefined) };
    const a = new Session(transport, { channel: tab(0) });
    const b = new Session(transport, { channel: tab(1) });
    a.signedIn(user, { accessToken: 'from-a', expiresIn: 900 });
    expect(b.getState()).toEqual({ status: 'signed-in', user });
    expect(await b.accessToken()).toBe('from-a');
    await b.logout();
    expect(a.getState().status).toBe('signed-out');
    expect(transport.refresh).not.toHaveBeenCalled();
  });
});
