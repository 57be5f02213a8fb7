/**
 * The catalog's Mux adapter: direct uploads through @mux/mux-node, and webhook verification plus
 * a typed mapping of the four events the catalog acts on. Points at the local emulator
 * (dev/mux-emulator) when `baseUrl` is set, at api.mux.com otherwise.
 *
 * Verification is synchronous by contract, but the SDK's `mux.webhooks.unwrap`/`verifySignature`
 * are async (WebCrypto) in 15.x, so `verifyWebhook` performs the same check with node:crypto:
 * `mux-signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, any matching v1,
 * compared in constant time, at most 5 minutes old. The tests hold it to the SDK: every webhook
 * the SDK accepts is accepted here, and the tampered/stale/missing cases are refused by both.
 *
 * Errors, and what the webhook endpoint should answer:
 * - MuxSignatureError: not provably from Mux (no/bad/stale signature). Answer 401 (or 400) and
 *   do nothing; Mux retries genuine events, forgeries just fail.
 * - MuxPayloadError: signed by Mux, but an event the catalog acts on lacks what it needs (e.g. a
 *   ready asset without a signed playback id or duration). Log it at error and answer 400: Mux
 *   keeps retrying for 24 h, so a fixed build can still consume it.
 * - Events the catalog does not act on map to `{ type: 'ignored' }`: other event types, and asset
 *   or upload events without an upload id or passthrough (assets not created by the catalog, e.g.
 *   from the Mux dashboard in the same environment). Answer 2xx.
 * SDK errors from createDirectUpload (Mux.APIError subclasses, connection errors after the SDK's
 * two retries) propagate unchanged.
 */
import Mux from '@mux/mux-node';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { MuxEvent } from '../domain/mux-events.js';

export interface MuxConfig {
  tokenId: string;
  tokenSecret: string;
  webhookSecret: string;
  /** The emulator's URL; absent = real Mux. */
  baseUrl?: string;
}

export interface MuxGateway {
  /** Signed playback policy, movieId as passthrough; each call creates a new upload. */
  createDirectUpload(input: { movieId: string; corsOrigin: string }): Promise<{ uploadId: string; uploadUrl: string }>;
  /** Verifies the mux-signature header on the raw body (Mux's tolerance, 5 min); throws MuxSignatureError when missing/bad/stale. */
  verifyWebhook(rawBody: string, headers: Record<string, string | string[] | undefined>): MuxWebhookEvent;
}

/** The Mux events the catalog's domain reacts to; the domain owns the type (see domain/mux-events.ts). */
export type MuxWebhookEvent = MuxEvent;

/** The webhook is not provably from Mux: signature header missing, malformed, wrong or stale. */
export class MuxSignatureError extends Error {
  override name = 'MuxSignatureError';
}

/** The webhook is authentic but an event the catalog acts on is missing fields it needs. */
export class MuxPayloadError extends Error {
  override name = 'MuxPayloadError';
}

