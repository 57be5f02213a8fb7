/**
 * The origin as a player meets it: tokens made by the real @mux/mux-node SDK with a signing key
 * from the Mux emulator open the stream, its thumbnail and storyboard; every other token (other
 * title, other kind, expired, forged, unknown key, none) is refused with 403 and a reason; and
 * the bundled ffprobe plays the returned URL through to the segments.
 */
import Mux from '@mux/mux-node';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMuxEmulator, type MuxEmulator } from '@flix/mux-emulator';
import { probe, startVideoOrigin, type VideoOrigin } from '../src/index.js';

const creds = { tokenId: 'origin-test-id', tokenSecret: 'origin-test-secret' };
const PID = 'TitleAPlaybackId00aa';
const OTHER_PID = 'TitleBPlaybackId00bb';

let emulator: MuxEmulator;
let origin: VideoOrigin;
let mux: Mux;
let key: { id: string; private_key: string };

type Kind = 'video' | 'thumbnail' | 'storyboard' | 'gif';
const sign = (playbackId: string, type: Kind = 'video', extra: { expiration?: string; keyId?: string; keySecret?: string } = {}) =>
  mux.jwt.signPlaybackId(playbackId, { keyId: key.id, keySecret: key.private_key, type, expiration: '1h', ...extra });

beforeAll(async () => {
  emulator = await startMuxEmulator({ ...creds, webhookSecret: 'whsec-origin' });
  mux = new Mux({ ...creds, baseURL: emulator.url, maxRetries: 0 });
  const created = await mux.system.signingKeys.create();
  key = { id: created.id, private_key: created.private_key! };
  // The shared cache (build/video-origin): made once per clone, then reused.
  origin = await startVideoOrigin({ signingKeys: { muxEmulatorUrl: emulator.url } });
}, 120_000);

afterAll(async () => {
  await origin?.close();
  await emulator?.close();
});

async function get(path: string, init?: RequestInit): Promise<{ status: number; headers: Headers; text: string; bytes: Buffer }> {
  const res = await fetch(`${origin.url}${path}`, init);
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, text: bytes.toString('utf8'), bytes };
}

const uriLines = (m3u8: string) => m3u8.split('\n').filter((l) => l && !l.startsWith('#'));

