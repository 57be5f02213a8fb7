/**
 * The catalog's Mux adapter against the local emulator over real HTTP: direct uploads with the
 * right settings, each lifecycle webhook mapped, and signature checks that agree with the SDK's.
 */
import Mux from '@mux/mux-node';
import { signMuxWebhook, startMuxEmulator, type MuxEmulator } from '@flix/mux-emulator';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '@flix/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMuxGateway, MuxPayloadError, MuxSignatureError, WEBHOOK_TOLERANCE_SECONDS, type MuxGateway, type MuxWebhookEvent } from './index.js';

const cfg = { tokenId: 'catalog-token', tokenSecret: 'catalog-secret', webhookSecret: 'whsec-catalog' };

let receiver: WebhookReceiver;
let emulator: MuxEmulator;
let gateway: MuxGateway;
/** The SDK, as the reference verifier. */
let sdk: Mux;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  emulator = await startMuxEmulator({ ...cfg, webhookUrl: receiver.url });
  gateway = createMuxGateway({ ...cfg, baseUrl: emulator.url });
  sdk = new Mux({ ...cfg, baseURL: emulator.url });
});
afterAll(async () => {
  await emulator.close();
  await receiver.close();
});

const objectId = (w: ReceivedWebhook): string => (JSON.parse(w.body) as { object: { id: string } }).object.id;

/** The webhook of `type` about `id`, verified and mapped by the adapter and, independently, by the SDK. */
async function mapped(type: string, id: string): Promise<MuxWebhookEvent> {
  const w = await receiver.waitFor((r) => r.type === type && objectId(r) === id);
  await expect(sdk.webhooks.unwrap(w.body, w.headers as Record<string, string>)).resolves.toMatchObject({ type });
  return gateway.verifyWebhook(w.body, w.headers);
}

function signed(body: string, t = Math.floor(Date.now() / 1000)): Record<string, string> {
  return { 'content-type': 'application/json', 'mux-signature': signMuxWebhook(cfg.webhookSecret, body, t) };
}

const envelope = (type: string, data: unknown, id = `evt-${type}`) =>
  JSON.stringify({ type, id, object: { type: 'asset', id: 'a1' }, environment: { name: 'e', id: 'e' }, data, created_at: '2025-03-01T10:00:00.000000Z', attempts: [] });

describe('createDirectUpload', () => {
  it('creates a signed-playback upload carrying the movie id as passthrough', async () => {
    const { uploadId, uploadUrl } = await gateway.createDirectUpload({ movieId: 'mv_123', corsOrigin: 'https://admin.flix.local' });
    expect(uploadUrl).toBe(`${emulator.url}/upload/${uploadId}`);
    const upload = await sdk.video.uploads.retrieve(uploadId);
    expect(upload).toMatchObject({ status: 'waiting', cors_origin: 'https://admin.flix.local' });
    expect(upload.new_asset_settings).toEqual({ playback_policies: ['signed'], passthrough: 'mv_123' });
    // Each call is a new upload.
    expect((await gateway.createDirectUpload({ movieId: 'mv_123', corsOrigin: '*' })).uploadId).not.toBe(uploadId);
  });

  it('surfaces Mux auth failures as the SDK error', async () => {
    const wrong = createMuxGateway({ ...cfg, tokenSecret: 'wrong', baseUrl: emulator.url });
    await expect(wrong.createDirectUpload({ movieId: 'm', corsOrigin: '*' })).rejects.toBeInstanceOf(Mux.AuthenticationError);
  });

  it('refuses an incomplete configuration', () => {
    expect(() => createMuxGateway({ ...cfg, webhookSecret: '' })).toThrow(/webhookSecret/);
  });
});

