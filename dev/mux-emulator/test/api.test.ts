/**
 * The API surface through the real SDK: Basic auth, error shapes, pagination, signing keys whose
 * private key signs playback tokens that verify, and persistence across restarts.
 */
import Mux from '@mux/mux-node';
import { createPublicKey, createVerify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startMuxEmulator, type MuxEmulator, type MuxEmulatorOptions } from '../src/index.js';
import { startWebhookReceiver } from '@flix/testkit';

const creds = { tokenId: 'api-token-id', tokenSecret: 'api-token-secret' };
const webhookSecret = 'whsec-api';

const open: MuxEmulator[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});

async function start(extra: Partial<MuxEmulatorOptions> = {}): Promise<{ emulator: MuxEmulator; mux: Mux }> {
  const emulator = await startMuxEmulator({ ...creds, webhookSecret, ...extra });
  open.push(emulator);
  return { emulator, mux: new Mux({ ...creds, baseURL: emulator.url, maxRetries: 0 }) };
}

function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown>; signingInput: string; signature: Buffer } {
  const [h, c, s] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(c, 'base64url').toString()) as Record<string, unknown>,
    signingInput: `${h}.${c}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

describe('Basic auth', () => {
  it('rejects wrong or missing credentials with 401 in Mux error shape; the upload URL needs none', async () => {
    const { emulator, mux } = await start();
    const wrong = new Mux({ tokenId: creds.tokenId, tokenSecret: 'nope', baseURL: emulator.url, maxRetries: 0 });
    const err = await wrong.video.uploads.create({ cors_origin: '*' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Mux.AuthenticationError);
    expect((err as InstanceType<typeof Mux.AuthenticationError>).error).toEqual({ error: { type: 'unauthorized', messages: ['Unauthorized request'] } });

    const bare = await fetch(`${emulator.url}/video/v1/assets`);
    expect(bare.status).toBe(401);
    expect(await bare.json()).toEqual({ error: { type: 'unauthorized', messages: ['Unauthorized request'] } });

    const upload = await mux.video.uploads.create({ cors_origin: '*' });
    expect((await fetch(upload.url!, { method: 'PUT', body: 'bytes' })).status).toBe(200);
  });

  it('accepts any credentials when none are configured', async () => {
    const emulator = await startMuxEmulator({ webhookSecret });
    open.push(emulator);
    const anyone = new Mux({ tokenId: 'whoever', tokenSecret: 'whatever', baseURL: emulator.url });
    expect((await anyone.video.uploads.create({ cors_origin: '*' })).status).toBe('waiting');
  });
});

describe('API shapes', () => {
  it('validates upload settings with 400 invalid_parameters', async () => {
    const { mux } = await start();
    const bad = await mux.video.uploads
      .create({ cors_origin: '*', new_asset_settings: { playback_policies: ['secret' as 'signed'] } })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Mux.BadRequestError);
    expect((bad as InstanceType<typeof Mux.BadRequestError>).error).toMatchObject({ error: { type: 'invalid_parameters' } });
    await expect(mux.video.uploads.create({ cors_origin: '*', new_asset_settings: { passthrough: 'x'.repeat(256) } })).rejects.toBeInstanceOf(
      Mux.BadRequestError,
    );
  });

  it('answers 404 not_found for unknown ids and 501 for Mux endpoints it does not emulate', async () => {
    const { emulator, mux } = await start();
    const missing = await mux.video.uploads.retrieve('nope').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Mux.NotFoundError);
    expect((missing as InstanceType<typeof Mux.NotFoundError>).error).toMatchObject({ error: { type: 'not_found' } });
    const live = await fetch(`${emulator.url}/video/v1/live-streams`, { headers: { authorization: `Basic ${Buffer.from(`${creds.tokenId}:${creds.tokenSecret}`).toString('base64')}` } });
    expect(live.status).toBe(501);
  });

  it('pages uploads (page/limit) and assets (cursor) the way the SDK iterates them', async () => {
    const { emulator, mux } = await start();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await mux.video.uploads.create({ cors_origin: '*', new_asset_settings: { playback_policies: ['signed'] } })).id);
    const seenUploads: string[] = [];
    for await (const u of mux.video.uploads.list({ limit: 2 })) seenUploads.push(u.id);
    expect(seenUploads.sort()).toEqual([...ids].sort());

    for (const id of ids) await emulator.completeUpload(id);
    const firstPage = await mux.video.assets.list({ limit: 2 });
    expect(firstPage.data).toHaveLength(2);
    expect(firstPage.next_cursor).not.toBe('');
    const seenAssets: string[] = [];
    for await (const a of mux.video.assets.list({ limit: 2 })) seenAssets.push(a.upload_id!);
    expect(seenAssets.sort()).toEqual([...ids].sort());
    const one = await mux.video.assets.list({ upload_id: ids[3] });
    expect(one.data.map((a) => a.upload_id)).toEqual([ids[3]]);
  });

  it('adds and removes playback ids on an asset', async () => {
    const { emulator, mux } = await start();
    const upload = await mux.video.uploads.create({ cors_origin: '*', new_asset_settings: { playback_policies: ['signed'] } });
    const asset = await emulator.completeUpload(upload.id);
    const pub = await mux.video.assets.createPlaybackId(asset.id, { policy: 'public' });
    expect(pub.policy).toBe('public');
    expect(await mux.video.assets.retrievePlaybackId(asset.id, pub.id)).toEqual(pub);
    await mux.video.assets.deletePlaybackId(asset.id, pub.id);
    expect((await mux.video.assets.retrieve(asset.id)).playback_ids).toEqual(asset.playback_ids);
  });
});

describe('control endpoints (for an emulator in another process)', () => {
  it('completes and fails uploads, lists and redelivers webhooks over HTTP, behind the same auth', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const { emulator, mux } = await start({ webhookUrl: receiver.url });
      const auth = { authorization: `Basic ${Buffer.from(`${creds.tokenId}:${creds.tokenSecret}`).toString('base64')}`, 'content-type': 'application/json' };
      const post = (path: string, body: unknown = {}) => fetch(`${emulator.url}/_emulator${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });

      const good = await mux.video.uploads.create({ cors_origin: '*', new_asset_settings: { playback_policies: ['signed'] } });
      const done = await post(`/uploads/${good.id}/complete`, { durationSeconds: 42, maxResolution: 'HD' });
      expect(done.status).toBe(200);
      expect(((await done.json()) as { data: unknown }).data).toMatchObject({ status: 'ready', duration: 42, max_stored_resolution: 'HD' });
      expect((await post(`/uploads/${good.id}/complete`)).status).toBe(409);

      const bad = await mux.video.uploads.create({ cors_origin: '*' });
      expect(((await (await post(`/uploads/${bad.id}/fail`, { message: 'corrupt' })).json()) as { data: unknown }).data).toMatchObject({
        status: 'errored',
        errors: { messages: ['corrupt'] },
      });
      expect((await post('/uploads/nope/fail')).status).toBe(404);

      const listed = (await (await fetch(`${emulator.url}/_emulator/deliveries`, { headers: auth })).json()) as { data: Array<{ id: string; type: string; eventId: string }> };
      const ready = listed.data.find((d) => d.type === 'video.asset.ready')!;
      expect((await post(`/deliveries/${ready.id}/redeliver`)).status).toBe(200);
      await receiver.waitForCount((w) => w.eventId === ready.eventId, 2);

      expect((await fetch(`${emulator.url}/_emulator/deliveries`)).status).toBe(401);
      expect((await fetch(`${emulator.url}/_emulator/health`)).status).toBe(200);
    } finally {
      await receiver.close();
    }
  });
});

