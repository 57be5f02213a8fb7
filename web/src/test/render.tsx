/**
 * Rendering a screen as the app does, for component tests: the given services (a fake API and
 * session), a fresh QueryClient that never retries, and a memory router at `url`.
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import { createMemoryRouter, RouterProvider, type RouteObject } from 'react-router';
import type { Api } from '../api/client';
import { ServicesProvider, type AppServices } from '../app/services';
import type { Session, SessionState } from '../auth/session';

/** Only the calls a test needs, answering whatever shape it wants (cast at the boundary). */
export type FakeApi = { [K in keyof Api]?: { [M in keyof Api[K]]?: (...args: never[]) => unknown } };

/** A session that stays in one state (the parts screens read of it). */
export function fakeSession(state: SessionState): Session {
  return { getState: () => state, subscribe: () => () => undefined } as unknown as Session;
}

export function renderRoutes(routes: RouteObject[], url: string, services: AppServices) {
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
