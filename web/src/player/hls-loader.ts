/**
 * Puts a signed HLS stream on a <video>: hls.js over Media Source Extensions, or the browser's
 * own HLS player where MSE is missing (iPhone Safari before 17.1). hls.js is imported here, on
 * demand, so it stays out of the app's first bundle.
 */
import type Hls from 'hls.js';
import type { ErrorData } from 'hls.js';
import { withToken } from './playback-token';

export interface StreamHandle {
  /** kbps of the rendition playing; 0 when unknown (native HLS does not say). */
  bitrateKbps(): number;
  destroy(): void;
}

export interface StreamFailure {
  message: string;
  /** HTTP status of the request that failed, when a request failed (403: the token was refused). */
  httpStatus?: number;
}

export interface StreamOptions {
  url: string;
  startPosition: number;
  /** The newest playback token, read at every request. */
  token: () => string | undefined;
  onFatal: (failure: StreamFailure) => void;
}

export class UnsupportedBrowserError extends Error {
  override readonly name = 'UnsupportedBrowserError';
  constructor() {
    super('This browser cannot play this video. Try a recent version of Chrome, Edge, Firefox or Safari.');
  }
}

const HLS_MIME = 'application/vnd.apple.mpegurl';

function hasMediaSource(): boolean {
  return typeof window !== 'undefined' && ('MediaSource' in window || 'ManagedMediaSource' in window);
}

export async function attachStream(video: HTMLVideoElement, opts: StreamOptions): Promise<StreamHandle> {
  const native = video.canPlayType(HLS_MIME) !== '';
  if (native && !hasMediaSource()) return attachNative(video, opts);
  const { default: HlsClass } = await import('hls.js');
  if (HlsClass.isSupported()) return attachHls(HlsClass, video, opts);
  if (native) return attachNative(video, opts);
  throw new UnsupportedBrowserError();
}

function attachHls(HlsClass: typeof Hls, video: HTMLVideoElement, opts: StreamOptions): StreamHandle {
  const hls = new HlsClass({
    // Loads from the resume point directly instead of fetching the opening and seeking.
    startPosition: opts.startPosition > 0 ? opts.startPosition : -1,
    // hls.js requests the URIs of playlists it read earlier; each request gets the newest token,
    // so a refresh mid-film needs no restart. (Opened here, hls.js does not open it again.)
    xhrSetup: (xhr, url) => {
      xhr.open('GET', withToken(url, opts.token()), true);
    },
    capLevelToPlayerSize: true,
  });
  let lastRecovery = 0;
  hls.on(HlsClass.Events.ERROR, (_event, data: ErrorData) => {
    if (!data.fatal) return;
    // A decode hiccup usually clears with one recovery; the same failure again right away will not.
    if (data.type === HlsClass.ErrorTypes.MEDIA_ERROR && Date.now() - lastRecovery > 5_000) {
      lastRecovery = Date.now();
      hls.recoverMediaError();
      return;
    }
    opts.onFatal(describeHlsError(data));
  });
  hls.attachMedia(video);
  hls.loadSource(withToken(opts.url, opts.token()));
  return {
    bitrateKbps: () => {
      const level = hls.currentLevel >= 0 ? hls.levels[hls.currentLevel] : undefined;
      return level ? level.bitrate / 1000 : 0;
    },
    destroy: () => hls.destroy(),
  };
}

function describeHlsError(data: ErrorData): StreamFailure {
  const httpStatus = data.response?.code || undefined;
  if (httpStatus === 401 || httpStatus === 403) return { message: 'Access to the video was refused; its playback permission may have expired.', httpStatus };
  if (data.type === 'networkError') return { message: 'The video stopped loading. Check your connection and try again.', httpStatus };
  return { message: `The video could not be decoded (${data.details}).`, httpStatus };
}

/** The browser plays HLS itself: requests cannot be rewritten, so a later token needs a reload (retry). */
function attachNative(video: HTMLVideoElement, opts: StreamOptions): StreamHandle {
  const seekToStart = () => {
    if (opts.startPosition > 0 && video.currentTime < opts.startPosition - 1) video.currentTime = opts.startPosition;
  };
  const onError = () => {
    const code = video.error?.code;
    opts.onFatal({
      message: code === MediaError.MEDIA_ERR_NETWORK ? 'The video stopped loading. Check your connection and try again.' : (video.error?.message || 'The video could not be played.'),
    });
  };
  video.addEventListener('loadedmetadata', seekToStart, { once: true });
  video.addEventListener('error', onError);
  video.src = withToken(opts.url, opts.token());
  return {
    bitrateKbps: () => 0,
    destroy: () => {
      video.removeEventListener('loadedmetadata', seekToStart);
      video.removeEventListener('error', onError);
      video.removeAttribute('src');
      video.load();
    },
  };
}
