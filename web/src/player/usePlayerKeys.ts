import { useEffect, type RefObject } from 'react';
import { isControl, keyAction, SEEK_STEP_SECONDS } from './keys';

/**
 * The player's keyboard shortcuts (see keys.ts), on the window so they work wherever focus is.
 * While a refusal or the end screen is up (`blocked`), only Escape (back) acts.
 */
export function usePlayerKeys(video: RefObject<HTMLVideoElement | null>, root: RefObject<HTMLElement | null>, blocked: boolean, goBack: () => void): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const action = keyAction(e, isControl(e.target), Boolean(document.fullscreenElement));
      const v = video.current;
      if (!action || (action !== 'back' && (blocked || !v))) return;
      e.preventDefault();
      if (action === 'back' || !v) return goBack();
      switch (action) {
        case 'toggle-play':
          if (v.paused) void v.play().catch(() => undefined);
          else v.pause();
          break;
        case 'seek-back':
        case 'seek-forward': {
          const step = action === 'seek-back' ? -SEEK_STEP_SECONDS : SEEK_STEP_SECONDS;
          const end = Number.isFinite(v.duration) ? v.duration : Infinity;
          v.currentTime = Math.max(0, Math.min(end, v.currentTime + step));
          break;
        }
        case 'toggle-mute':
          v.muted = !v.muted;
          break;
        case 'toggle-fullscreen':
          if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
          else void root.current?.requestFullscreen().catch(() => undefined);
          break;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [video, root, blocked, goBack]);
}
