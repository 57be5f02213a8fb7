/**
 * A local stand-in for Mux Video that the real `@mux/mux-node` SDK talks to through `baseURL`:
 * direct uploads, assets, playback ids and signing keys, the upload lifecycle, and signed,
 * retried webhooks that the SDK's own `mux.webhooks.unwrap` accepts.
 */
import type { RequestListener } from 'node:http';
import { listenHttp } from '@flix/emulator-kit';
import { MuxEngine, type CompleteUploadOptions } from './engine.js';
import type { MuxAssetJson } from './model.js';
import { createMuxHandler } from './server.js';
import { silentLogger, type Logger } from './types.js';
import { MUX_RETRY, retryPolicy, type WebhookDelivery, type WebhookRetryPolicy } from './webhooks.js';

export { MuxApiError, type CompleteUploadOptions } from './engine.js';
export type { MaxStoredResolution, MuxAssetJson, MuxSigningKeyJson, MuxUploadJson, MuxWebhookEnvelope, MuxWebhookAssetJson, PlaybackId } from './model.js';
export { signMuxWebhook, type WebhookAttempt, type WebhookDelivery, type WebhookRetryPolicy } from './webhooks.js';
export type { Logger } from './types.js';

export interface MuxEmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Where webhooks go; without one, events are recorded as `no_endpoint`. */
  webhookUrl?: string;
  webhookSecret: string;
  /** When both are set, the API demands Basic auth with them (401 otherwise). */
  tokenId?: string;
  tokenSecret?: string;
  /** Complete a waiting upload by itself this long after it was created; null (default) waits for bytes. */
  autoCompleteMs?: number | null;
  /** Time from bytes received to `video.asset.ready`; 0 (default) means at once. */
  processingMs?: number;
  /** Persist uploads, assets, signing keys and pending webhooks here; null (default) keeps them in memory. */
  dataDir?: string | null;
  /** Base of the upload URLs handed out, when clients reach the emulator by another address. */
  publicUrl?: string;
  /** Overrides MUX_RETRY: backoff 1 s doubling to 60 s, given up 24 hours after the event (`giveUpAfterMs`); `maxAttempts` optionally caps attempts (tests). */
  webhookRetry?: Partial<WebhookRetryPolicy>;
  logger?: Logger;
}

export interface MuxEmulator {
  /** Base URL for `new Mux({ baseURL })`. */
  url: string;
  port: number;
  close(): Promise<void>;
  /** Finishes an upload as if Mux processed it: asset_created/created (if no bytes came yet), then ready. */
  completeUpload(uploadId: string, opts?: CompleteUploadOptions): Promise<MuxAssetJson>;
  /** The asset fails processing: `video.asset.errored` (created first if no bytes came yet). */
  failUpload(uploadId: string, message?: string): Promise<MuxAssetJson>;
  /** Every webhook delivery so far, oldest first (copies). */
  deliveries(): WebhookDelivery[];
  /** Sends a recorded delivery's body again, freshly signed; settles when delivered or given up. */
  redeliver(deliveryId: string): Promise<WebhookDelivery>;
  /** Sends any event (object or raw JSON text) signed and retried; for duplicates and reordering in tests. */
  deliver(event: string | object): Promise<WebhookDelivery>;
  setWebhookUrl(url: string | undefined): void;
  /** The public key of a signing key this emulator created (Mux keeps it; it verifies playback tokens). */
  signingKeyPublicPem(signingKeyId: string): string | undefined;
}

export async function startMuxEmulator(options: MuxEmulatorOptions): Promise<MuxEmulator> {
  if (!options.webhookSecret) throw new Error('startMuxEmulator: webhookSecret is required');
  if (Boolean(options.tokenId) !== Boolean(options.tokenSecret))
    throw new Error('startMuxEmulator: set both tokenId and tokenSecret, or neither');
  const logger = options.logger ?? silentLogger;

  // The engine needs the upload base URL, which needs the bound port: bind first, then attach
  // the handler (a request cannot be served before the listen callback's continuation runs).
  let handle: RequestListener | undefined;
  const http = await listenHttp((req, res) => (handle ? handle(req, res) : res.writeHead(503).end()), options);

  let engine: MuxEngine;
  try {
    engine = new MuxEngine({
      webhookSecret: options.webhookSecret,
      webhookUrl: options.webhookUrl,
      uploadBaseUrl: (options.publicUrl ?? http.baseUrl).replace(/\/$/, ''),
      autoCompleteMs: options.autoCompleteMs ?? null,
      processingMs: options.processingMs ?? 0,
      dataDir: options.dataDir ?? null,
      retry: retryPolicy(MUX_RETRY, options.webhookRetry),
      logger,
    });
  } catch (e) {
    // A corrupt data file must not leave the port bound.
    await http.close();
    throw e;
  }
  handle = createMuxHandler({ engine, tokenId: options.tokenId, tokenSecret: options.tokenSecret, logger });

  return {
    url: http.baseUrl,
    port: http.port,
    async close() {
      engine.close();
      await http.close();
    },
    completeUpload: async (uploadId, opts) => engine.completeUpload(uploadId, opts),
    failUpload: async (uploadId, message) => engine.failUpload(uploadId, message),
    deliveries: () => engine.dispatcher.snapshot(),
    redeliver: (deliveryId) => engine.dispatcher.redeliver(deliveryId),
    deliver: (event) => engine.deliverRaw(event),
    setWebhookUrl: (webhookUrl) => engine.setWebhookUrl(webhookUrl),
    signingKeyPublicPem: (id) => engine.signingKeys.get(id)?.publicKeyPem,
  };
}
