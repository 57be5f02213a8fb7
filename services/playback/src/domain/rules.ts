import { DomainError } from '@flix/errors';
import { MATURITY_LEVELS, type Maturity, type PlayableTitle, type PlaybackSession, type PlaybackSettings } from './model.js';

/**
 * Why a title cannot be played now (400 FAILED_PRECONDITION) — or null when it can. Hidden and
 * unknown titles are reported as not found by the caller; these are the titles one can see.
 */
export function unplayableReason(title: PlayableTitle, now: Date): { reason: string; message: string } | null {
  if (title.status !== 'published') return { reason: 'TITLE_NOT_PUBLISHED', message: `movieId: ${title.id} is not published yet` };
  if (title.availableFrom && now < title.availableFrom)
    return { reason: 'TITLE_NOT_YET_AVAILABLE', message: `movieId: ${title.id} is available from ${title.availableFrom.toISOString()}` };
  if (title.availableUntil && now >= title.availableUntil)
    return { reason: 'TITLE_NO_LONGER_AVAILABLE', message: `movieId: ${title.id} was available until ${title.availableUntil.toISOString()}` };
  if (title.assetStatus !== 'ready' || !title.playbackId)
    return { reason: 'VIDEO_NOT_READY', message: `movieId: the video of ${title.id} is not ready to play yet (${title.assetStatus})` };
  return null;
}

export const maturityAllows = (limit: Maturity, rating: Maturity): boolean => MATURITY_LEVELS.indexOf(rating) <= MATURITY_LEVELS.indexOf(limit);

/** A stream counts while its heartbeats arrive. */
export function isLive(s: PlaybackSession, now: Date, settings: PlaybackSettings): boolean {
  return s.state !== 'ended' && now.getTime() - s.lastHeartbeatAt.getTime() < settings.staleAfterSeconds * 1000;
}

/**
 * Which of the account's sessions a new one from `deviceId` replaces (the same device, e.g. a
 * reloaded player), which it ends as stale, and whether a slot is left under `limit`.
 */
export function planStreamSlot(
  existing: PlaybackSession[],
  deviceId: string,
  limit: number,
  now: Date,
  settings: PlaybackSettings,
): { replace: PlaybackSession[]; expire: PlaybackSession[]; keep: PlaybackSession[] } {
  const replace: PlaybackSession[] = [];
  const expire: PlaybackSession[] = [];
  const keep: PlaybackSession[] = [];
  for (const s of existing) {
    if (s.state === 'ended') continue;
    if (!isLive(s, now, settings)) expire.push(s);
    else if (s.deviceId === deviceId) replace.push(s);
    else keep.push(s);
  }
  if (keep.length >= limit)
    throw new DomainError(
      'resource_exhausted',
      'TOO_MANY_STREAMS',
      `your plan allows ${limit} concurrent stream${limit === 1 ? '' : 's'} and ${keep.length} ${keep.length === 1 ? 'is' : 'are'} playing; stop one to start another`,
      [],
      { limit: String(limit), active: String(keep.length) },
      settings.staleAfterSeconds,
    );
  return { replace, expire, keep };
}

/** The title counts as completed from this position on. */
export const completionPoint = (durationSeconds: number, settings: PlaybackSettings): number => durationSeconds * settings.completionRatio;

/** Where to resume: the last position, unless the title was finished (then from the start). */
export function resumePosition(record: { positionSeconds: number; completed: boolean; durationSeconds: number } | null, settings: PlaybackSettings): number {
  if (!record || record.completed) return 0;
  if (record.durationSeconds > 0 && record.positionSeconds >= completionPoint(record.durationSeconds, settings)) return 0;
  return Math.max(0, record.positionSeconds);
}

/** Tokens live for the rest of the runtime plus a margin, so a film plays through on one set. */
export function tokenExpiry(now: Date, durationSeconds: number, fromSeconds: number, settings: PlaybackSettings): Date {
  const remaining = Math.max(0, durationSeconds - fromSeconds);
  return new Date(now.getTime() + (Math.ceil(remaining) + settings.tokenMarginSeconds) * 1000);
}
