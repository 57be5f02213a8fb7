/**
 * The emulator's state and the lifecycle Mux walks for a direct upload:
 *   upload waiting --bytes--> upload asset_created + asset preparing --processing--> asset ready
 *                                                                    \--failure----> asset errored
 * Every transition is announced with the webhook Mux sends for it. State is kept in memory and,
 * with a data dir, written to one JSON file after each change (small, rare writes; a rename
 * makes each write atomic).
 */
import { generateKeyPair, randomUUID } from 'node:crypto';
import { JsonStateFile } from '@flix/emulator-kit';
import {
  assetJson,
  assetWebhookJson,
  muxId,
  RESOLUTIONS,
  uploadJson,
  type AssetRecord,
  type MaxStoredResolution,
  type MuxAssetJson,
  type MuxSigningKeyJson,
  type MuxUploadJson,
  type MuxWebhookEnvelope,
  type NewAssetSettings,
  type PlaybackId,
  type PlaybackPolicy,
  type SigningKeyRecord,
  type UploadRecord,
} from './model.js';
import type { Logger } from './types.js';
import { WebhookDispatcher, type WebhookDelivery, type WebhookRetryPolicy } from './webhooks.js';

/** An error the API answers with Mux's shape: `{ "error": { "type", "messages": [...] } }`. */
export class MuxApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'MuxApiError';
  }
}

const notFound = (): MuxApiError =>
  new MuxApiError(404, 'not_found', "The requested resource either doesn't exist or you don't have access to it.");
const invalid = (message: string): MuxApiError => new MuxApiError(400, 'invalid_parameters', message);

export interface CompleteUploadOptions {
  durationSeconds?: number;
  maxResolution?: MaxStoredResolution;
  /** "16:9" unless told otherwise. */
  aspectRatio?: string;
}

export interface EngineOptions {
  webhookSecret: string;
  webhookUrl?: string;
  /** Base of the upload URLs handed out (the emulator's own URL unless it is reached otherwise). */
  uploadBaseUrl: string;
  autoCompleteMs: number | null;
  processingMs: number;
  dataDir: string | null;
  retry: WebhookRetryPolicy;
  logger: Logger;
}

interface PersistedState {
  version: 1;
  uploads: UploadRecord[];
  assets: AssetRecord[];
  signingKeys: SigningKeyRecord[];
  deliveries: WebhookDelivery[];
}

const POLICIES: readonly PlaybackPolicy[] = ['public', 'signed', 'drm'];
const RESOLUTION_NAMES = Object.keys(RESOLUTIONS) as MaxStoredResolution[];
const ENVIRONMENT = { name: 'Flix local (mux-emulator)', id: 'flixemu' };

export class MuxEngine {
  readonly uploads = new Map<string, UploadRecord>();
  readonly assets = new Map<string, AssetRecord>();
  readonly signingKeys = new Map<string, SigningKeyRecord>();
  readonly dispatcher: WebhookDispatcher;
  private webhookUrl: string | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly processing = new Map<string, NodeJS.Timeout>();
  private readonly stateFile: JsonStateFile<PersistedState>;
  private closed = false;

  constructor(private readonly opts: EngineOptions) {
    this.webhookUrl = opts.webhookUrl;
    this.stateFile = new JsonStateFile<PersistedState>(opts.dataDir ?? undefined, 'mux-emulator.json', 1);
    this.dispatcher = new WebhookDispatcher({
      secret: opts.webhookSecret,
      url: () => this.webhookUrl,
      retry: opts.retry,
      logger: opts.logger,
      changed: () => this.persist(),
    });
    this.load();
  }

  setWebhookUrl(url: string | undefined): void {
    this.webhookUrl = url;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    for (const t of this.processing.values()) clearTimeout(t);
    this.timers.clear();
    this.processing.clear();
    this.dispatcher.close();
    this.persist();
  }

  // ---- uploads ----

