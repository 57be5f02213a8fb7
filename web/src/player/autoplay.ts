/**
 * Starting playback without a click: browsers may refuse sound (NotAllowedError) but usually
 * allow muted playback, which the player then offers to unmute.
 */
export type AutoplayOutcome = 'playing' | 'muted' | 'blocked' | 'failed';

type Playable = Pick<HTMLMediaElement, 'play' | 'muted'>;

const refused = (err: unknown): boolean => err instanceof DOMException && err.name === 'NotAllowedError';

export async function autoplay(video: Playable): Promise<AutoplayOutcome> {
  try {
    await video.play();
    return 'playing';
  } catch (err) {
    // AbortError (the source changed) or a media failure: those are reported elsewhere.
    if (!refused(err)) return 'failed';
  }
  video.muted = true;
  try {
    await video.play();
    return 'muted';
  } catch {
    // Not even muted: wait for a click, and play that with sound.
    video.muted = false;
    return 'blocked';
  }
}
