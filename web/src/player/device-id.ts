/**
 * This browser's device id for playback sessions. The backend counts streams per device: a new
 * session from the same device replaces the old one instead of taking another screen, so the id
 * must survive reloads (localStorage) and is shared by the tabs of this browser.
 */
export const DEVICE_ID_KEY = 'flix.deviceId';

type IdStorage = Pick<Storage, 'getItem' | 'setItem'>;

let memoryId: string | undefined;

/** crypto.randomUUID exists only in secure contexts (https, localhost); a LAN http origin lacks it. */
interface RandomSource {
  getRandomValues(array: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer>;
  randomUUID?: () => string;
}

export function randomId(c: RandomSource = crypto): string {
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function browserStorage(): IdStorage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined; // Storage disabled (some private modes throw on access).
  }
}

export function deviceId(storage: IdStorage | undefined = browserStorage()): string {
  try {
    const existing = storage?.getItem(DEVICE_ID_KEY);
    if (existing) return existing;
    if (storage) {
      const id = randomId();
      storage.setItem(DEVICE_ID_KEY, id);
      return id;
    }
  } catch {
    // Quota or privacy settings: fall through to an id for this page's lifetime.
  }
  memoryId ??= randomId();
  return memoryId;
}
