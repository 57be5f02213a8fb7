import type { CallContext } from '@flix/grpc';

/**
 * The refresh token as a browser cookie. A web page must never be able to read the refresh
 * token (an XSS would otherwise steal a 30-day credential), so for browsers it travels in an
 * httpOnly cookie that only /v1/auth/* requests carry, and SameSite=Strict keeps other sites'
 * pages from sending it (no CSRF on refresh/logout). Parsing and formatting stay here, at the
 * gRPC boundary: the domain only ever sees plain tokens.
 */
export const REFRESH_COOKIE = 'flix_refresh';
export const REFRESH_COOKIE_PATH = '/v1/auth';

export interface RefreshCookiePolicy {
  /** Cookie lifetime: the refresh token's own, so the browser drops it when it is useless. */
  maxAgeSeconds: number;
  /** Adds `Secure` (the public URL is https; plain-http dev setups would never send it back). */
  secure: boolean;
}

export function refreshCookiePolicy(publicUrl: string, refreshTokenTtlDays: number): RefreshCookiePolicy {
  return { maxAgeSeconds: refreshTokenTtlDays * 86_400, secure: new URL(publicUrl).protocol === 'https:' };
}

function attributes(maxAgeSeconds: number, secure: boolean): string {
  return `Path=${REFRESH_COOKIE_PATH}; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

/** `Set-Cookie` value carrying a refresh token. */
export function refreshCookie(token: string, policy: RefreshCookiePolicy): string {
  // Tokens are base64url: nothing to quote or escape, and anything else is a bug worth seeing.
  if (!/^[\w-]+$/.test(token)) throw new Error('refresh token is not a valid cookie value');
  return `${REFRESH_COOKIE}=${token}; ${attributes(policy.maxAgeSeconds, policy.secure)}`;
}

/** `Set-Cookie` value that makes the browser forget the refresh cookie (same name, path and flags). */
export function clearedRefreshCookie(policy: Pick<RefreshCookiePolicy, 'secure'>): string {
  return `${REFRESH_COOKIE}=; ${attributes(0, policy.secure)}`;
}

/**
 * The value of cookie `name` in a `Cookie` request header (RFC 6265 §5.4: `a=1; b=2`), or
 * undefined. When a name repeats, the first non-empty value wins: browsers list the cookie with
 * the longest path first, which is ours.
 */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (value !== '') return value;
  }
  return undefined;
}

/**
 * The refresh token in the call's `cookie` metadata (the gateway forwards the browser's Cookie
 * header as gRPC metadata; an HTTP/2 client may split it over several entries).
 */
export function refreshTokenFromCookies(md: CallContext['metadata']): string | undefined {
  const header = md.get('cookie').map(String).join('; ');
  return cookieValue(header, REFRESH_COOKIE);
}
