import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '../app/services';
import { deviceId } from './device-id';
import type { MediaProbe } from './heartbeat';
import { PlaybackSessionController, type SessionStatus } from './session-controller';

interface SessionView {
  controller: PlaybackSessionController | undefined;
  status: SessionStatus;
}

/**
 * The playback session of one screen's lifetime: started on mount, stopped exactly once, on
 * unmount (leaving the player in the app) or on `pagehide` (closing or reloading the tab, with a
 * keepalive request that outlives the page). `restart` starts a new session (retry, watch again).
 */
export function usePlaybackSession(movieId: string, profileId: string, probe: () => MediaProbe) {
  const api = useApi();
  const queryClient = useQueryClient();
  const probeRef = useRef(probe);
  const [attempt, setAttempt] = useState(0);
  const [view, setView] = useState<SessionView>({ controller: undefined, status: { kind: 'starting' } });

  useEffect(() => {
    probeRef.current = probe;
  }, [probe]);

  useEffect(() => {
    const controller = new PlaybackSessionController({
      api: api.playback,
      request: { movieId, profileId, deviceId: deviceId() },
      probe: () => probeRef.current(),
      onStatus: (status) => setView({ controller, status }),
    });
    setView({ controller, status: controller.getStatus() });
    // Started a tick later: React's development double mount would otherwise start (and race) two sessions.
    const timer = setTimeout(() => void controller.start(), 0);

    // What this session changed: the resume point, continue watching, a rental's clock.
    const refreshViews = () => {
      for (const queryKey of [['viewing', movieId], ['continue-watching'], ['history'], ['entitlement', movieId]])
        void queryClient.invalidateQueries({ queryKey });
    };
    const stop = () => void controller.stop().then(refreshViews);
    const onPageHide = () => stop();
    // Back from the back-forward cache: the session was stopped when the page was hidden.
    const onPageShow = (e: PageTransitionEvent) => {
      if (e.persisted) setAttempt((n) => n + 1);
    };
    window.addEventListener('pagehide', onPageHide);
    window.addEventListener('pageshow', onPageShow);
    return () => {
      clearTimeout(timer);
      window.removeEventListener('pagehide', onPageHide);
      window.removeEventListener('pageshow', onPageShow);
      stop();
    };
  }, [api, queryClient, movieId, profileId, attempt]);

  const restart = useCallback(() => setAttempt((n) => n + 1), []);
  return { controller: view.controller, status: view.status, restart };
}