describe('verifyWebhook maps each lifecycle event', () => {
  it('maps upload.asset_created, asset.created and asset.ready from a real upload', async () => {
    const { uploadId, uploadUrl } = await gateway.createDirectUpload({ movieId: 'mv_ready', corsOrigin: '*' });
    expect(await mapped('video.upload.created', uploadId)).toMatchObject({ type: 'ignored', rawType: 'video.upload.created' });
    expect((await fetch(uploadUrl, { method: 'PUT', body: new Uint8Array(1024) })).status).toBe(200);

    const assetCreatedForUpload = await mapped('video.upload.asset_created', uploadId);
    expect(assetCreatedForUpload).toEqual({
      id: expect.any(String),
      type: 'video.upload.asset_created',
      createdAt: expect.any(Date),
      uploadId,
      assetId: expect.any(String),
      movieId: 'mv_ready',
    });
    const assetId = (assetCreatedForUpload as { assetId: string }).assetId;
    expect(await mapped('video.asset.created', assetId)).toEqual({
      id: expect.any(String),
      type: 'video.asset.created',
      createdAt: expect.any(Date),
      assetId,
      uploadId,
      movieId: 'mv_ready',
    });
    const ready = await mapped('video.asset.ready', assetId);
    const asset = await sdk.video.assets.retrieve(assetId);
    expect(ready).toEqual({
      id: expect.any(String),
      type: 'video.asset.ready',
      createdAt: expect.any(Date),
      assetId,
      uploadId,
      movieId: 'mv_ready',
      playbackId: asset.playback_ids![0].id,
      durationSeconds: 120,
      maxResolution: 'FHD',
      aspectRatio: '16:9',
    });
    expect(Math.abs(ready.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('maps the duration and resolution the asset reports', async () => {
    const { uploadId } = await gateway.createDirectUpload({ movieId: 'mv_uhd', corsOrigin: '*' });
    const asset = await emulator.completeUpload(uploadId, { durationSeconds: 7265.2, maxResolution: 'UHD', aspectRatio: '2:1' });
    expect(await mapped('video.asset.ready', asset.id)).toMatchObject({ durationSeconds: 7265.2, maxResolution: 'UHD', aspectRatio: '2:1', movieId: 'mv_uhd' });
  });

  it('maps asset.errored with its messages', async () => {
    const { uploadId } = await gateway.createDirectUpload({ movieId: 'mv_broken', corsOrigin: '*' });
    const asset = await emulator.failUpload(uploadId, 'No video track found');
    expect(await mapped('video.asset.errored', asset.id)).toEqual({
      id: expect.any(String),
      type: 'video.asset.errored',
      createdAt: expect.any(Date),
      assetId: asset.id,
      uploadId,
      movieId: 'mv_broken',
      errors: ['No video track found'],
    });
  });

  it('maps a redelivered duplicate to the same event id', async () => {
    const { uploadId } = await gateway.createDirectUpload({ movieId: 'mv_dup', corsOrigin: '*' });
    const asset = await emulator.completeUpload(uploadId);
    const original = emulator.deliveries().find((d) => d.type === 'video.asset.ready' && d.body.includes(asset.id))!;
    await emulator.redeliver(original.id);
    const both = await receiver.waitForCount((r) => r.eventId === original.eventId, 2);
    const [a, b] = both.map((w) => gateway.verifyWebhook(w.body, w.headers));
    expect(a.id).toBe(original.eventId);
    expect(b).toEqual(a);
  });
});

describe('verifyWebhook refuses what is not provably from Mux', () => {
  const body = envelope('video.asset.created', { id: 'a1', upload_id: 'u1', passthrough: 'm1' });

  it('accepts a fresh, correct signature (also with a second, rotated-out v1)', () => {
    expect(gateway.verifyWebhook(body, signed(body))).toMatchObject({ type: 'video.asset.created', assetId: 'a1' });
    const t = Math.floor(Date.now() / 1000);
    const withOld = `${signMuxWebhook('old-secret', body, t)},v1=${signMuxWebhook(cfg.webhookSecret, body, t).split('v1=')[1]}`;
    expect(gateway.verifyWebhook(body, { 'Mux-Signature': withOld }).type).toBe('video.asset.created');
  });

  const refused: Array<[string, () => { body: string; headers: Record<string, string | string[] | undefined> }]> = [
    ['missing header', () => ({ body, headers: { 'content-type': 'application/json' } })],
    ['tampered body', () => ({ body: body.replace('m1', 'm2'), headers: signed(body) })],
    ['wrong secret', () => ({ body, headers: { 'mux-signature': signMuxWebhook('not-the-secret', body) } })],
    ['stale timestamp', () => ({ body, headers: signed(body, Math.floor(Date.now() / 1000) - WEBHOOK_TOLERANCE_SECONDS - 5) })],
    ['no v1', () => ({ body, headers: { 'mux-signature': `t=${Math.floor(Date.now() / 1000)}` } })],
    ['no timestamp', () => ({ body, headers: { 'mux-signature': `v1=${signMuxWebhook(cfg.webhookSecret, body).split('v1=')[1]}` } })],
    ['garbage', () => ({ body, headers: { 'mux-signature': 'hello' } })],
  ];
  for (const [name, make] of refused) {
    it(`refuses ${name}, as the SDK does`, async () => {
      const { body: b, headers } = make();
      expect(() => gateway.verifyWebhook(b, headers)).toThrow(MuxSignatureError);
      await expect(sdk.webhooks.verifySignature(b, headers as Record<string, string>)).rejects.toThrow();
    });
  }

  it('refuses a timestamp far in the future (stricter than the SDK)', () => {
    const future = Math.floor(Date.now() / 1000) + WEBHOOK_TOLERANCE_SECONDS + 60;
    expect(() => gateway.verifyWebhook(body, signed(body, future))).toThrow(MuxSignatureError);
  });

  it('accepts a timestamp just inside the tolerance', () => {
    const t = Math.floor(Date.now() / 1000) - WEBHOOK_TOLERANCE_SECONDS + 30;
    expect(gateway.verifyWebhook(body, signed(body, t)).type).toBe('video.asset.created');
  });
});

describe('verifyWebhook payload handling', () => {
  const verify = (body: string) => gateway.verifyWebhook(body, signed(body));

  it('ignores event types the catalog does not act on, and assets it did not create', () => {
    expect(verify(envelope('video.asset.track.ready', { id: 't1' }))).toEqual({
      id: 'evt-video.asset.track.ready',
      type: 'ignored',
      createdAt: new Date('2025-03-01T10:00:00.000Z'),
      rawType: 'video.asset.track.ready',
    });
    // Created from the dashboard: no upload, no passthrough.
    expect(verify(envelope('video.asset.ready', { id: 'a9', playback_ids: [] }))).toMatchObject({ type: 'ignored', rawType: 'video.asset.ready' });
    expect(verify(envelope('video.upload.asset_created', { id: 'u9', asset_id: 'a9' }))).toMatchObject({ type: 'ignored' });
  });

  it('throws MuxPayloadError for an authentic event the catalog needs but cannot use', () => {
    const readyData = { id: 'a1', upload_id: 'u1', passthrough: 'm1', playback_ids: [{ id: 'p1', policy: 'signed' }], duration: 10, max_stored_resolution: 'HD', aspect_ratio: '16:9' };
    expect(verify(envelope('video.asset.ready', readyData))).toMatchObject({ type: 'video.asset.ready', playbackId: 'p1' });
    const broken: Array<[string, string]> = [
      ['no signed playback id', envelope('video.asset.ready', { ...readyData, playback_ids: [{ id: 'p1', policy: 'public' }] })],
      ['no duration', envelope('video.asset.ready', { ...readyData, duration: undefined })],
      ['no aspect ratio', envelope('video.asset.ready', { ...readyData, aspect_ratio: undefined })],
      ['no asset id on the upload', envelope('video.upload.asset_created', { id: 'u1', new_asset_settings: { passthrough: 'm1' } })],
      ['data not an object', envelope('video.asset.created', 'nope')],
      ['not JSON', 'this is not json'],
      ['no created_at', JSON.stringify({ type: 'video.asset.created', id: 'e1', data: {} })],
    ];
    for (const [what, body] of broken) expect(() => verify(body), what).toThrow(MuxPayloadError);
  });

  it('falls back to the error type when an errored asset carries no messages', () => {
    expect(verify(envelope('video.asset.errored', { id: 'a1', upload_id: 'u1', passthrough: 'm1', errors: { type: 'invalid_input' } }))).toMatchObject({
      errors: ['invalid_input'],
    });
  });
});