describe('signing keys', () => {
  it('creates an RSA key whose private key signs playback tokens that verify with its public key', async () => {
    const { emulator, mux } = await start();
    const key = await mux.system.signingKeys.create();
    expect(key.id).toMatch(/^[0-9A-Za-z]{20,}$/);
    const pem = Buffer.from(key.private_key!, 'base64').toString('utf8');
    expect(pem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);

    const token = await mux.jwt.signPlaybackId('playback-123', { keyId: key.id, keySecret: key.private_key!, type: 'video', expiration: '1h' });
    const { header, claims, signingInput, signature } = decodeJwt(token);
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(claims).toMatchObject({ sub: 'playback-123', aud: 'v', kid: key.id });
    expect(claims.exp).toBeGreaterThan(Date.now() / 1000 + 3500);

    const publicKey = createPublicKey(pem);
    expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const verifies = (pub: ReturnType<typeof createPublicKey> | string) => createVerify('RSA-SHA256').update(signingInput).verify(pub, signature);
    expect(verifies(publicKey)).toBe(true);
    // The emulator kept the matching public key (Mux's side of the pair), for verifying tokens later.
    expect(verifies(emulator.signingKeyPublicPem(key.id)!)).toBe(true);

    // Also through the client-level configuration the playback service will use.
    const configured = new Mux({ ...creds, baseURL: emulator.url, jwtSigningKey: key.id, jwtPrivateKey: key.private_key! });
    const thumb = decodeJwt(await configured.jwt.signPlaybackId('playback-123', { type: 'thumbnail' }));
    expect(thumb.claims).toMatchObject({ aud: 't', kid: key.id });
    expect(verifies(publicKey) && createVerify('RSA-SHA256').update(thumb.signingInput).verify(publicKey, thumb.signature)).toBe(true);
  });

  it('lists keys without their private key, retrieves and deletes them', async () => {
    const { mux } = await start();
    const a = await mux.system.signingKeys.create();
    const b = await mux.system.signingKeys.create();
    const listed = (await mux.system.signingKeys.list()).data;
    expect(listed.map((k) => k.id).sort()).toEqual([a.id, b.id].sort());
    expect(listed.every((k) => k.private_key === undefined)).toBe(true);
    expect(await mux.system.signingKeys.retrieve(a.id)).toEqual({ id: a.id, created_at: a.created_at });
    await mux.system.signingKeys.delete(a.id);
    await expect(mux.system.signingKeys.retrieve(a.id)).rejects.toBeInstanceOf(Mux.NotFoundError);
  });

  it('hands out the public half of a key without API credentials (for the video origin), 404 once deleted', async () => {
    const { emulator, mux } = await start();
    const key = await mux.system.signingKeys.create();
    const token = await mux.jwt.signPlaybackId('playback-9', { keyId: key.id, keySecret: key.private_key!, expiration: '1h' });
    const res = await fetch(`${emulator.url}/_emulator/signing-keys/${key.id}/public`);
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: { id: string; created_at: string; public_key_pem: string } };
    expect(data).toMatchObject({ id: key.id, created_at: key.created_at });
    expect(data.public_key_pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const { signingInput, signature } = decodeJwt(token);
    expect(createVerify('RSA-SHA256').update(signingInput).verify(data.public_key_pem, signature)).toBe(true);

    await mux.system.signingKeys.delete(key.id);
    const gone = await fetch(`${emulator.url}/_emulator/signing-keys/${key.id}/public`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ error: { type: 'not_found', messages: [`no signing key ${key.id}`] } });
  });
});

