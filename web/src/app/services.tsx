import { QueryClient } from '@tanstack/react-query';
import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import { createApi, type Api } from '../api/client';
import { ApiError, errorFromResponse } from '../api/errors';
import type { User } from '../api/gen/flix/identity/v1/resources';
import { HttpClient } from '../api/http';
import { Session, type SessionState } from '../auth/session';

/** What every screen reaches through context: the API client and the session. */
export interface AppServices {
  api: Api;
  session: Session;
}

const ServicesContext = createContext<AppServices | null>(null);

export function ServicesProvider({ services, children }: { services: AppServices; children: ReactNode }) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

function useServices(): AppServices {
  const s = useContext(ServicesContext);
  if (!s) throw new Error('ServicesProvider is missing');
  return s;
}

export const useApi = (): Api => useServices().api;
export const useSession = (): Session => useServices().session;

export function useSessionState(): SessionState {
  const session = useSession();
  return useSyncExternalStore(session.subscribe, session.getState);
}

/** The browser's services: one session per tab, shared with other tabs through a channel and a lock. */
export function createBrowserServices(): AppServices {
  let api: Api | undefined;
  const channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel('flix-session');
  const session = new Session(
    {
      refresh: async () => api!.auth.refresh(),
      me: async (accessToken) => {
        // Straight to fetch: the session is what gives HttpClient its tokens.
        const res = await fetch('/v1/users/me', { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } });
        const body: unknown = await res.json().catch(() => undefined);
        if (!res.ok) throw errorFromResponse(res.status, body, res.headers.get('retry-after'));
        return body as User;
      },
      logout: async (accessToken, allSessions) => {
        // The cookie names the device's refresh token; the answer clears it.
        await fetch('/v1/auth/logout', {
          method: 'POST',
          headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
          body: JSON.stringify(allSessions ? { allSessions: true } : {}),
          credentials: 'same-origin',
        });
      },
    },
    {
      locks: typeof navigator !== 'undefined' ? navigator.locks : undefined,
      channel,
      hint: {
        get: () => localStorage.getItem('flix.session') === '1',
        set: (signedIn) => (signedIn ? localStorage.setItem('flix.session', '1') : localStorage.removeItem('flix.session')),
      },
    },
  );
  api = createApi(new HttpClient(session));
  return { api, session };
}

/** Server state lives in TanStack Query; these defaults suit a catalog that changes slowly. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        retry: (failures, err) => {
          // Client errors will not change on retry; outages might.
          if (err instanceof ApiError && err.status >= 400 && err.status < 500) return false;
          return failures < 2;
        },
      },
      mutations: { retry: false },
    },
  });
}
