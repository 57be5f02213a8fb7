/**
 * Playlists and the storyboard are served rewritten so every URI in them carries the caller's
 * token (as Mux's do): a player that follows them keeps being authorised, and each segment
 * request is checked on its own.
 */

/** Every URI line and every `URI="…"` attribute of an m3u8, passed through `map`. */
export function rewritePlaylist(text: string, map: (uri: string) => string): string {
  return text
    .split('\n')
    .map((line) => {
      const trimmed = line.trim();
      if (trimmed === '') return line;
      if (trimmed.startsWith('#')) return line.replace(/URI="([^"]*)"/g, (_, uri: string) => `URI="${map(uri)}"`);
      return map(trimmed);
    })
    .join('\n');
}

/** `storyboard.jpg#xywh=…` cue payloads of a WebVTT storyboard, passed through `map` (fragment kept). */
export function rewriteStoryboard(vtt: string, map: (uri: string) => string): string {
  return vtt
    .split('\n')
    .map((line) => {
      const m = /^([^\s#]+\.(?:jpg|jpeg|png|webp))(#xywh=.*)?$/.exec(line.trim());
      return m ? `${map(m[1])}${m[2] ?? ''}` : line;
    })
    .join('\n');
}

export function withToken(uri: string, token: string): string {
  return `${uri}${uri.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}
