import { describe, expect, it } from 'vitest';
import { applyAssetEvent } from './asset.js';
import type { VideoRecord } from './model.js';
import type { MuxEvent } from './mux-events.js';

const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const waiting: VideoRecord = {
  uploadId: 'up1', assetId: '', playbackId: '', status: 'waiting', durationSeconds: 0, maxResolution: '', aspectRatio: '',
  errors: [], updatedAt: t(0), lastEventAt: null,
};
const created = (at: number): MuxEvent => ({ id: `c${at}`, type: 'video.asset.created', createdAt: t(at), assetId: 'as1', uploadId: 'up1', movieId: 'm1' });
const ready = (at: number): MuxEvent => ({
  id: `r${at}`, type: 'video.asset.ready', createdAt: t(at), assetId: 'as1', uploadId: 'up1', movieId: 'm1',
  playbackId: 'pb1', durationSeconds: 5400, maxResolution: '1080p', aspectRatio: '16:9',
});
const errored = (at: number): MuxEvent => ({ id: `e${at}`, type: 'video.asset.errored', createdAt: t(at), assetId: 'as1', uploadId: 'up1', movieId: 'm1', errors: ['bad file'] });

function run(events: MuxEvent[]): VideoRecord {
  let v = waiting;
  for (const e of events) {
    if (e.type === 'ignored') continue;
    const r = applyAssetEvent(v, e, t(100));
    if (r.kind === 'changed') v = r.video;
  }
  return v;
}

describe('the asset state machine', () => {
  it('goes waiting → processing → ready', () => {
    const v = run([created(1), ready(2)]);
    expect(v).toMatchObject({ status: 'ready', assetId: 'as1', playbackId: 'pb1', durationSeconds: 5400 });
  });

  it('ends ready whatever the delivery order, and never regresses', () => {
    expect(run([ready(2), created(1)]).status).toBe('ready');
    expect(run([ready(2), created(1), created(1), ready(2)]).status).toBe('ready');
  });

  it('a duplicate changes nothing', () => {
    const v = run([created(1)]);
    expect(applyAssetEvent(v, created(1) as never, t(100)).kind).toBe('ignored');
  });

  it('ready is never undone by an error, older or newer', () => {
    expect(run([ready(2), errored(1)]).status).toBe('ready');
    expect(run([ready(2), errored(3)]).status).toBe('ready');
  });

  it('a newer ready replaces an error; an older one does not', () => {
    expect(run([errored(1), ready(2)]).status).toBe('ready');
    expect(run([errored(3), ready(2)]).status).toBe('errored');
  });

  it('ignores events for an upload that is no longer the current one', () => {
    const r = applyAssetEvent(waiting, { ...(ready(2) as Extract<MuxEvent, { type: 'video.asset.ready' }>), uploadId: 'old' }, t(100));
    expect(r.kind).toBe('ignored');
  });
});
