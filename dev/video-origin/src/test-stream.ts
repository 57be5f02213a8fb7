/**
 * The one HLS test stream every playback id plays: made by the bundled ffmpeg from synthetic
 * sources (testsrc2 picture + a beeping sine), written once into a cache directory and reused.
 * Nothing of it is committed. Layout of `<cacheDir>/test-stream-v<N>/`:
 *   master.m3u8 (URIs `<rendition>.m3u8`), <rendition>/index.m3u8 + seg000.ts…,
 *   thumbnail.jpg, storyboard.jpg (sprite), storyboard.vtt (`storyboard.jpg#xywh=…` cues),
 *   animated.gif (the first seconds, as Mux's default animated.gif),
 *   stream.json (what was made; written last, so its presence means the directory is complete).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ffmpegPath, run } from './ffmpeg.js';

/** Bump when the recipe below changes, so caches made by an older recipe are not reused. */
const RECIPE_VERSION = 2;

const DURATION_S = 30;
const FPS = 24;
const SEGMENT_S = 4;
/** Keyframe every 2 s, scene-cut off: every segment starts on a keyframe, renditions aligned. */
const GOP_FRAMES = FPS * 2;
/** H.264 Constrained Baseline level 3.0 + AAC-LC, as the SPS of the segments says (profile 42, flags c0, level 1e). */
const CODECS = 'avc1.42c01e,mp4a.40.2';

const RENDITIONS = [
  { name: '360p', width: 640, height: 360, videoKbps: 800, audioKbps: 96 },
  { name: '240p', width: 426, height: 240, videoKbps: 400, audioKbps: 64 },
] as const;

const STORYBOARD = { intervalSeconds: 2, columns: 5, rows: 3, tileWidth: 160, tileHeight: 90 } as const;
const THUMBNAIL_AT_S = DURATION_S / 2;
/** Mux's animated.gif defaults: the first 5 s, 320 px wide. */
const GIF = { seconds: 5, fps: 10, width: 320, height: 180 } as const;

export interface Rendition {
  name: string;
  width: number;
  height: number;
  /** Peak segment bitrate, bits/s (HLS BANDWIDTH). */
  bandwidth: number;
  averageBandwidth: number;
  segments: number;
}

export interface TestStream {
  dir: string;
  recipeVersion: number;
  durationSeconds: number;
  segmentSeconds: number;
  codecs: string;
  renditions: Rendition[];
  storyboard: typeof STORYBOARD;
  /** How long ffmpeg took when this cache was made. */
  generationMs: number;
}

const inflight = new Map<string, Promise<TestStream>>();

/**
 * The test stream under `cacheDir`, generated first if it is not there yet. Safe to call from
 * several processes at once: each builds in its own temporary directory and the first rename
 * wins; the others throw theirs away and use the winner's.
 */
export function ensureTestStream(cacheDir: string): Promise<TestStream> {
  const dir = join(cacheDir, `test-stream-v${RECIPE_VERSION}`);
  let p = inflight.get(dir);
  if (!p) {
    p = load(dir) ?? generate(cacheDir, dir);
    p.catch(() => inflight.delete(dir));
    inflight.set(dir, p);
  }
  return p;
}

function load(dir: string): Promise<TestStream> | undefined {
  const file = join(dir, 'stream.json');
  if (!existsSync(file)) return undefined;
  const stream = JSON.parse(readFileSync(file, 'utf8')) as TestStream;
  return Promise.resolve({ ...stream, dir });
}

