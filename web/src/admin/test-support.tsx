/**
 * Test support for Flix Studio: a fake API injected through ServicesProvider, a signed-in admin
 * (or viewer) session, a fresh QueryClient per render and a memory router over the console's routes.
 */
import { Navigate, type RouteObject } from 'react-router';
import type { Api } from '../api/client';
import { ApiError } from '../api/errors';
import { Role } from '../api/gen/flix/identity/v1/resources';
import type { Session } from '../auth/session';
import { fakeSession, renderRoutes, type FakeApi } from '../test/render';
import PlanFormPage from './plans/PlanFormPage';
import PlansPage from './plans/PlansPage';
import StudioLayout from './StudioLayout';
import UsersPage from './users/UsersPage';

export type { FakeApi };

export const ADMIN = {
  id: 'u-admin',
  email: 'ops@flix.test',
  displayName: 'Ops',
  preferredLanguage: 'en',
  roles: [Role.ROLE_VIEWER, Role.ROLE_ADMIN],
  createTime: '2026-01-02T10:00:00Z',
  updateTime: undefined,
  favouriteGenres: [],
  // A verified address: the shell shows no verification banner.
  emailVerified: true,
};

export const signedInAs = (user: typeof ADMIN = ADMIN): Session => fakeSession({ status: 'signed-in', user: user as never });

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
  return renderRoutes(routes, url, { api: api as unknown as Api, session: signedInAs(user) });
}
