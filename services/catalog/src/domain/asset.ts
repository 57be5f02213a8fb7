import type { AssetStatus, VideoRecord } from './model.js';
import type { MuxEvent } from './mux-events.js';

/** How far along an asset is; a state never moves to a lower rank. Ready and errored are both final. */
const RANK: Record<AssetStatus, number> = { waiting: 0, processing: 1, ready: 2, errored: 2 };

export type AssetTransition =
  | { kind: 'ignored'; reason: string }
  | { kind: 'changed'; video: VideoRecord; became: AssetStatus | null };

type AssetEvent = Exclude<MuxEvent, { type: 'ignored' }>;

/**
 * Applies one Mux event to a title's video. Deliveries may repeat and arrive in any order, so:
 * events for an upload other than the current one are stale; a state never regresses (ready is
 * never followed by processing); ready is never undone by an error; between two final states
 * the newer event wins; facts an older event carries (the asset id) only fill gaps.
 */
export function applyAssetEvent(video: VideoRecord | null, e: AssetEvent, now: Date): AssetTransition {
  if (!video) return { kind: 'ignored', reason: 'the title has no upload' };
  if (e.uploadId && video.uploadId && e.uploadId !== video.uploadId)
    return { kind: 'ignored', reason: `event for upload ${e.uploadId}, the title's current upload is ${video.uploadId}` };
  if (video.assetId && e.assetId && e.assetId !== video.assetId && video.status !== 'waiting')
    return { kind: 'ignored', reason: `event for asset ${e.assetId}, the title's asset is ${video.assetId}` };

  const target: AssetStatus =
    e.type === 'video.asset.ready' ? 'ready' : e.type === 'video.asset.errored' ? 'errored' : 'processing';
  const newer = !video.lastEventAt || e.createdAt.getTime() >= video.lastEventAt.getTime();
  let status = video.status;
  if (RANK[target] > RANK[video.status]) status = target;
  else if (RANK[target] === RANK[video.status] && target !== video.status) {
    // Both final: ready sticks; an error is replaced only by a newer ready.
    if (video.status === 'errored' && target === 'ready' && newer) status = 'ready';
  }

  const next: VideoRecord = { ...video, assetId: video.assetId || e.assetId, status };
  if (status === 'ready' && e.type === 'video.asset.ready') {
    next.playbackId = e.playbackId;
    next.durationSeconds = e.durationSeconds;
    next.maxResolution = e.maxResolution;
    next.aspectRatio = e.aspectRatio;
    next.errors = [];
  }
  if (status === 'errored' && e.type === 'video.asset.errored' && video.status !== 'errored') next.errors = e.errors;
  if (newer) next.lastEventAt = e.createdAt;

  const changed =
    next.status !== video.status ||
    next.assetId !== video.assetId ||
    next.playbackId !== video.playbackId ||
    next.errors.join('\n') !== video.errors.join('\n') ||
    (next.lastEventAt?.getTime() ?? 0) !== (video.lastEventAt?.getTime() ?? 0);
  if (!changed) return { kind: 'ignored', reason: 'nothing new (duplicate or older event)' };
  next.updatedAt = now;
  return { kind: 'changed', video: next, became: next.status !== video.status ? next.status : null };
}