  createUpload(body: unknown): MuxUploadJson {
    if (!isObject(body)) throw invalid('The request body must be a JSON object.');
    const corsOrigin = body.cors_origin ?? '';
    if (typeof corsOrigin !== 'string') throw invalid('cors_origin must be a string.');
    const timeout = body.timeout ?? 3600;
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 60 || timeout > 604_800)
      throw invalid('timeout must be an integer between 60 and 604800.');
    if (body.test !== undefined && typeof body.test !== 'boolean') throw invalid('test must be a boolean.');
    const settings = body.new_asset_settings === undefined ? undefined : validateAssetSettings(body.new_asset_settings);
    const u: UploadRecord = {
      id: muxId(44),
      createdAtMs: Date.now(),
      timeout,
      cors_origin: corsOrigin,
      ...(settings ? { new_asset_settings: settings } : {}),
      ...(body.test === true ? { test: true } : {}),
      status: 'waiting',
      bytesReceived: 0,
    };
    this.uploads.set(u.id, u);
    this.persist();
    this.emit('video.upload.created', 'upload', u.id, uploadJson(u, this.opts.uploadBaseUrl));
    this.armAutoComplete(u);
    return uploadJson(u, this.opts.uploadBaseUrl);
  }

  getUpload(id: string): MuxUploadJson {
    return uploadJson(this.upload(id), this.opts.uploadBaseUrl);
  }

  listUploads(limit: number, page: number): MuxUploadJson[] {
    return newestFirst([...this.uploads.values()])
      .slice((page - 1) * limit, page * limit)
      .map((u) => uploadJson(this.refresh(u), this.opts.uploadBaseUrl));
  }

  cancelUpload(id: string): MuxUploadJson {
    const u = this.upload(id);
    if (u.status !== 'waiting') throw invalid(`Only a waiting upload can be cancelled; this one is ${u.status}.`);
    u.status = 'cancelled';
    this.persist();
    this.emit('video.upload.cancelled', 'upload', u.id, uploadJson(u, this.opts.uploadBaseUrl));
    return uploadJson(u, this.opts.uploadBaseUrl);
  }

  /** The upload a PUT may write to, or null when it no longer takes bytes. */
  writableUpload(id: string): UploadRecord | null {
    const u = this.uploads.get(id);
    if (!u) return null;
    this.refresh(u);
    return u.status === 'waiting' || u.status === 'asset_created' ? u : null;
  }

  uploadExists(id: string): UploadRecord | undefined {
    return this.uploads.get(id);
  }

  /** A PUT finished (the last chunk of a resumable one): Mux creates the asset and processes it. */
  bytesReceived(u: UploadRecord, bytes: number): void {
    u.bytesReceived += bytes;
    if (u.status !== 'waiting') {
      this.persist();
      return; // a repeated PUT after the asset exists changes nothing, as with Mux's storage URL
    }
    const a = this.createAsset(u);
    this.scheduleReady(a);
  }

  completeUpload(uploadId: string, opts: CompleteUploadOptions = {}): MuxAssetJson {
    const u = this.upload(uploadId);
    validateCompleteOptions(opts);
    const a = u.status === 'waiting' ? this.createAsset(u) : this.preparingAssetOf(u);
    this.markReady(a, opts);
    return assetJson(a);
  }

  failUpload(uploadId: string, message = 'The file provided is not a valid media file.'): MuxAssetJson {
    const u = this.upload(uploadId);
    const a = u.status === 'waiting' ? this.createAsset(u) : this.preparingAssetOf(u);
    this.stopProcessing(a.id);
    a.status = 'errored';
    a.errors = { type: 'invalid_input', messages: [message] };
    this.persist();
    this.emit('video.asset.errored', 'asset', a.id, assetWebhookJson(a));
    return assetJson(a);
  }

  // ---- assets ----

  getAsset(id: string): MuxAssetJson {
    return assetJson(this.asset(id));
  }

  listAssets(filter: { uploadId?: string }, limit: number, offset: number): { data: MuxAssetJson[]; nextOffset: number | null } {
    const all = newestFirst([...this.assets.values()]).filter((a) => !filter.uploadId || a.upload_id === filter.uploadId);
    const data = all.slice(offset, offset + limit).map(assetJson);
    return { data, nextOffset: offset + limit < all.length ? offset + limit : null };
  }

  deleteAsset(id: string): void {
    const a = this.asset(id);
    this.stopProcessing(id);
    this.assets.delete(id);
    this.persist();
    this.emit('video.asset.deleted', 'asset', a.id, assetWebhookJson(a));
  }

  getAssetPlaybackId(assetId: string, playbackId: string): PlaybackId {
    const p = this.asset(assetId).playback_ids.find((x) => x.id === playbackId);
    if (!p) throw notFound();
    return { ...p };
  }

  createAssetPlaybackId(assetId: string, body: unknown): PlaybackId {
    const a = this.asset(assetId);
    if (!isObject(body) || !POLICIES.includes(body.policy as PlaybackPolicy)) throw invalid('policy must be one of public, signed, drm.');
    const p: PlaybackId = { id: muxId(32), policy: body.policy as PlaybackPolicy };
    a.playback_ids.push(p);
    this.persist();
    return { ...p };
  }

  deleteAssetPlaybackId(assetId: string, playbackId: string): void {
    const a = this.asset(assetId);
    const i = a.playback_ids.findIndex((x) => x.id === playbackId);
    if (i < 0) throw notFound();
    a.playback_ids.splice(i, 1);
    this.persist();
  }

  /** GET /video/v1/playback-ids/{id}: which asset a playback id belongs to. */
  playbackIdOwner(playbackId: string): { id: string; policy: PlaybackPolicy; object: { type: 'asset'; id: string } } {
    for (const a of this.assets.values()) {
      const p = a.playback_ids.find((x) => x.id === playbackId);
      if (p) return { id: p.id, policy: p.policy, object: { type: 'asset', id: a.id } };
    }
    throw notFound();
  }

  // ---- signing keys ----

  async createSigningKey(): Promise<MuxSigningKeyJson> {
    // RSA 2048, private key as base64 of a PKCS#1 PEM: what Mux returns and the SDK's jwt helpers take.
    const { publicKey, privateKey } = await new Promise<{ publicKey: string; privateKey: string }>((resolve, reject) =>
      generateKeyPair(
        'rsa',
        { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } },
        (err, pub, priv) => (err ? reject(err) : resolve({ publicKey: pub, privateKey: priv })),
      ),
    );
    const k: SigningKeyRecord = { id: muxId(32), createdAtMs: Date.now(), publicKeyPem: publicKey };
    this.signingKeys.set(k.id, k);
    this.persist();
    return { id: k.id, created_at: String(Math.floor(k.createdAtMs / 1000)), private_key: Buffer.from(privateKey).toString('base64') };
  }

  getSigningKey(id: string): MuxSigningKeyJson {
    const k = this.signingKeys.get(id);
    if (!k) throw notFound();
    return { id: k.id, created_at: String(Math.floor(k.createdAtMs / 1000)) };
  }

  listSigningKeys(limit: number, page: number): MuxSigningKeyJson[] {
    return newestFirst([...this.signingKeys.values()])
      .slice((page - 1) * limit, page * limit)
      .map((k) => this.getSigningKey(k.id));
  }

  deleteSigningKey(id: string): void {
    if (!this.signingKeys.delete(id)) throw notFound();
    this.persist();
  }

  // ---- webhooks ----

  /** Sends an arbitrary body (an event object is serialised) through the signed, retried path. */
  deliverRaw(event: string | object): Promise<WebhookDelivery> {
    return this.dispatcher.send(typeof event === 'string' ? event : JSON.stringify(event));
  }

  // ---- internals ----

  private upload(id: string): UploadRecord {
    const u = this.uploads.get(id);
    if (!u) throw notFound();
    return this.refresh(u);
  }

  private asset(id: string): AssetRecord {
    const a = this.assets.get(id);
    if (!a) throw notFound();
    return a;
  }

  /** Mux times an unused upload out; checked lazily, so no timer per upload is needed. */
  private refresh(u: UploadRecord): UploadRecord {
    if (u.status === 'waiting' && Date.now() > u.createdAtMs + u.timeout * 1000) {
      u.status = 'timed_out';
      this.persist();
    }
    return u;
  }

  private preparingAssetOf(u: UploadRecord): AssetRecord {
    const a = u.asset_id ? this.assets.get(u.asset_id) : undefined;
    if (!a) throw new MuxApiError(409, 'conflict', `upload ${u.id} is ${u.status} and has no asset to act on`);
    if (a.status !== 'preparing') throw new MuxApiError(409, 'conflict', `asset ${a.id} of upload ${u.id} is already ${a.status}`);
    return a;
  }

  private createAsset(u: UploadRecord): AssetRecord {
    const s: NewAssetSettings = u.new_asset_settings ?? {};
    const policies = [...new Set([...(s.playback_policies ?? []), ...(s.playback_policy ?? [])])];
    const a: AssetRecord = {
      id: muxId(44),
      createdAtMs: Date.now(),
      status: 'preparing',
      upload_id: u.id,
      ...(s.passthrough !== undefined ? { passthrough: s.passthrough } : {}),
      // Mux assigns playback ids when the asset is created; they work once it is ready.
      playback_ids: policies.map((policy) => ({ id: muxId(32), policy })),
      ...(u.test || s.test ? { test: true } : {}),
      video_quality: s.video_quality ?? 'plus',
      max_resolution_tier: s.max_resolution_tier ?? '1080p',
    };
    this.assets.set(a.id, a);
    u.status = 'asset_created';
    u.asset_id = a.id;
    this.persist();
    this.emit('video.upload.asset_created', 'upload', u.id, uploadJson(u, this.opts.uploadBaseUrl));
    this.emit('video.asset.created', 'asset', a.id, assetWebhookJson(a));
    return a;
  }

  private scheduleReady(a: AssetRecord): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.processing.delete(a.id);
      if (this.assets.get(a.id)?.status === 'preparing') this.markReady(a, {});
    }, this.opts.processingMs);
    this.processing.set(a.id, t);
  }

  private stopProcessing(assetId: string): void {
    const t = this.processing.get(assetId);
    if (t) clearTimeout(t);
    this.processing.delete(assetId);
  }

  private markReady(a: AssetRecord, opts: CompleteUploadOptions): void {
    this.stopProcessing(a.id);
    const duration = opts.durationSeconds ?? 120;
    const resolution = opts.maxResolution ?? 'FHD';
    const aspect = opts.aspectRatio ?? '16:9';
    const [w, h] = aspect.split(':').map(Number);
    const height = RESOLUTIONS[resolution].height;
    a.status = 'ready';
    a.duration = duration;
    a.max_stored_resolution = resolution;
    a.resolution_tier = RESOLUTIONS[resolution].tier;
    a.aspect_ratio = aspect;
    a.tracks = [{ id: muxId(32), type: 'audio', duration, max_channels: 2 }];
    if (height > 0) {
      a.max_stored_frame_rate = 24;
      a.tracks.unshift({ id: muxId(32), type: 'video', duration, max_width: Math.round((height * w) / h), max_height: height, max_frame_rate: 24 });
    }
    this.persist();
    this.emit('video.asset.ready', 'asset', a.id, assetWebhookJson(a));
  }

  private armAutoComplete(u: UploadRecord): void {
    if (this.opts.autoCompleteMs === null || this.closed) return;
    const delay = Math.max(0, u.createdAtMs + this.opts.autoCompleteMs - Date.now());
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.refresh(u).status === 'waiting') this.markReady(this.createAsset(u), {});
    }, delay);
    this.timers.add(t);
  }

  private emit(type: string, objectType: 'upload' | 'asset', objectId: string, data: unknown): void {
    const envelope: MuxWebhookEnvelope = {
      type,
      request_id: null,
      object: { type: objectType, id: objectId },
      id: randomUUID(),
      environment: ENVIRONMENT,
      data,
      // Mux stamps events with microseconds: 2024-01-01T00:00:00.123000Z.
      created_at: new Date().toISOString().replace('Z', '000Z'),
      attempts: [],
      accessor_source: null,
      accessor: null,
    };
    void this.dispatcher.send(JSON.stringify(envelope));
  }

  private load(): void {
    const state = this.stateFile.load();
    if (!state) return;
    for (const u of state.uploads) this.uploads.set(u.id, u);
    for (const a of state.assets) this.assets.set(a.id, a);
    for (const k of state.signingKeys) this.signingKeys.set(k.id, k);
    this.dispatcher.restore(state.deliveries);
    // Work interrupted by the restart carries on: processing assets finish, waiting uploads auto-complete.
    for (const a of this.assets.values()) if (a.status === 'preparing') this.scheduleReady(a);
    for (const u of this.uploads.values()) if (u.status === 'waiting') this.armAutoComplete(u);
  }

  private persist(): void {
    // Without a data dir save() does nothing; skip building the snapshot too.
    if (!this.stateFile.path) return;
    this.stateFile.save({
      version: 1,
      uploads: [...this.uploads.values()],
      assets: [...this.assets.values()],
      signingKeys: [...this.signingKeys.values()],
      deliveries: this.dispatcher?.snapshot() ?? [],
    });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function newestFirst<T extends { createdAtMs: number }>(xs: T[]): T[] {
  return xs.sort((a, b) => b.createdAtMs - a.createdAtMs);
}

function validateAssetSettings(v: unknown): NewAssetSettings {
  if (!isObject(v)) throw invalid('new_asset_settings must be an object.');
  for (const key of ['playback_policy', 'playback_policies'] as const) {
    const p = v[key];
    if (p === undefined) continue;
    if (!Array.isArray(p) || !p.every((x) => POLICIES.includes(x as PlaybackPolicy)))
      throw invalid(`new_asset_settings.${key} must be an array of public, signed, drm.`);
  }
  if (v.passthrough !== undefined && (typeof v.passthrough !== 'string' || v.passthrough.length > 255))
    throw invalid('new_asset_settings.passthrough must be a string of at most 255 characters.');
  if (v.video_quality !== undefined && !['basic', 'plus', 'premium'].includes(v.video_quality as string))
    throw invalid('new_asset_settings.video_quality must be one of basic, plus, premium.');
  if (v.max_resolution_tier !== undefined && !['1080p', '1440p', '2160p'].includes(v.max_resolution_tier as string))
    throw invalid('new_asset_settings.max_resolution_tier must be one of 1080p, 1440p, 2160p.');
  return v as NewAssetSettings;
}

function validateCompleteOptions(o: CompleteUploadOptions): void {
  if (o.durationSeconds !== undefined && !(Number.isFinite(o.durationSeconds) && o.durationSeconds > 0))
    throw invalid('durationSeconds must be a positive number.');
  if (o.maxResolution !== undefined && !RESOLUTION_NAMES.includes(o.maxResolution))
    throw invalid(`maxResolution must be one of ${RESOLUTION_NAMES.join(', ')}.`);
  if (o.aspectRatio !== undefined && !/^[1-9]\d*:[1-9]\d*$/.test(o.aspectRatio)) throw invalid('aspectRatio must look like 16:9.');
}
