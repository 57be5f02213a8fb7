import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { KeyRing } from './key-ring.js';
import type { SigningKeyRepository, StoredSigningKey } from '../domain/ports.js';

class MemoryKeys implements SigningKeyRepository {
  keys: StoredSigningKey[] = [];
  async all() {
    return [...this.keys];
  }
  async insert(key: StoredSigningKey) {
    this.keys.push(key);
  }
  async delete(kids: string[]) {
    this.keys = this.keys.filter((k) => !kids.includes(k.kid));
  }
}

const DAY = 86_400_000;

function setup() {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const clock = { now: () => new Date(now) };
  const repo = new MemoryKeys();
  const ring = new KeyRing(repo, clock, { rotationDays: 30, accessTokenTtlSeconds: 900, propagationSeconds: 360 });
  return { ring, repo, advance: (ms: number) => (now += ms) };
}

describe('KeyRing', () => {
  it('creates the first key once, shared by every instance', async () => {
    const { ring, repo } = setup();
    await ring.init();
    const other = new KeyRing(repo, { now: () => new Date('2026-01-01T00:00:00Z') }, { rotationDays: 30, accessTokenTtlSeconds: 900, propagationSeconds: 360 });
    await other.init();
    expect(repo.keys).toHaveLength(1);
    expect(other.currentKid).toBe(ring.currentKid);
  });

  it('publishes a new key before signing with it, and keeps the old one until its tokens expire', async () => {
    const { ring, repo, advance } = setup();
    await ring.init();
    const oldKid = ring.currentKid;
    const oldToken = await ring.sign({ roles: ['viewer'] }, 'u1', 'flix-api', 'flix-identity', 900, 'j1');
    advance(60_000);
    const { kid: newKid } = await ring.rotate();
    expect(newKid).not.toBe(oldKid);
    // Published at once, so caching verifiers learn it…
    expect(ring.jwks().keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
    // …but the old key keeps signing until the propagation delay has passed.
    expect(ring.currentKid).toBe(oldKid);
    advance(360_000);
    expect(ring.currentKid).toBe(newKid);
    const { protectedHeader } = await jwtVerify(oldToken, ring.getKey, { currentDate: new Date('2026-01-01T00:01:00Z') });
    expect(protectedHeader.kid).toBe(oldKid);

    // A token lifetime (plus margin) after the new key took over, the old key leaves the JWKS…
    advance(900_000 + 300_000 + 1);
    expect(ring.jwks().keys.map((k) => k.kid)).toEqual([newKid]);
    // …and the next rotation deletes it from storage.
    await ring.rotate();
    expect(repo.keys.map((k) => k.kid)).not.toContain(oldKid);
  });

  it('rotates on start when the newest key is older than the rotation period', async () => {
    const { ring, repo, advance } = setup();
    await ring.init();
    advance(31 * DAY);
    await ring.init();
    expect(repo.keys).toHaveLength(2);
  });
});
