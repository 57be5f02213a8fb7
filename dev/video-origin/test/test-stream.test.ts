/**
 * The test stream is made from nothing by the bundled ffmpeg (a clean clone has no cache) and
 * is what the playlists say it is; a second call reuses it instead of encoding again.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureTestStream, probe, type TestStream } from '../src/index.js';

let cacheDir: string;
let stream: TestStream;

beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), 'video-origin-cache-'));
  stream = await ensureTestStream(cacheDir);
}, 120_000);

afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe('ensureTestStream', () => {
  it('writes a master playlist over two H.264 baseline + AAC renditions in 4 s segments', async () => {
    expect(readdirSync(cacheDir)).toEqual([`test-stream-v${stream.recipeVersion}`]); // no temporary dirs left behind
    const master = readFileSync(join(stream.dir, 'master.m3u8'), 'utf8');
    expect(master.match(/#EXT-X-STREAM-INF/g)).toHaveLength(2);
    expect(stream.renditions.map((r) => `${r.name}:${r.width}x${r.height}`)).toEqual(['360p:640x360', '240p:426x240']);

    for (const r of stream.renditions) {
      const playlist = readFileSync(join(stream.dir, r.name, 'index.m3u8'), 'utf8');
      const durations = [...playlist.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));
      expect(durations.every((d) => d > 0 && d <= 4)).toBe(true);
      expect(durations.reduce((a, b) => a + b, 0)).toBeCloseTo(stream.durationSeconds, 1);
      expect(master).toContain(`BANDWIDTH=${r.bandwidth},`);
      expect(r.bandwidth).toBeGreaterThanOrEqual(r.averageBandwidth);

      const info = await probe(join(stream.dir, r.name, 'index.m3u8'));
      expect(info.streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', profile: 'Constrained Baseline', width: r.width, height: r.height });
      expect(info.streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac', profile: 'LC' });
      expect(Number(info.format.duration)).toBeCloseTo(stream.durationSeconds, 0);
    }
  });

  it('writes a full-size poster frame, a 320 px gif and a storyboard sprite whose cues cover the stream', async () => {
    const thumb = await probe(join(stream.dir, 'thumbnail.jpg'));
    expect(thumb.streams[0]).toMatchObject({ codec_name: 'mjpeg', width: 640, height: 360 });
    const gif = await probe(join(stream.dir, 'animated.gif'));
    expect(gif.streams[0]).toMatchObject({ codec_name: 'gif', width: 320, height: 180 });
    expect(Number(gif.format.duration)).toBeCloseTo(5, 0);
    const s = stream.storyboard;
    const sprite = await probe(join(stream.dir, 'storyboard.jpg'));
    expect(sprite.streams[0]).toMatchObject({ codec_name: 'mjpeg', width: s.columns * s.tileWidth, height: s.rows * s.tileHeight });

    const vtt = readFileSync(join(stream.dir, 'storyboard.vtt'), 'utf8');
    const cues = [...vtt.matchAll(/^(\S+) --> (\S+)\n(storyboard\.jpg#xywh=(\d+),(\d+),(\d+),(\d+))$/gm)];
    expect(cues).toHaveLength(stream.durationSeconds / s.intervalSeconds);
    expect(cues[0][1]).toBe('00:00:00.000');
    expect(cues.at(-1)![2]).toBe(`00:00:${stream.durationSeconds}.000`);
    // Every tile lies inside the sprite.
    expect(cues.every((c) => Number(c[4]) + Number(c[6]) <= s.columns * s.tileWidth && Number(c[5]) + Number(c[7]) <= s.rows * s.tileHeight)).toBe(true);
  });

  it('reuses what is there: a second call (even from a new process state) encodes nothing', async () => {
    const before = statSync(join(stream.dir, 'stream.json')).mtimeMs;
    const again = await ensureTestStream(cacheDir);
    expect(again).toEqual(stream);
    // Fresh module state, as in another process, with an ffmpeg that must not be run.
    vi.resetModules();
    const run = vi.fn(async () => {
      throw new Error('ffmpeg ran again');
    });
    vi.doMock('../src/ffmpeg.js', async (original) => ({ ...(await original<typeof import('../src/ffmpeg.js')>()), run }));
    const { ensureTestStream: fresh } = await import('../src/test-stream.js');
    expect(await fresh(cacheDir)).toEqual(stream);
    expect(run).not.toHaveBeenCalled();
    vi.doUnmock('../src/ffmpeg.js');
    expect(statSync(join(stream.dir, 'stream.json')).mtimeMs).toBe(before);
    expect(readdirSync(cacheDir)).toHaveLength(1);
  });
});
