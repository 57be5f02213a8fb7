import { isIPv4, isIPv6 } from 'node:net';

/** A device signed in to an account: one refresh-token family with a live token. */
export interface DeviceRecord {
  /** The refresh-token family's id. */
  id: string;
  userAgent: string;
  /** The address of the device's latest sign-in or refresh (never shown in full). */
  clientIp: string;
  createdAt: Date;
  lastUsedAt: Date;
}

// Checked in order: several browsers claim to be another one ("Chrome … Safari", "Edg … Chrome").
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bCrKey\//, 'Chromecast'],
  [/\bChrom(e|ium)\/|\bCriOS\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
  [/^curl\//, 'curl'],
  [/^okhttp\//, 'Android app'],
  [/\bFlix\//i, 'Flix app'],
  [/^(node|undici)\b|grpc-node/i, 'API client'],
];

const SYSTEMS: [RegExp, string][] = [
  [/\bTizen\b/, 'Samsung TV'],
  [/\bWeb0S\b|\bwebOS\b/, 'LG TV'],
  [/\bRoku\b/, 'Roku'],
  [/\bAppleTV\b|\btvOS\b/, 'Apple TV'],
  [/\bAndroid TV\b|\bBRAVIA\b/, 'Android TV'],
  [/\biPad\b/, 'iPad'],
  [/\biPhone\b|\biPod\b/, 'iPhone'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b|\bX11\b/, 'Linux'],
];

/**
 * A readable name for the device a User-Agent describes, e.g. "Firefox on Linux", "Chrome on
 * Android", "Samsung TV". Only the browser family and the system are kept: versions and build
 * strings say nothing a person recognises their device by.
 */
export function deviceName(userAgent: string): string {
  const ua = userAgent.trim();
  if (ua === '') return 'Unknown device';
  const browser = BROWSERS.find(([re]) => re.test(ua))?.[1];
  const system = SYSTEMS.find(([re]) => re.test(ua))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? 'Unknown device';
}

/**
 * An approximate place for a client address that never reveals the address itself: the /24
 * network of an IPv4 address, the /48 of an IPv6 one (a site's prefix; the /64 would often name
 * a single home). No geolocation database is consulted: the network is what a person compares
 * with their own ("is that my provider?"), and it adds no third-party lookup of their address.
 */
export function coarseNetwork(clientIp: string): string {
  const ip = clientIp.trim().toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  const v4 = mapped ? mapped[1]! : ip;
  if (isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  const bare = ip.split('%')[0]!;
  if (!isIPv6(bare)) return '';
  const [head = '', tail] = bare.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 3).map((g) => parseInt(g, 16).toString(16)).join(':')}::/48`;
}