describe('persistence', () => {
  it('keeps uploads, assets and signing keys in dataDir across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mux-emulator-'));
    try {
      const first = await start({ dataDir });
      const upload = await first.mux.video.uploads.create({ cors_origin: '*', new_asset_settings: { playback_policies: ['signed'], passthrough: 'm-1' } });
      const waiting = await first.mux.video.uploads.create({ cors_origin: '*' });
      const asset = await first.emulator.completeUpload(upload.id, { durationSeconds: 33 });
      const key = await first.mux.system.signingKeys.create();
      await first.emulator.close();

      const second = await start({ dataDir });
      expect(await second.mux.video.assets.retrieve(asset.id)).toMatchObject({ status: 'ready', duration: 33, passthrough: 'm-1', playback_ids: asset.playback_ids });
      expect(await second.mux.video.uploads.retrieve(upload.id)).toMatchObject({ status: 'asset_created', asset_id: asset.id });
      expect((await second.mux.system.signingKeys.retrieve(key.id)).id).toBe(key.id);
      expect(second.emulator.signingKeyPublicPem(key.id)).toBe(first.emulator.signingKeyPublicPem(key.id));
      // A waiting upload still takes bytes, at the new address.
      const resumed = await second.mux.video.uploads.retrieve(waiting.id);
      expect(resumed.url).toBe(`${second.emulator.url}/upload/${waiting.id}`);
      expect((await fetch(resumed.url!, { method: 'PUT', body: 'x' })).status).toBe(200);
      // The delivery history came along too.
      const before = first.emulator.deliveries().map((d) => d.id);
      expect(second.emulator.deliveries().map((d) => d.id).slice(0, before.length)).toEqual(before);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('resumes a webhook still pending at shutdown after the restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mux-emulator-'));
    const down = await startWebhookReceiver({ respond: () => 503 });
    const up = await startWebhookReceiver();
    try {
      // A long backoff keeps the event pending after its first failed attempt.
      const first = await start({ dataDir, webhookUrl: down.url, webhookRetry: { initialDelayMs: 60_000, maxAttempts: 5 } });
      void first.emulator.deliver({ type: 'video.asset.ready', id: 'evt-pending' });
      await down.waitFor((w) => w.eventId === 'evt-pending');
      await first.emulator.close();

      const second = await start({ dataDir, webhookUrl: up.url });
      const w = await up.waitFor((r) => r.eventId === 'evt-pending');
      expect(w.status).toBe(200);
      expect(second.emulator.deliveries().filter((d) => d.eventId === 'evt-pending')).toHaveLength(1);
    } finally {
      await Promise.all([down.close(), up.close()]);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
