/**
 * Signed playback URLs carry their token as the `token` query parameter on every URI (the
 * master playlist, the renditions, each segment), as Mux's do. hls.js keeps requesting the URIs
 * it read from playlists fetched earlier, so after a token refresh each request is rewritten
 * to the newest token instead of restarting playback.
 */
const TOKEN_PARAM = /([?&]token=)([^&#]*)/;

/** `url` with its token replaced; a URL without one (a key server, another host) is left alone. */
export function withToken(url: string, token: string | undefined): string {
  if (!token || !TOKEN_PARAM.test(url)) return url;
  // A string edit, not URLSearchParams: that would re-encode the other parameters.
  return url.replace(TOKEN_PARAM, (_, prefix: string) => `${prefix}${encodeURIComponent(token)}`);
}

/** The token a signed URL carries, or undefined. */
export function tokenOf(url: string): string | undefined {
  const m = TOKEN_PARAM.exec(url);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[2]);
  } catch {
    return m[2];
  }
}