/** Mux's (and the SDK's) replay window for webhook timestamps. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

const MUX_API = 'https://api.mux.com';

export function createMuxGateway(cfg: MuxConfig): MuxGateway {
  for (const key of ['tokenId', 'tokenSecret', 'webhookSecret'] as const)
    if (!cfg[key]) throw new Error(`createMuxGateway: ${key} is required`);
  const mux = new Mux({
    tokenId: cfg.tokenId,
    tokenSecret: cfg.tokenSecret,
    webhookSecret: cfg.webhookSecret,
    // Explicit, so a stray MUX_BASE_URL in the environment cannot redirect production calls.
    baseURL: cfg.baseUrl ?? MUX_API,
    // An admin is waiting on the gRPC call; fail within seconds rather than the SDK's minute.
    timeout: 10_000,
  });

  return {
    async createDirectUpload({ movieId, corsOrigin }) {
      const upload = await mux.video.uploads.create({
        cors_origin: corsOrigin,
        new_asset_settings: { playback_policies: ['signed'], passthrough: movieId },
      });
      if (!upload.url) throw new Error(`Mux returned upload ${upload.id} without a URL (status ${upload.status})`);
      return { uploadId: upload.id, uploadUrl: upload.url };
    },

    verifyWebhook(rawBody, headers) {
      verifySignature(rawBody, headers, cfg.webhookSecret, Math.floor(Date.now() / 1000));
      return mapEvent(rawBody);
    },
  };
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    return Array.isArray(value) ? value.join(',') : value;
  }
  return undefined;
}

function verifySignature(rawBody: string, headers: Record<string, string | string[] | undefined>, secret: string, nowSec: number): void {
  const value = header(headers, 'mux-signature');
  if (!value) throw new MuxSignatureError('missing mux-signature header');
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of value.split(',')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === 't' && v !== undefined && /^\d+$/.test(v)) timestamp = Number(v);
    else if (k === 'v1' && v) signatures.push(v);
  }
  if (timestamp === undefined) throw new MuxSignatureError('mux-signature has no timestamp');
  if (signatures.length === 0) throw new MuxSignatureError('mux-signature has no v1 signature');
  const expected = Buffer.from(createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex'));
  const matches = signatures.some((sig) => {
    const got = Buffer.from(sig);
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
  if (!matches) throw new MuxSignatureError('mux-signature does not match the body');
  // Checked after the HMAC so a forged header learns nothing about the window. Unlike the SDK,
  // a timestamp far in the future is refused too: it would otherwise replay for as long.
  if (Math.abs(nowSec - timestamp) > WEBHOOK_TOLERANCE_SECONDS) throw new MuxSignatureError('mux-signature timestamp is outside the 5 minute tolerance');
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function mapEvent(rawBody: string): MuxWebhookEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    throw new MuxPayloadError('webhook body is not JSON');
  }
  if (!isObject(parsed)) throw new MuxPayloadError('webhook body is not a JSON object');
  const id = str(parsed.id);
  const rawType = str(parsed.type);
  const createdAt = typeof parsed.created_at === 'string' ? new Date(parsed.created_at) : undefined;
  if (!id || !rawType || !createdAt || Number.isNaN(createdAt.getTime()))
    throw new MuxPayloadError('webhook envelope lacks id, type or a valid created_at');
  const base = { id, createdAt };
  const ignored: MuxWebhookEvent = { ...base, type: 'ignored', rawType };
  const fail = (what: string): never => {
    throw new MuxPayloadError(`${rawType} ${id}: ${what}`);
  };

  switch (rawType) {
    case 'video.upload.asset_created': {
      const data = isObject(parsed.data) ? parsed.data : fail('data is not an object');
      const uploadId = str(data.id) ?? fail('data.id (upload id) is missing');
      const settings = isObject(data.new_asset_settings) ? data.new_asset_settings : {};
      const movieId = str(settings.passthrough);
      if (!movieId) return ignored;
      const assetId = str(data.asset_id) ?? fail('data.asset_id is missing');
      return { ...base, type: rawType, uploadId, assetId, movieId };
    }
    case 'video.asset.created':
    case 'video.asset.ready':
    case 'video.asset.errored': {
      const data = isObject(parsed.data) ? parsed.data : fail('data is not an object');
      const assetId = str(data.id) ?? fail('data.id (asset id) is missing');
      const uploadId = str(data.upload_id);
      const movieId = str(data.passthrough);
      if (!uploadId || !movieId) return ignored;
      const common = { ...base, assetId, uploadId, movieId };
      if (rawType === 'video.asset.created') return { ...common, type: rawType };
      if (rawType === 'video.asset.errored') {
        const errors = isObject(data.errors) ? data.errors : {};
        const messages = Array.isArray(errors.messages) ? errors.messages.filter((m): m is string => typeof m === 'string') : [];
        return { ...common, type: rawType, errors: messages.length > 0 ? messages : [str(errors.type) ?? 'unknown error'] };
      }
      const playbackIds = Array.isArray(data.playback_ids) ? data.playback_ids.filter(isObject) : [];
      const playbackId = str(playbackIds.find((p) => p.policy === 'signed')?.id) ?? fail('no signed playback id');
      const durationSeconds =
        typeof data.duration === 'number' && Number.isFinite(data.duration) && data.duration >= 0 ? data.duration : fail('data.duration is missing');
      const maxResolution = str(data.max_stored_resolution) ?? str(data.resolution_tier) ?? fail('data.max_stored_resolution is missing');
      const aspectRatio = str(data.aspect_ratio) ?? fail('data.aspect_ratio is missing');
      return { ...common, type: rawType, playbackId, durationSeconds, maxResolution, aspectRatio };
    }
    default:
      return ignored;
  }
}