describe('with a token the SDK signed for the title', () => {
  it('serves the master playlist, whose renditions and segments carry the token and play', async () => {
    const token = await sign(PID);
    const master = await get(`/${PID}.m3u8?token=${token}`);
    expect(master.status).toBe(200);
    expect(master.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(master.text).toMatch(/^#EXTM3U/);
    expect(master.text).toContain('RESOLUTION=640x360');
    expect(master.text).toContain('CODECS="avc1.42c01e,mp4a.40.2"');
    const variants = uriLines(master.text);
    expect(variants).toEqual([`${PID}/360p.m3u8?token=${token}`, `${PID}/240p.m3u8?token=${token}`]);

    // Relative URIs resolve the way a player resolves them.
    const variantUrl = new URL(variants[0], `${origin.url}/${PID}.m3u8`);
    const rendition = await fetch(variantUrl);
    expect(rendition.status).toBe(200);
    const renditionText = await rendition.text();
    expect(renditionText).toContain('#EXT-X-ENDLIST');
    const segments = uriLines(renditionText);
    expect(segments.length).toBeGreaterThanOrEqual(7);
    expect(segments.every((s) => s.endsWith(`?token=${token}`))).toBe(true);

    const segment = await fetch(new URL(segments[0], variantUrl));
    expect(segment.status).toBe(200);
    expect(segment.headers.get('content-type')).toBe('video/mp2t');
    const bytes = Buffer.from(await segment.arrayBuffer());
    expect(bytes[0]).toBe(0x47); // MPEG-TS sync byte
    expect(bytes.length % 188).toBe(0);
  });

  it('is what ffprobe (the bundled binary) plays: an h264 video stream of the stream duration', async () => {
    const playbackUrl = `${origin.url}/${PID}.m3u8?token=${await sign(PID)}`;
    const info = await probe(playbackUrl);
    const video = info.streams.find((s) => s.codec_type === 'video');
    const audio = info.streams.find((s) => s.codec_type === 'audio');
    expect(video).toMatchObject({ codec_name: 'h264', profile: 'Constrained Baseline' });
    expect([video!.width, video!.height]).toContainEqual(640);
    expect(audio).toMatchObject({ codec_name: 'aac' });
    expect(info.format.format_name).toBe('hls');
    expect(Number(info.format.duration)).toBeCloseTo(origin.stream.durationSeconds, 0);
  });

  it('serves the thumbnail with a thumbnail token and the storyboard (cues + sprite) with a storyboard token', async () => {
    const thumb = await get(`/${PID}/thumbnail.jpg?token=${await sign(PID, 'thumbnail')}`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    expect(thumb.bytes.subarray(0, 3).toString('hex')).toBe('ffd8ff');

    const sToken = await sign(PID, 'storyboard');
    const vtt = await get(`/${PID}/storyboard.vtt?token=${sToken}`);
    expect(vtt.status).toBe(200);
    expect(vtt.headers.get('content-type')).toMatch(/^text\/vtt/);
    expect(vtt.text).toMatch(/^WEBVTT/);
    expect(vtt.text).toContain('00:00:00.000 --> 00:00:02.000');
    const cue = vtt.text.split('\n').find((l) => l.startsWith('storyboard.jpg'))!;
    expect(cue).toBe(`storyboard.jpg?token=${sToken}#xywh=0,0,160,90`);
    const sprite = await fetch(new URL(cue, `${origin.url}/${PID}/storyboard.vtt`));
    expect(sprite.status).toBe(200);
    expect(sprite.headers.get('content-type')).toBe('image/jpeg');
  });

  it('serves animated.gif with a gif token', async () => {
    const gif = await get(`/${PID}/animated.gif?token=${await sign(PID, 'gif')}`);
    expect(gif.status).toBe(200);
    expect(gif.headers.get('content-type')).toBe('image/gif');
    expect(gif.bytes.subarray(0, 6).toString('latin1')).toBe('GIF89a');
  });

  it('lets a browser player in: CORS * on answers and refusals, preflight allowed', async () => {
    const ok = await get(`/${PID}.m3u8?token=${await sign(PID)}`, { headers: { origin: 'http://localhost:5173' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('*');
    const refused = await get(`/${PID}.m3u8`, { headers: { origin: 'http://localhost:5173' } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBe('*');
    const preflight = await get(`/${PID}/360p/seg000.ts`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('range');
  });

  it('answers as Mux does to hls.js loading cross-origin with XHR: preflights for Range, lengths and ranges exposed', async () => {
    const token = await sign(PID);
    const from = { origin: 'http://127.0.0.1:8080' };
    // hls.js may add headers of its own (xhrSetup); a preflight allows what it asks for, for a day.
    const preflight = await get(`/${PID}/360p.m3u8?token=${token}`, {
      method: 'OPTIONS',
      headers: { ...from, 'access-control-request-method': 'GET', 'access-control-request-headers': 'range,x-playback-session-id' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('range,x-playback-session-id');
    expect(preflight.headers.get('access-control-max-age')).toBe('86400');
    expect(preflight.bytes.length).toBe(0);
    // A preflight without requested headers still allows Range.
    const bare = await get(`/${PID}.m3u8`, { method: 'OPTIONS', headers: { ...from, 'access-control-request-method': 'GET' } });
    expect(bare.headers.get('access-control-allow-headers')).toBe('range');

    const exposed = (h: Headers) => (h.get('access-control-expose-headers') ?? '').split(/,\s*/);
    const part = await get(`/${PID}/360p/seg000.ts?token=${token}`, { headers: { ...from, range: 'bytes=0-187' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('access-control-allow-origin')).toBe('*');
    expect(exposed(part.headers)).toEqual(expect.arrayContaining(['content-length', 'content-range', 'accept-ranges']));
    expect(part.headers.get('content-length')).toBe('188');
    const head = await get(`/${PID}/360p.m3u8?token=${token}`, { method: 'HEAD', headers: from });
    expect(head.status).toBe(200);
    expect(head.headers.get('access-control-allow-origin')).toBe('*');
    // Failures stay readable by the page (hls.js reports the status), as Mux's do.
    for (const failed of [
      await get(`/${PID}/360p/seg000.ts?token=${token}`, { headers: { ...from, range: 'bytes=99999999-' } }),
      await get('/no/such/thing.m3u8', { headers: from }),
      await get(`/${OTHER_PID}.m3u8?token=${token}`, { headers: from }),
    ]) {
      expect([416, 404, 403]).toContain(failed.status);
      expect(failed.headers.get('access-control-allow-origin')).toBe('*');
    }
  });

  it('answers byte ranges of a segment (players that seek within a segment)', async () => {
    const token = await sign(PID);
    const whole = await get(`/${PID}/360p/seg001.ts?token=${token}`);
    const part = await get(`/${PID}/360p/seg001.ts?token=${token}`, { headers: { range: 'bytes=188-375' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 188-375/${whole.bytes.length}`);
    expect(part.bytes.equals(whole.bytes.subarray(188, 376))).toBe(true);
    expect((await get(`/${PID}/360p/seg001.ts?token=${token}`, { headers: { range: `bytes=${whole.bytes.length}-` } })).status).toBe(416);
  });
});

describe('refuses with 403 and says why', () => {
  async function refusal(path: string): Promise<{ type: string; message: string }> {
    const res = await get(path);
    expect(res.status, `${path} → ${res.text}`).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = JSON.parse(res.text) as { error: { type: string; messages: string[] } };
    return { type: body.error.type, message: body.error.messages[0] };
  }

  it('no token, on the playlist and on a segment', async () => {
    expect(await refusal(`/${PID}.m3u8`)).toMatchObject({ type: 'missing_token', message: expect.stringContaining('token') });
    expect((await refusal(`/${PID}/360p/seg000.ts`)).type).toBe('missing_token');
    expect((await refusal(`/${PID}/360p.m3u8`)).type).toBe('missing_token');
    expect((await refusal(`/${PID}/thumbnail.jpg`)).type).toBe('missing_token');
  });

  it("another title's token (sub is another playback id), also for its segments", async () => {
    const other = await sign(OTHER_PID);
    const r = await refusal(`/${PID}.m3u8?token=${other}`);
    expect(r.type).toBe('wrong_playback_id');
    expect(r.message).toContain(OTHER_PID);
    expect((await refusal(`/${PID}/360p/seg000.ts?token=${other}`)).type).toBe('wrong_playback_id');
  });

  it('a token for another kind of resource (aud)', async () => {
    expect(await refusal(`/${PID}.m3u8?token=${await sign(PID, 'thumbnail')}`)).toMatchObject({ type: 'wrong_audience', message: expect.stringContaining('"v"') });
    expect((await refusal(`/${PID}/thumbnail.jpg?token=${await sign(PID, 'video')}`)).type).toBe('wrong_audience');
    expect((await refusal(`/${PID}/storyboard.vtt?token=${await sign(PID, 'thumbnail')}`)).type).toBe('wrong_audience');
    expect((await refusal(`/${PID}/storyboard.jpg?token=${await sign(PID, 'gif')}`)).type).toBe('wrong_audience');
    expect((await refusal(`/${PID}/animated.gif?token=${await sign(PID, 'thumbnail')}`)).type).toBe('wrong_audience');
  });

  it('an expired token', async () => {
    // The SDK reads a bare number as seconds from now: -60 is a minute ago.
    const expired = await sign(PID, 'video', { expiration: '-60' });
    expect(await refusal(`/${PID}.m3u8?token=${expired}`)).toMatchObject({ type: 'token_expired', message: expect.stringMatching(/expired at \d{4}-/) });
    expect((await refusal(`/${PID}/360p/seg000.ts?token=${expired}`)).type).toBe('token_expired');
  });

  it('a token whose signature does not match the signing key it names', async () => {
    const forger = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const forged = await sign(PID, 'video', { keySecret: Buffer.from(forger.privateKey).toString('base64') });
    expect((await refusal(`/${PID}.m3u8?token=${forged}`)).type).toBe('bad_signature');

    // A genuine token for another title, its claims edited to this title: the signature breaks.
    const [h, , s] = (await sign(OTHER_PID)).split('.');
    const claims = Buffer.from(JSON.stringify({ kid: key.id, sub: PID, aud: 'v', exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url');
    expect((await refusal(`/${PID}.m3u8?token=${h}.${claims}.${s}`)).type).toBe('bad_signature');
  });

  it('a token signed with a key the emulator never made (unknown kid)', async () => {
    const r = await refusal(`/${PID}.m3u8?token=${await sign(PID, 'video', { keyId: 'NoSuchSigningKey0000000000000000' })}`);
    expect(r).toMatchObject({ type: 'unknown_signing_key', message: expect.stringContaining('NoSuchSigningKey') });
  });

  it('something that is not an RS256 JWT', async () => {
    expect((await refusal(`/${PID}.m3u8?token=not-a-jwt`)).type).toBe('malformed_token');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ kid: key.id, sub: PID, aud: 'v', exp: 9999999999 })).toString('base64url')}.`;
    expect((await refusal(`/${PID}.m3u8?token=${none}`)).type).toBe('malformed_token');
  });
});

describe('signing keys come from the emulator', () => {
  it('a key deleted in the emulator stops opening the stream (cache off)', async () => {
    const fresh = await startVideoOrigin({ signingKeys: { muxEmulatorUrl: emulator.url, cacheMs: 0 } });
    try {
      const k = await mux.system.signingKeys.create();
      const token = await mux.jwt.signPlaybackId(PID, { keyId: k.id, keySecret: k.private_key!, expiration: '1h' });
      expect((await fetch(`${fresh.url}/${PID}.m3u8?token=${token}`)).status).toBe(200);
      await mux.system.signingKeys.delete(k.id);
      const res = await fetch(`${fresh.url}/${PID}.m3u8?token=${token}`);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { type: string } }).error.type).toBe('unknown_signing_key');
    } finally {
      await fresh.close();
    }
  });

  it('answers 503 (not 403) when it cannot ask the emulator at all', async () => {
    const orphan = await startVideoOrigin({ signingKeys: { muxEmulatorUrl: 'http://127.0.0.1:1' } });
    try {
      const res = await fetch(`${orphan.url}/${PID}.m3u8?token=${await sign(PID)}`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { type: string } }).error.type).toBe('key_source_unavailable');
    } finally {
      await orphan.close();
    }
  });
});

describe('other requests', () => {
  it('health, unknown paths (404) and methods other than GET (405)', async () => {
    const health = await get('/_origin/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toMatchObject({ ok: true, stream: { renditions: ['360p', '240p'] } });
    expect((await get(`/${PID}/high.mp4?token=x`)).status).toBe(404);
    const token = await sign(PID);
    expect((await get(`/${PID}/999p.m3u8?token=${token}`)).status).toBe(404);
    expect((await get(`/${PID}/360p/seg999.ts?token=${token}`)).status).toBe(404);
    expect((await get(`/${PID}.m3u8?token=${token}`, { method: 'POST' })).status).toBe(405);
  });
});
