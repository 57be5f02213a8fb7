/**
 * The emulator's stored records and the JSON shapes Mux puts on the wire. The emulator does not
 * import @mux/mux-node (a dev dependency, for its tests only), so the wire shapes are spelled out
 * here, following the SDK's `Upload`, `Asset`, `SigningKey` and `Webhook*` types.
 */
import { randomBytes } from 'node:crypto';

export type PlaybackPolicy = 'public' | 'signed' | 'drm';
export type MaxStoredResolution = 'Audio only' | 'SD' | 'HD' | 'FHD' | 'UHD';
export type UploadStatus = 'waiting' | 'asset_created' | 'errored' | 'cancelled' | 'timed_out';
export type AssetStatus = 'preparing' | 'ready' | 'errored';

export interface PlaybackId {
  id: string;
  policy: PlaybackPolicy;
}

/** `new_asset_settings` as the client sent it; only the fields the emulator acts on are typed. */
export interface NewAssetSettings {
  playback_policy?: PlaybackPolicy[];
  playback_policies?: PlaybackPolicy[];
  passthrough?: string;
  test?: boolean;
  video_quality?: 'basic' | 'plus' | 'premium';
  max_resolution_tier?: '1080p' | '1440p' | '2160p';
  [setting: string]: unknown;
}

export interface UploadRecord {
  id: string;
  createdAtMs: number;
  /** Seconds the upload URL stays usable (Mux default 3600). */
  timeout: number;
  cors_origin: string;
  new_asset_settings?: NewAssetSettings;
  test?: boolean;
  status: UploadStatus;
  asset_id?: string;
  error?: { type: string; message: string };
  bytesReceived: number;
}

export interface TrackRecord {
  id: string;
  type: 'video' | 'audio';
  duration: number;
  max_width?: number;
  max_height?: number;
  max_frame_rate?: number;
  max_channels?: number;
}

export interface AssetRecord {
  id: string;
  createdAtMs: number;
  status: AssetStatus;
  upload_id?: string;
  passthrough?: string;
  playback_ids: PlaybackId[];
  test?: boolean;
  video_quality: 'basic' | 'plus' | 'premium';
  max_resolution_tier: '1080p' | '1440p' | '2160p';
  duration?: number;
  max_stored_resolution?: MaxStoredResolution;
  resolution_tier?: 'audio-only' | '720p' | '1080p' | '1440p' | '2160p';
  max_stored_frame_rate?: number;
  aspect_ratio?: string;
  tracks?: TrackRecord[];
  errors?: { type: string; messages: string[] };
}

export interface SigningKeyRecord {
  id: string;
  createdAtMs: number;
  /** Kept so playback tokens signed with the key can be verified later; Mux never returns it. */
  publicKeyPem: string;
}

/** GET/POST /video/v1/uploads `data`. */
export interface MuxUploadJson {
  id: string;
  url: string;
  timeout: number;
  status: UploadStatus;
  cors_origin: string;
  new_asset_settings?: NewAssetSettings;
  asset_id?: string;
  error?: { type: string; message: string };
  test?: boolean;
}

/** GET /video/v1/assets/{id} `data` (created_at is a string of unix seconds, as Mux sends it). */
export interface MuxAssetJson {
  id: string;
  created_at: string;
  status: AssetStatus;
  playback_ids: PlaybackId[];
  passthrough?: string;
  upload_id?: string;
  ingest_type: 'on_demand_direct_upload';
  encoding_tier: 'smart' | 'baseline' | 'premium';
  video_quality: 'basic' | 'plus' | 'premium';
  max_resolution_tier: '1080p' | '1440p' | '2160p';
  master_access: 'none';
  mp4_support: 'none';
  progress: { state: 'transcoding' | 'completed' | 'errored'; progress: number };
  duration?: number;
  max_stored_resolution?: MaxStoredResolution;
  resolution_tier?: 'audio-only' | '720p' | '1080p' | '1440p' | '2160p';
  max_stored_frame_rate?: number;
  aspect_ratio?: string;
  tracks?: TrackRecord[];
  errors?: { type: string; messages: string[] };
  test?: boolean;
}

