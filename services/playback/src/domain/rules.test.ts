import { describe, expect, it } from 'vitest';
import type { PlaybackSession, PlaybackSettings, PlayableTitle } from './model.js';
import { maturityAllows, planStreamSlot, resumePosition, tokenExpiry, unplayableReason } from './rules.js';

const settings: PlaybackSettings = { staleAfterSeconds: 60, heartbeatIntervalSeconds: 10, flushIntervalSeconds: 5, completionRatio: 0.9, tokenMarginSeconds: 900, entitlementRecheckSeconds: 60 };
const now = new Date('2026-12-01T12:00:00Z');
const title = (over: Partial<PlayableTitle> = {}): PlayableTitle => ({
  id: 'm1', title: 'M', status: 'published', assetStatus: 'ready', playbackId: 'pb', durationSeconds: 6000, maturity: 'PG13', availableFrom: null, availableUntil: null, ...over,
});
const session = (id: string, deviceId: string, secondsAgo: number, state: PlaybackSession['state'] = 'playing') =>
  ({ id, deviceId, state, lastHeartbeatAt: new Date(now.getTime() - secondsAgo * 1000) }) as PlaybackSession;

describe('playability', () => {
  it('needs a published title with ready video inside its window', () => {
    expect(unplayableReason(title(), now)).toBeNull();
    expect(unplayableReason(title({ status: 'draft' }), now)?.reason).toBe('TITLE_NOT_PUBLISHED');
    expect(unplayableReason(title({ assetStatus: 'processing' }), now)?.reason).toBe('VIDEO_NOT_READY');
    expect(unplayableReason(title({ availableFrom: new Date(now.getTime() + 1000) }), now)?.reason).toBe('TITLE_NOT_YET_AVAILABLE');
    expect(unplayableReason(title({ availableUntil: now }), now)?.reason).toBe('TITLE_NO_LONGER_AVAILABLE');
  });

  it('compares maturity on the shared scale', () => {
    expect(maturityAllows('PG', 'G')).toBe(true);
    expect(maturityAllows('PG', 'PG')).toBe(true);
    expect(maturityAllows('PG', 'R')).toBe(false);
  });
});

describe('stream slots', () => {
  it('counts live streams of other devices against the limit and names it when full', () => {
    expect(() => planStreamSlot([session('a', 'tv', 5), session('b', 'phone', 5)], 'laptop', 2, now, settings)).toThrow(/allows 2 concurrent streams/);
  });

  it('lets the same device replace its own stream and frees stale ones', () => {
    const plan = planStreamSlot([session('a', 'tv', 5), session('b', 'phone', 61), session('c', 'box', 1, 'ended')], 'tv', 1, now, settings);
    expect(plan.replace.map((s) => s.id)).toEqual(['a']);
    expect(plan.expire.map((s) => s.id)).toEqual(['b']);
    expect(plan.keep).toEqual([]);
  });
});

describe('resume and tokens', () => {
  it('resumes an unfinished title and restarts a finished one', () => {
    expect(resumePosition(null, settings)).toBe(0);
    expect(resumePosition({ positionSeconds: 120, completed: false, durationSeconds: 6000 }, settings)).toBe(120);
    expect(resumePosition({ positionSeconds: 5500, completed: false, durationSeconds: 6000 }, settings)).toBe(0);
    expect(resumePosition({ positionSeconds: 300, completed: true, durationSeconds: 6000 }, settings)).toBe(0);
  });

  it('makes tokens last the rest of the runtime plus the margin', () => {
    expect(tokenExpiry(now, 6000, 1000, settings).getTime() - now.getTime()).toBe((5000 + 900) * 1000);
  });
});
