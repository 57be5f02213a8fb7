import { describe, expect, it } from 'vitest';
import { DEVICE_ID_KEY, deviceId, randomId } from './device-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('deviceId', () => {
  it('makes one id and keeps it in localStorage', () => {
    localStorage.removeItem(DEVICE_ID_KEY);
    const first = deviceId();
    expect(first).toMatch(UUID);
    expect(localStorage.getItem(DEVICE_ID_KEY)).toBe(first);
    expect(deviceId()).toBe(first);
  });

  it('falls back to one id per page when storage throws', () => {
    const broken = { getItem: () => { throw new Error('denied'); }, setItem: () => undefined };
    const a = deviceId(broken);
    expect(a).toMatch(UUID);
    expect(deviceId(broken)).toBe(a);
  });

  it('makes a v4 uuid without crypto.randomUUID (insecure origins)', () => {
    const insecure = { getRandomValues: (a: Uint8Array<ArrayBuffer>) => crypto.getRandomValues(a) };
    expect(randomId(insecure)).toMatch(UUID);
    expect(randomId(insecure)).not.toBe(randomId(insecure));
  });
});