async function generate(cacheDir: string, dir: string): Promise<TestStream> {
  mkdirSync(cacheDir, { recursive: true });
  const tmp = join(cacheDir, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(tmp);
  try {
    const started = Date.now();
    for (const r of RENDITIONS) mkdirSync(join(tmp, r.name));
    await Promise.all([encodeHls(tmp), renderImages(tmp)]);
    const generationMs = Date.now() - started;

    const renditions = RENDITIONS.map((r) => ({ name: r.name, width: r.width, height: r.height, ...measure(join(tmp, r.name)) }));
    writeFileSync(join(tmp, 'master.m3u8'), masterPlaylist(renditions));
    writeFileSync(join(tmp, 'storyboard.vtt'), storyboardVtt());
    const stream: TestStream = {
      dir,
      recipeVersion: RECIPE_VERSION,
      durationSeconds: DURATION_S,
      segmentSeconds: SEGMENT_S,
      codecs: CODECS,
      renditions,
      storyboard: STORYBOARD,
      generationMs,
    };
    writeFileSync(join(tmp, 'stream.json'), JSON.stringify(stream, null, 2) + '\n');
    try {
      renameSync(tmp, dir);
    } catch (e) {
      // Another process finished first (the target exists and is not empty): use its copy.
      const winner = load(dir);
      if (!winner) throw e;
      rmSync(tmp, { recursive: true, force: true });
      return winner;
    }
    // Streams made by older recipes are dead weight now.
    for (const name of readdirSync(cacheDir))
      if (/^test-stream-v\d+$/.test(name) && join(cacheDir, name) !== dir) rmSync(join(cacheDir, name), { recursive: true, force: true });
    return stream;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

const lavfiVideo = ['-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=${FPS}:duration=${DURATION_S}`];

/** One ffmpeg run, one HLS output per rendition (this 2018 ffmpeg crashes on -var_stream_map). */
async function encodeHls(out: string): Promise<void> {
  const scaled = RENDITIONS.map((r, i) => `[s${i}]scale=${r.width}:${r.height}[v${i}]`).join(';');
  const args = [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
    ...lavfiVideo,
    '-f', 'lavfi', '-i', `sine=frequency=440:beep_factor=4:sample_rate=48000:duration=${DURATION_S}`,
    '-filter_complex', `[0:v]split=${RENDITIONS.length}${RENDITIONS.map((_, i) => `[s${i}]`).join('')};${scaled}`,
  ];
  RENDITIONS.forEach((r, i) => {
    args.push(
      '-map', `[v${i}]`, '-map', '1:a',
      '-c:v', 'libx264', '-profile:v', 'baseline', '-level', '3.0', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
      '-g', String(GOP_FRAMES), '-keyint_min', String(GOP_FRAMES), '-sc_threshold', '0',
      '-b:v', `${r.videoKbps}k`, '-maxrate', `${Math.round(r.videoKbps * 1.1)}k`, '-bufsize', `${r.videoKbps * 2}k`,
      '-c:a', 'aac', '-b:a', `${r.audioKbps}k`, '-ac', '2',
      '-f', 'hls', '-hls_time', String(SEGMENT_S), '-hls_playlist_type', 'vod',
      '-hls_segment_filename', join(out, r.name, 'seg%03d.ts'), join(out, r.name, 'index.m3u8'),
    );
  });
  await run(ffmpegPath, args);
}

/** The poster frame (middle of the stream, full size), the storyboard sprite and the gif, in one run. */
async function renderImages(out: string): Promise<void> {
  const s = STORYBOARD;
  await run(ffmpegPath, [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
    ...lavfiVideo,
    '-filter_complex',
    `[0:v]split=3[t][s][g];[t]trim=start=${THUMBNAIL_AT_S},setpts=PTS-STARTPTS[thumb];` +
      `[s]fps=1/${s.intervalSeconds},scale=${s.tileWidth}:${s.tileHeight},tile=${s.columns}x${s.rows}[sprite];` +
      // A palette made from the clip itself: the default 256-colour GIF palette bands badly.
      `[g]trim=duration=${GIF.seconds},fps=${GIF.fps},scale=${GIF.width}:${GIF.height},split[g1][g2];[g1]palettegen[pal];[g2][pal]paletteuse[gif]`,
    '-map', '[thumb]', '-frames:v', '1', '-q:v', '3', join(out, 'thumbnail.jpg'),
    '-map', '[sprite]', '-frames:v', '1', '-q:v', '4', join(out, 'storyboard.jpg'),
    '-map', '[gif]', '-loop', '0', join(out, 'animated.gif'),
  ]);
}

/** Bitrates measured from the segments ffmpeg wrote (what HLS BANDWIDTH is meant to be). */
function measure(dir: string): Pick<Rendition, 'bandwidth' | 'averageBandwidth' | 'segments'> {
  const lines = readFileSync(join(dir, 'index.m3u8'), 'utf8').split('\n');
  let peak = 0;
  let bytes = 0;
  let seconds = 0;
  let segments = 0;
  let extinf = 0;
  for (const line of lines) {
    const m = /^#EXTINF:([\d.]+)/.exec(line);
    if (m) extinf = Number(m[1]);
    else if (line && !line.startsWith('#')) {
      const size = statSync(join(dir, line)).size;
      bytes += size;
      seconds += extinf;
      segments += 1;
      peak = Math.max(peak, (size * 8) / extinf);
    }
  }
  if (segments === 0 || readdirSync(dir).filter((f) => f.endsWith('.ts')).length !== segments) throw new Error(`ffmpeg left an incomplete rendition in ${dir}`);
  return { bandwidth: Math.ceil(peak), averageBandwidth: Math.ceil((bytes * 8) / seconds), segments };
}

function masterPlaylist(renditions: Rendition[]): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const r of renditions) {
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${r.bandwidth},AVERAGE-BANDWIDTH=${r.averageBandwidth},RESOLUTION=${r.width}x${r.height},FRAME-RATE=${FPS.toFixed(3)},CODECS="${CODECS}"`,
      `${r.name}.m3u8`,
    );
  }
  return lines.join('\n') + '\n';
}

function storyboardVtt(): string {
  const s = STORYBOARD;
  const ts = (sec: number) => {
    const h = Math.floor(sec / 3600);
    const m = Math.floor((sec % 3600) / 60);
    return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${(sec % 60).toFixed(3).padStart(6, '0')}`;
  };
  const cues = ['WEBVTT', ''];
  const tiles = Math.min(s.columns * s.rows, Math.ceil(DURATION_S / s.intervalSeconds));
  for (let i = 0; i < tiles; i++) {
    const x = (i % s.columns) * s.tileWidth;
    const y = Math.floor(i / s.columns) * s.tileHeight;
    const end = Math.min(DURATION_S, (i + 1) * s.intervalSeconds);
    cues.push(`${ts(i * s.intervalSeconds)} --> ${ts(end)}`, `storyboard.jpg#xywh=${x},${y},${s.tileWidth},${s.tileHeight}`, '');
  }
  return cues.join('\n');
}
