/**
 * Test support for Flix Studio: a fake API injected through ServicesProvider, a signed-in admin
 * (or viewer) session, a fresh QueryClient per render and a memory router over the console's routes.
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import { createMemoryRouter, Navigate, RouterProvider, type RouteObject } from 'react-router';
import type { Api } from '../api/client';
import { ApiError } from '../api/errors';
import { Role } from '../api/gen/flix/identity/v1/resources';
import { ServicesProvider, type AppServices } from '../app/services';
import type { Session, SessionState } from '../auth/session';
import PlanFormPage from './PlanFormPage';
import PlansPage from './PlansPage';
import StudioLayout from './StudioLayout';
import UsersPage from './UsersPage';

export type FakeApi = { [K in keyof Api]?: { [M in keyof Api[K]]?: (...args: never[]) => unknown } };

export const ADMIN = {
  id: 'u-admin',
  email: 'ops@flix.test',
  displayName: 'Ops',
  preferredLanguage: 'en',
  roles: [Role.ROLE_VIEWER, Role.ROLE_ADMIN],
  createTime: '2026-01-02T10:00:00Z',
  updateTime: undefined,
  favouriteGenres: [],
};

export function fakeSession(user: typeof ADMIN = ADMIN): Session {
  const state: SessionState = { status: 'signed-in', user: user as never };
  return { getState: () => state, subscribe: () => () => undefined } as unknown as Session;
}

/** A refusal as the gateway sends it, after errorFromResponse read it. */
export const apiError = (status: number, code: number, message: string, violations: { field: string; description: string }[] = [], reason?: string) =>
  new ApiError(status, code, message, reason, violations, undefined);

const studioRoutes: RouteObject[] = [
  {
    path: 'admin',
    element: <StudioLayout />,
    children: [
      { index: true, element: <Navigate to="users" replace /> },
      { path: 'users', element: <UsersPage /> },
      { path: 'plans', element: <PlansPage /> },
      { path: 'plans/new', element: <PlanFormPage /> },
    ],
  },
  { path: '*', element: <p data-testid="elsewhere">elsewhere</p> },
];

export function renderStudio(url: string, api: FakeApi, { routes = studioRoutes, user = ADMIN }: { routes?: RouteObject[]; user?: typeof ADMIN } = {}) {
  const services: AppServices = { api: api as unknown as Api, session: fakeSession(user) };
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const router = createMemoryRouter(routes, { initialEntries: [url] });
  const utils = render(
    <ServicesProvider services={services}>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </ServicesProvider>,
  );
  return { ...utils, router, queryClient };
}
