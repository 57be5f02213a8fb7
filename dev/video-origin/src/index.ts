/**
 * A local stand-in for stream.mux.com and image.mux.com: it checks signed playback tokens exactly
 * as Mux does and serves one small HLS test stream (made by the bundled ffmpeg, cached), so a
 * `playbackUrl` handed out locally plays in a browser or in ffprobe.
 *
 *   const origin = await startVideoOrigin({ signingKeys: { muxEmulatorUrl: emu.url } });
 *   // `${origin.url}/${playbackId}.m3u8?token=${await mux.jwt.signPlaybackId(playbackId, …)}`
 */
import { listenHttp } from '@flix/emulator-kit';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createOriginHandler } from './server.js';
import { ensureTestStream, type TestStream } from './test-stream.js';
import { PlaybackTokenVerifier, type SigningKeySource } from './tokens.js';
import { silentLogger, type Logger } from './types.js';

export { ensureTestStream, type Rendition, type TestStream } from './test-stream.js';
export { PlaybackTokenVerifier, KeySourceUnavailableError, type Audience, type Refusal, type SigningKeySource, type TokenCheck } from './tokens.js';
export { ffmpegPath, ffprobePath, probe, type ProbeResult, type ProbeStream } from './ffmpeg.js';
export type { Logger } from './types.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface VideoOriginOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Where the public keys of Mux signing keys come from. */
  signingKeys: SigningKeySource;
  /** The stream is cached in `<dataDir>/video-origin`; without one, in `<repo>/build/video-origin`. */
  dataDir?: string | null;
  /** Overrides the cache directory outright. */
  cacheDir?: string;
  /** The clock tokens' exp/nbf are checked against (tests). */
  now?: () => Date;
  logger?: Logger;
}

export interface VideoOrigin {
  /** Base URL: the stand-in for both https://stream.mux.com and https://image.mux.com. */
  url: string;
  port: number;
  stream: TestStream;
  close(): Promise<void>;
}

export function cacheDirFor(dataDir: string | null | undefined): string {
  return dataDir ? join(resolve(dataDir), 'video-origin') : join(repoRoot, 'build', 'video-origin');
}

export async function startVideoOrigin(options: VideoOriginOptions): Promise<VideoOrigin> {
  const logger = options.logger ?? silentLogger;
  const stream = await ensureTestStream(options.cacheDir ?? cacheDirFor(options.dataDir));
  const handler = createOriginHandler({ stream, verifier: new PlaybackTokenVerifier(options.signingKeys, options.now), logger });
  const http = await listenHttp(handler, options);
  return { url: http.baseUrl, port: http.port, stream, close: () => http.close() };
}
