/**
 * The player's keyboard: Escape goes back; K or Space plays/pauses, J/← and L/→ move 10 s,
 * M mutes, F toggles full screen (the usual video-site keys). Buttons and links keep their own
 * keys; the video's native controls are pre-empted so a key never acts twice.
 */
export type KeyAction = 'back' | 'toggle-play' | 'seek-back' | 'seek-forward' | 'toggle-mute' | 'toggle-fullscreen';

export const SEEK_STEP_SECONDS = 10;

interface KeyLike {
  key: string;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
}

/** `onControl`: focus is on a button, link or field, which handle Space, Enter and arrows themselves. */
export function keyAction(e: KeyLike, onControl: boolean, fullscreen: boolean): KeyAction | undefined {
  if (e.altKey || e.ctrlKey || e.metaKey) return undefined;
  // In full screen the browser takes Escape to leave it.
  if (e.key === 'Escape') return fullscreen ? undefined : 'back';
  if (onControl) return undefined;
  switch (e.key.length === 1 ? e.key.toLowerCase() : e.key) {
    case 'k':
    case ' ':
      return 'toggle-play';
    case 'j':
    case 'ArrowLeft':
      return 'seek-back';
    case 'l':
    case 'ArrowRight':
      return 'seek-forward';
    case 'm':
      return 'toggle-mute';
    case 'f':
      return 'toggle-fullscreen';
    default:
      return undefined;
  }
}

export function isControl(target: EventTarget | null): boolean {
  return target instanceof Element && target.closest('button, a[href], input, select, textarea, [contenteditable="true"]') !== null;
}
