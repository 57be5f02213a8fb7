import { useQuery } from '@tanstack/react-query';
import { useCallback, useSyncExternalStore } from 'react';
import type { Profile } from '../api/client';
import { useApi, useSessionState } from '../app/services';

/**
 * Which profile is watching, per account and per browser (like "Who's watching?" on a TV):
 * kept in localStorage — it is a preference, not a secret — and shared by the tabs.
 */
const key = (userId: string) => `flix.profile.${userId}`;
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (e: StorageEvent) => {
    if (e.key?.startsWith('flix.profile.')) listener();
  };
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

export function chooseProfile(userId: string, profileId: string | undefined): void {
  if (profileId) localStorage.setItem(key(userId), profileId);
  else localStorage.removeItem(key(userId));
  for (const l of listeners) l();
}

export const profilesKey = ['profiles'] as const;

export function useProfiles() {
  const api = useApi();
  const state = useSessionState();
  return useQuery({
    queryKey: profilesKey,
    queryFn: async () => (await api.profiles.list()).profiles,
    enabled: state.status === 'signed-in',
    staleTime: 5 * 60_000,
  });
}

/** The chosen profile, once profiles are loaded (undefined: none chosen yet, or it was deleted). */
export function useActiveProfile(): { profile: Profile | undefined; loading: boolean; choose: (id: string | undefined) => void } {
  const state = useSessionState();
  const userId = state.status === 'signed-in' ? state.user.id : '';
  const chosenId = useSyncExternalStore(subscribe, () => (userId ? localStorage.getItem(key(userId)) : null));
  const profiles = useProfiles();
  const choose = useCallback((id: string | undefined) => chooseProfile(userId, id), [userId]);
  const profile = profiles.data?.find((p) => p.id === chosenId);
  return { profile, loading: profiles.isPending, choose };
}

/** The profile id every per-viewer call carries; pages under RequireProfile always have one. */
export function useProfileId(): string {
  const { profile } = useActiveProfile();
  if (!profile) throw new Error('useProfileId outside RequireProfile');
  return profile.id;
}
