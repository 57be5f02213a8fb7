/** "Firefox on Linux" from a User-Agent: enough for an operator to tell a user's devices apart. */
export function deviceLabel(userAgent: string): string {
  const ua = userAgent.trim();
  if (!ua) return 'Unknown device';
  const browser =
    /Edg\//.test(ua) ? 'Edge'
    : /Firefox\//.test(ua) ? 'Firefox'
    : /(HeadlessChrome|Chrome|Chromium)\//.test(ua) ? 'Chrome'
    : /Version\/[\d.]+.*Safari\//.test(ua) ? 'Safari'
    : /^curl\//i.test(ua) ? 'curl'
    : ua.split(/[\s/]/)[0] || 'Unknown app';
  const os =
    /Android/.test(ua) ? 'Android'
    : /iPhone|iPad|iPod/.test(ua) ? 'iOS'
    : /Windows/.test(ua) ? 'Windows'
    : /Mac OS X|Macintosh/.test(ua) ? 'macOS'
    : /CrOS/.test(ua) ? 'ChromeOS'
    : /Linux|X11/.test(ua) ? 'Linux'
    : '';
  return os ? `${browser} on ${os}` : browser;
}
