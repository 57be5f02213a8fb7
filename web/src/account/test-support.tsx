/**
 * Test support for the account and library screens: a fake API injected through
 * ServicesProvider, a signed-in session, a fresh QueryClient per render and a memory router.
 */
import type { ReactElement } from 'react';
import type { Api, Movie } from '../api/client';
import { ApiError, Code } from '../api/errors';
import type { AppServices } from '../app/services';
import type { Session } from '../auth/session';
import { fakeSession, renderRoutes, type FakeApi } from '../test/render';

export type { FakeApi };

export const USER = { id: 'u1', email: 'ann@example.com', displayName: 'Ann', preferredLanguage: 'en', roles: [], createTime: undefined, updateTime: undefined };
export const PROFILE = { id: 'p1', name: 'Ann', kids: false };

export const signedIn = (): Session => fakeSession({ status: 'signed-in', user: USER as never });

export const notFound = () => new ApiError(404, Code.NOT_FOUND, 'not found', undefined, [], undefined);
export const unavailable = (message = 'billing is restarting') => new ApiError(503, Code.UNAVAILABLE, message, undefined, [], undefined);

export function movie(id: string, title: string): Movie {
  return { id, title, genres: ['Drama'], artwork: undefined, releaseYear: 2020, maturityRating: 'MATURITY_RATING_PG', partner: undefined } as unknown as Movie;
}

/** A promise with its resolve/reject outside, to hold a call in flight. */
export function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Renders `element` at `url` (matched by `path`) with the fake API; other paths render a
 * marker naming where the app went. The active profile is chosen, as under RequireProfile.
 */
export function renderScreen(element: ReactElement, { api, path, url }: { api: FakeApi; path: string; url: string }) {
  localStorage.setItem(`flix.profile.${USER.id}`, PROFILE.id);
  const fullApi = { profiles: { list: async () => ({ profiles: [PROFILE], nextPageToken: '' }) }, ...api } as unknown as Api;
  const services: AppServices = { api: fullApi, session: signedIn() };
  return renderRoutes(
    [
      { path, element },
      { path: '*', element: <p data-testid="elsewhere">elsewhere</p> },
    ],
    url,
    services,
  );
}
