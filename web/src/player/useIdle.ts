import { useEffect, useState, type RefObject } from 'react';

const IDLE_MS = 3_000;

/** While `enabled` (playing), true after a while without pointer or keyboard activity in `root`. */
export function useIdle(root: RefObject<HTMLElement | null>, enabled: boolean): boolean {
  const [idle, setIdle] = useState(false);
  useEffect(() => {
    const el = root.current;
    if (!enabled || !el) {
      setIdle(false);
      return;
    }
    let timer = setTimeout(() => setIdle(true), IDLE_MS);
    const wake = () => {
      setIdle(false);
      clearTimeout(timer);
      timer = setTimeout(() => setIdle(true), IDLE_MS);
    };
    const events = ['pointermove', 'pointerdown', 'keydown', 'focusin'] as const;
    for (const e of events) el.addEventListener(e, wake);
    return () => {
      clearTimeout(timer);
      for (const e of events) el.removeEventListener(e, wake);
    };
  }, [root, enabled]);
  return idle;
}
