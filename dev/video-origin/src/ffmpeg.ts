/**
 * The static ffmpeg/ffprobe binaries that come inside the npm packages (no system install), and
 * one way to run them.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const ffmpegPath: string = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
export const ffprobePath: string = (require('@ffprobe-installer/ffprobe') as { path: string }).path;

/**
 * These binaries are statically linked, yet glibc's iconv still dlopen()s the system's gconv
 * modules when a demuxer decodes text (mpegts service names): the static ffprobe segfaults on
 * every .ts file. Pointing GCONV_PATH nowhere keeps iconv on its built-in UTF-8/ASCII.
 */
const env = { ...process.env, GCONV_PATH: '/nonexistent-gconv' };

export function run(binary: string, args: string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${binary.split('/').pop()} failed (${err.code ?? err.signal}): ${String(stderr).trim().slice(-800)}`));
      else resolve(stdout);
    });
  });
}

export interface ProbeStream {
  index: number;
  codec_type: 'video' | 'audio' | string;
  codec_name: string;
  profile?: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
}
export interface ProbeResult {
  format: { format_name: string; duration?: string; nb_streams: number };
  streams: ProbeStream[];
}

/** `ffprobe -show_format -show_streams` of a file or URL (an HLS URL is followed to its segments). */
export async function probe(input: string): Promise<ProbeResult> {
  const out = await run(ffprobePath, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', input]);
  return JSON.parse(out) as ProbeResult;
}
