/**
 * The direct-upload lifecycle, driven by the real @mux/mux-node SDK over HTTP, with every
 * webhook checked by the SDK's own `mux.webhooks.unwrap`.
 */
import Mux from '@mux/mux-node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMuxEmulator, type MuxEmulator } from '../src/index.js';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '@flix/testkit';

type UnwrapWebhookEvent = Awaited<ReturnType<Mux['webhooks']['unwrap']>>;

const creds = { tokenId: 'test-token-id', tokenSecret: 'test-token-secret', webhookSecret: 'whsec-lifecycle' };

let receiver: WebhookReceiver;
let emulator: MuxEmulator;
let mux: Mux;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver.close();
});
beforeEach(async () => {
  emulator = await startMuxEmulator({ ...creds, webhookUrl: receiver.url });
  mux = new Mux({ ...creds, baseURL: emulator.url });
});
afterEach(async () => {
  await emulator.close();
});

/** Waits for the webhook of `type` about `objectId` and returns it verified and parsed by the SDK. */
async function webhook(type: string, objectId: string): Promise<UnwrapWebhookEvent> {
  const w: ReceivedWebhook = await receiver.waitFor((r) => r.type === type && (JSON.parse(r.body) as { object: { id: string } }).object.id === objectId);
  return mux.webhooks.unwrap(w.body, w.headers as Record<string, string>);
}

async function createSignedUpload(movieId: string, corsOrigin = 'https://admin.flix.local') {
  return mux.video.uploads.create({ cors_origin: corsOrigin, new_asset_settings: { playback_policies: ['signed'], passthrough: movieId } });
}

