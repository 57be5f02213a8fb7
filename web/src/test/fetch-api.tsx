/**
 * Component tests one level lower than FakeApi: the real API client (api/client.ts over
 * HttpClient) against a faked `fetch`, so a test also proves the method, path, query and body
 * each screen sends match the gateway's routes, and that errors are read from the
 * google.rpc.Status bodies the gateway really answers with.
 */
import type { ReactElement } from 'react';
import { useLocation, type RouteObject } from 'react-router';
import { vi } from 'vitest';
import { createApi } from '../api/client';
import { ApiError, Code } from '../api/errors';
import type { User } from '../api/gen/flix/identity/v1/resources';
import { HttpClient } from '../api/http';
import { Session } from '../auth/session';
import { renderRoutes } from './render';

export interface FetchCall {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  authorization: string | null;
}

/** What a route answers: a JSON body (200), or a status with one. */
export type Answer = { status: number; body?: unknown } | Record<string, unknown>;
export type Route = Answer | ((call: FetchCall) => Answer | Promise<Answer>);

const isStatus = (a: Answer): a is { status: number; body?: unknown } => typeof (a as { status?: unknown }).status === 'number' && Object.keys(a).every((k) => k === 'status' || k === 'body');

/** A google.rpc.Status body as the gateway sends it, with BadRequest field violations when given. */
export function status(httpStatus: number, code: number, message: string, violations: { field: string; description: string }[] = [], reason?: string): Answer {
  const details: Record<string, unknown>[] = [];
  if (reason) details.push({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'flix', metadata: {} });
  if (violations.length) details.push({ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: violations });
  return { status: httpStatus, body: { code, message, details } };
}

/**
 * Installs a fake `fetch` answering `routes` keyed "METHOD /path" (no query string); anything
 * else answers 404 and is recorded, so a test sees a call it did not expect.
 */
export function fakeFetch(routes: Record<string, Route>) {
  const calls: FetchCall[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://flix.test');
    const method = init?.method ?? 'GET';
    const text = typeof init?.body === 'string' ? init.body : undefined;
    const call: FetchCall = {
      method,
      path: url.pathname,
      query: url.searchParams,
      body: text ? (JSON.parse(text) as unknown) : undefined,
      authorization: new Headers(init?.headers).get('authorization'),
    };
    calls.push(call);
    const route = routes[`${method} ${decodeURIComponent(url.pathname)}`];
    if (route === undefined) return json(404, { code: 5, message: `no fake route for ${method} ${url.pathname}`, details: [] });
    const answer = typeof route === 'function' ? await route(call) : route;
    return isStatus(answer) ? json(answer.status, answer.body) : json(200, answer);
  });
  vi.stubGlobal('fetch', fn);
  return { calls, fetch: fn, called: (key: string) => calls.filter((c) => `${c.method} ${decodeURIComponent(c.path)}` === key) };
}

function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? '' : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export const VIEWER: User = {
  id: 'u1',
  email: 'ann@example.com',
  displayName: 'Ann',
  preferredLanguage: 'en',
  roles: [],
  createTime: undefined,
  updateTime: undefined,
  favouriteGenres: [],
  emailVerified: true,
};

/**
 * Renders `element` at `url` with the real client and a real Session (signed in as `user`
 * unless `user` is null), whose sign-out is recorded instead of sent.
 */
export function renderWithFetch(element: ReactElement, { path, url, user = VIEWER, routes = [] }: { path: string; url: string; user?: User | null; routes?: RouteObject[] }) {
  const logout = vi.fn(async (_token: string, _all: boolean) => undefined);
  const session = new Session({
    refresh: () => Promise.reject(new ApiError(401, Code.UNAUTHENTICATED, 'no refresh cookie', undefined, [], undefined)),
    me: async () => user ?? VIEWER,
    logout,
  });
  if (user) session.signedIn(user, { accessToken: 'test-token', expiresIn: 3600 });
  else void session.restore().catch(() => undefined);
  const api = createApi(new HttpClient(session));
  const utils = renderRoutes(
    [
      { path, element },
      ...routes,
      { path: '*', element: <ElsewhereMarker /> },
    ],
    url,
    { api, session },
  );
  return { ...utils, session, logout };
}


/** Where the app went, and the notice it carried. */
function ElsewhereMarker() {
  const location = useLocation();
  const notice = (location.state as { notice?: string } | null)?.notice;
  return (
    <p data-testid="elsewhere">
      {location.pathname}
      {location.search}
      {notice ? ` — ${notice}` : ''}
    </p>
  );
}
