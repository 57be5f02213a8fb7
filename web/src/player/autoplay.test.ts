import { describe, expect, it, vi } from 'vitest';
import { autoplay } from './autoplay';

const notAllowed = () => new DOMException('play() needs a user gesture', 'NotAllowedError');

function fakeVideo(play: (muted: boolean) => Promise<void>) {
  const video = { muted: false, play: vi.fn(() => play(video.muted)) };
  return video;
}

describe('autoplay', () => {
  it('plays with sound when allowed', async () => {
    const v = fakeVideo(async () => undefined);
    expect(await autoplay(v)).toBe('playing');
    expect(v.muted).toBe(false);
  });

  it('falls back to muted playback when sound is refused', async () => {
    const v = fakeVideo(async (muted) => {
      if (!muted) throw notAllowed();
    });
    expect(await autoplay(v)).toBe('muted');
    expect(v.muted).toBe(true);
    expect(v.play).toHaveBeenCalledTimes(2);
  });

  it('waits for a click, unmuted, when even muted playback is refused', async () => {
    const v = fakeVideo(async () => {
      throw notAllowed();
    });
    expect(await autoplay(v)).toBe('blocked');
    expect(v.muted).toBe(false);
  });

  it('does not mute for other failures (an aborted load)', async () => {
    const v = fakeVideo(async () => {
      throw new DOMException('interrupted', 'AbortError');
    });
    expect(await autoplay(v)).toBe('failed');
    expect(v.play).toHaveBeenCalledTimes(1);
  });
});