describe('direct upload lifecycle', () => {
  it('creates an upload, takes the PUT bytes and walks asset_created → created → ready with signed webhooks', async () => {
    const upload = await createSignedUpload('movie-42');
    expect(upload).toMatchObject({ status: 'waiting', cors_origin: 'https://admin.flix.local', timeout: 3600 });
    expect(upload.new_asset_settings).toMatchObject({ playback_policies: ['signed'], passthrough: 'movie-42' });
    expect(upload.url).toBe(`${emulator.url}/upload/${upload.id}`);

    const created = await webhook('video.upload.created', upload.id);
    expect(created.data).toMatchObject({ id: upload.id, status: 'waiting' });

    const put = await fetch(upload.url!, { method: 'PUT', body: new Uint8Array(64 * 1024), headers: { 'content-type': 'video/mp4' } });
    expect(put.status).toBe(200);

    const assetCreatedForUpload = await webhook('video.upload.asset_created', upload.id);
    expect(assetCreatedForUpload.object).toEqual({ type: 'upload', id: upload.id });
    const uploadData = assetCreatedForUpload.data as { id: string; asset_id: string; status: string; new_asset_settings: { passthrough: string } };
    expect(uploadData).toMatchObject({ id: upload.id, status: 'asset_created', new_asset_settings: { passthrough: 'movie-42' } });
    const assetId = uploadData.asset_id;

    const assetCreated = await webhook('video.asset.created', assetId);
    expect(assetCreated.data).toMatchObject({ id: assetId, status: 'preparing', upload_id: upload.id, passthrough: 'movie-42' });

    const ready = await webhook('video.asset.ready', assetId);
    expect(ready).toMatchObject({ type: 'video.asset.ready', object: { type: 'asset', id: assetId }, environment: { id: expect.any(String) } });
    expect(new Date(ready.created_at).getTime()).not.toBeNaN();
    const asset = ready.data as { playback_ids: { id: string; policy: string }[] } & Record<string, unknown>;
    expect(asset).toMatchObject({ status: 'ready', passthrough: 'movie-42', upload_id: upload.id, duration: 120, max_stored_resolution: 'FHD', aspect_ratio: '16:9' });
    expect(asset.playback_ids).toEqual([{ id: expect.any(String), policy: 'signed' }]);
    // The same playback id from creation on: Mux assigns it with the asset.
    expect((assetCreated.data as { playback_ids: unknown }).playback_ids).toEqual(asset.playback_ids);

    // The API agrees with the webhooks.
    expect(await mux.video.uploads.retrieve(upload.id)).toMatchObject({ status: 'asset_created', asset_id: assetId });
    const viaApi = await mux.video.assets.retrieve(assetId);
    expect(viaApi).toMatchObject({ id: assetId, status: 'ready', passthrough: 'movie-42', duration: 120, playback_ids: asset.playback_ids });
    expect(typeof viaApi.created_at).toBe('string');
    const playbackId = asset.playback_ids[0].id;
    expect(await mux.video.playbackIds.retrieve(playbackId)).toEqual({ id: playbackId, policy: 'signed', object: { type: 'asset', id: assetId } });

    // Every event went out once, in lifecycle order, and was accepted.
    const mine = emulator.deliveries().filter((d) => d.body.includes(upload.id));
    expect(mine.map((d) => [d.type, d.status, d.attempts.length])).toEqual([
      ['video.upload.created', 'delivered', 1],
      ['video.upload.asset_created', 'delivered', 1],
      ['video.asset.created', 'delivered', 1],
      ['video.asset.ready', 'delivered', 1],
    ]);
  });

  it('completeUpload finishes an upload without bytes, with the given duration and resolution', async () => {
    const upload = await createSignedUpload('movie-7');
    const asset = await emulator.completeUpload(upload.id, { durationSeconds: 5400.5, maxResolution: 'UHD', aspectRatio: '21:9' });
    expect(asset).toMatchObject({ status: 'ready', duration: 5400.5, max_stored_resolution: 'UHD', resolution_tier: '2160p', aspect_ratio: '21:9' });
    const ready = await webhook('video.asset.ready', asset.id);
    expect(ready.data).toMatchObject({ duration: 5400.5, max_stored_resolution: 'UHD', aspect_ratio: '21:9', passthrough: 'movie-7' });
    await expect(emulator.completeUpload(upload.id)).rejects.toThrow(/already ready/);
  });

  it('failUpload errors the asset with video.asset.errored', async () => {
    const upload = await createSignedUpload('movie-bad');
    const asset = await emulator.failUpload(upload.id, 'Invalid media: no video stream');
    const errored = await webhook('video.asset.errored', asset.id);
    expect(errored.data).toMatchObject({
      status: 'errored',
      passthrough: 'movie-bad',
      upload_id: upload.id,
      errors: { type: 'invalid_input', messages: ['Invalid media: no video stream'] },
    });
    // It was created first, as Mux does when a file turns out to be unusable.
    await webhook('video.asset.created', asset.id);
    expect(await mux.video.assets.retrieve(asset.id)).toMatchObject({ status: 'errored' });
    expect(emulator.deliveries().some((d) => d.type === 'video.asset.ready' && d.body.includes(asset.id))).toBe(false);
  });

  it('auto-completes a waiting upload after autoCompleteMs', async () => {
    await emulator.close();
    emulator = await startMuxEmulator({ ...creds, webhookUrl: receiver.url, autoCompleteMs: 1 });
    mux = new Mux({ ...creds, baseURL: emulator.url });
    const upload = await createSignedUpload('movie-auto');
    const w = await webhook('video.upload.asset_created', upload.id);
    const assetId = (w.data as { asset_id: string }).asset_id;
    await webhook('video.asset.ready', assetId);
  });

  it('takes a resumable upload in chunks (308 until the last), creating one asset', async () => {
    const upload = await createSignedUpload('movie-chunks');
    const first = await fetch(upload.url!, { method: 'PUT', body: new Uint8Array(100), headers: { 'content-range': 'bytes 0-99/150' } });
    expect(first.status).toBe(308);
    expect(first.headers.get('range')).toBe('bytes=0-99');
    expect((await mux.video.uploads.retrieve(upload.id)).status).toBe('waiting');
    const last = await fetch(upload.url!, { method: 'PUT', body: new Uint8Array(50), headers: { 'content-range': 'bytes 100-149/150' } });
    expect(last.status).toBe(200);
    const w = await webhook('video.upload.asset_created', upload.id);
    await webhook('video.asset.ready', (w.data as { asset_id: string }).asset_id);
    expect(emulator.deliveries().filter((d) => d.type === 'video.asset.created' && d.body.includes(upload.id))).toHaveLength(1);
  });

  it('answers CORS on the upload URL per cors_origin', async () => {
    const upload = await createSignedUpload('movie-cors', 'https://admin.flix.local');
    const preflight = (origin: string) =>
      fetch(upload.url!, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
      });
    const ok = await preflight('https://admin.flix.local');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://admin.flix.local');
    expect(ok.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(ok.headers.get('access-control-allow-headers')).toBe('content-type');
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();

    const star = await createSignedUpload('movie-cors-any', '*');
    const put = await fetch(star.url!, { method: 'PUT', body: 'x', headers: { origin: 'https://anywhere.example' } });
    expect(put.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('cancels a waiting upload; its URL then refuses bytes', async () => {
    const upload = await createSignedUpload('movie-cancel');
    const cancelled = await mux.video.uploads.cancel(upload.id);
    expect(cancelled.status).toBe('cancelled');
    await webhook('video.upload.cancelled', upload.id);
    expect((await fetch(upload.url!, { method: 'PUT', body: 'x' })).status).toBe(404);
    await expect(mux.video.uploads.cancel(upload.id)).rejects.toBeInstanceOf(Mux.BadRequestError);
  });

  it('deletes an asset with video.asset.deleted; then it is gone', async () => {
    const upload = await createSignedUpload('movie-del');
    const asset = await emulator.completeUpload(upload.id);
    await mux.video.assets.delete(asset.id);
    await webhook('video.asset.deleted', asset.id);
    await expect(mux.video.assets.retrieve(asset.id)).rejects.toBeInstanceOf(Mux.NotFoundError);
  });
});