/** Webhook `data` for asset events: the same object, but created_at is a number (SDK `WebhookAsset`). */
export type MuxWebhookAssetJson = Omit<MuxAssetJson, 'created_at'> & { created_at: number };

export interface MuxSigningKeyJson {
  id: string;
  created_at: string;
  private_key?: string;
}

export interface MuxWebhookEnvelope<D = unknown> {
  type: string;
  request_id: string | null;
  object: { type: 'upload' | 'asset'; id: string };
  id: string;
  environment: { name: string; id: string };
  data: D;
  created_at: string;
  attempts: unknown[];
  accessor_source: string | null;
  accessor: string | null;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Opaque base62 ids of Mux's lengths (assets/uploads ~44 chars, playback ids and keys ~32). */
export function muxId(length: number): string {
  let out = '';
  while (out.length < length) {
    // 248 = 62 * 4: dropping bytes above it keeps the alphabet uniform.
    for (const b of randomBytes(length)) if (b < 248 && out.length < length) out += BASE62[b % 62];
  }
  return out;
}

export const unixSeconds = (ms: number): number => Math.floor(ms / 1000);

export function uploadJson(u: UploadRecord, uploadBaseUrl: string): MuxUploadJson {
  return {
    id: u.id,
    // Mux keeps reporting the URL after use; the URL itself refuses bytes once the upload is over.
    url: `${uploadBaseUrl}/upload/${u.id}`,
    timeout: u.timeout,
    status: u.status,
    cors_origin: u.cors_origin,
    ...(u.new_asset_settings ? { new_asset_settings: u.new_asset_settings } : {}),
    ...(u.asset_id ? { asset_id: u.asset_id } : {}),
    ...(u.error ? { error: u.error } : {}),
    ...(u.test ? { test: true } : {}),
  };
}

export function assetJson(a: AssetRecord): MuxAssetJson {
  const progress: MuxAssetJson['progress'] =
    a.status === 'ready'
      ? { state: 'completed', progress: 100 }
      : a.status === 'errored'
        ? { state: 'errored', progress: -1 }
        : { state: 'transcoding', progress: 0 };
  return {
    id: a.id,
    created_at: String(unixSeconds(a.createdAtMs)),
    status: a.status,
    playback_ids: a.playback_ids.map((p) => ({ ...p })),
    ...(a.passthrough !== undefined ? { passthrough: a.passthrough } : {}),
    ...(a.upload_id ? { upload_id: a.upload_id } : {}),
    ingest_type: 'on_demand_direct_upload',
    encoding_tier: a.video_quality === 'basic' ? 'baseline' : a.video_quality === 'premium' ? 'premium' : 'smart',
    video_quality: a.video_quality,
    max_resolution_tier: a.max_resolution_tier,
    master_access: 'none',
    mp4_support: 'none',
    progress,
    ...(a.duration !== undefined ? { duration: a.duration } : {}),
    ...(a.max_stored_resolution ? { max_stored_resolution: a.max_stored_resolution } : {}),
    ...(a.resolution_tier ? { resolution_tier: a.resolution_tier } : {}),
    ...(a.max_stored_frame_rate !== undefined ? { max_stored_frame_rate: a.max_stored_frame_rate } : {}),
    ...(a.aspect_ratio ? { aspect_ratio: a.aspect_ratio } : {}),
    ...(a.tracks ? { tracks: a.tracks.map((t) => ({ ...t })) } : {}),
    ...(a.errors ? { errors: { type: a.errors.type, messages: [...a.errors.messages] } } : {}),
    ...(a.test ? { test: true } : {}),
  };
}

export function assetWebhookJson(a: AssetRecord): MuxWebhookAssetJson {
  return { ...assetJson(a), created_at: unixSeconds(a.createdAtMs) };
}

/** Mux's max_stored_resolution → the pixel height and resolution tier a ready asset reports. */
export const RESOLUTIONS: Record<MaxStoredResolution, { height: number; tier: NonNullable<AssetRecord['resolution_tier']> }> = {
  'Audio only': { height: 0, tier: 'audio-only' },
  SD: { height: 480, tier: '720p' },
  HD: { height: 720, tier: '720p' },
  FHD: { height: 1080, tier: '1080p' },
  UHD: { height: 2160, tier: '2160p' },
};
