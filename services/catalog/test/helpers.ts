import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { MuxAdapter } from '../src/main.js';
import type { MuxEvent } from '../src/domain/mux-events.js';

export { eventually, startTestKeys } from '@flix/testkit';

export const WEBHOOK_SECRET = 'test-mux-webhook-secret';

export function signMux(body: string, secret = WEBHOOK_SECRET, at = Math.floor(Date.now() / 1000)): string {
  return `t=${at},v1=${createHmac('sha256', secret).update(`${at}.${body}`).digest('hex')}`;
}

class TestSignatureError extends Error {}

/**
 * A stand-in for the Mux adapter (services/catalog/src/mux, built separately): direct uploads
 * are recorded, webhooks verified with Mux's real scheme (HMAC-SHA256 over "t.body") and parsed
 * from Mux's envelope.
 */
export function fakeMux(): { adapter: MuxAdapter; isSignatureError: (e: unknown) => boolean; uploads: { uploadId: string; movieId: string }[] } {
  const uploads: { uploadId: string; movieId: string }[] = [];
  const adapter: MuxAdapter = {
    async createDirectUpload({ movieId }) {
      const uploadId = `up_${randomUUID().slice(0, 8)}`;
      uploads.push({ uploadId, movieId });
      return { uploadId, uploadUrl: `http://127.0.0.1:1/upload/${uploadId}` };
    },
    verifyWebhook(raw, headers): MuxEvent {
      const header = headers['mux-signature'];
      if (typeof header !== 'string') throw new TestSignatureError('missing mux-signature header');
      const m = /^t=(\d+),v1=([0-9a-f]+)$/.exec(header);
      if (!m) throw new TestSignatureError('malformed mux-signature header');
      const expected = createHmac('sha256', WEBHOOK_SECRET).update(`${m[1]}.${raw}`).digest();
      const got = Buffer.from(m[2]!, 'hex');
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw new TestSignatureError('signature does not match');
      if (Math.abs(Date.now() / 1000 - Number(m[1])) > 300) throw new TestSignatureError('signature is stale');
      const e = JSON.parse(raw) as { id: string; type: string; created_at: string; data: Record<string, unknown> };
      const d = e.data;
      const createdAt = new Date(e.created_at);
      const movieId = String(d.passthrough ?? '');
      switch (e.type) {
        case 'video.upload.asset_created':
          return { id: e.id, type: e.type, createdAt, uploadId: String(d.id), assetId: String(d.asset_id), movieId };
        case 'video.asset.created':
          return { id: e.id, type: e.type, createdAt, assetId: String(d.id), uploadId: String(d.upload_id), movieId };
        case 'video.asset.ready':
          return {
            id: e.id, type: e.type, createdAt, assetId: String(d.id), uploadId: String(d.upload_id), movieId,
            playbackId: String((d.playback_ids as { id: string }[])[0]!.id), durationSeconds: Number(d.duration),
            maxResolution: String(d.max_stored_resolution), aspectRatio: String(d.aspect_ratio),
          };
        case 'video.asset.errored':
          return { id: e.id, type: e.type, createdAt, assetId: String(d.id), uploadId: String(d.upload_id), movieId, errors: ['input file unreadable'] };
        default:
          return { id: e.id, type: 'ignored', createdAt, rawType: e.type };
      }
    },
  };
  return { adapter, isSignatureError: (e) => e instanceof TestSignatureError, uploads };
}

/** A Mux webhook envelope as Mux sends it. */
export function muxEnvelope(type: string, at: Date, data: Record<string, unknown>): string {
  return JSON.stringify({ type, id: randomUUID(), created_at: at.toISOString(), object: { type: type.split('.')[1], id: data.id }, data });
}

