import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { clearedRefreshCookie, cookieValue, refreshCookie, refreshCookiePolicy, refreshTokenFromCookies } from './refresh-cookie.js';

describe('the refresh cookie', () => {
  it('is httpOnly, SameSite=Strict, scoped to /v1/auth and lives as long as the refresh token', () => {
    const policy = refreshCookiePolicy('http://127.0.0.1:8080', 30);
    expect(policy).toEqual({ maxAgeSeconds: 2_592_000, secure: false });
    expect(refreshCookie('abc_DEF-123', policy)).toBe('flix_refresh=abc_DEF-123; Path=/v1/auth; HttpOnly; SameSite=Strict; Max-Age=2592000');
  });

  it('is Secure when the public URL is https', () => {
    const policy = refreshCookiePolicy('https://flix.example.com', 1);
    expect(refreshCookie('t', policy)).toBe('flix_refresh=t; Path=/v1/auth; HttpOnly; SameSite=Strict; Max-Age=86400; Secure');
    expect(clearedRefreshCookie(policy)).toBe('flix_refresh=; Path=/v1/auth; HttpOnly; SameSite=Strict; Max-Age=0; Secure');
  });

  it('is cleared with the same name, path and flags and Max-Age=0', () => {
    expect(clearedRefreshCookie({ secure: false })).toBe('flix_refresh=; Path=/v1/auth; HttpOnly; SameSite=Strict; Max-Age=0');
  });

  it('refuses a token that could break out of the cookie value', () => {
    const policy = { maxAgeSeconds: 60, secure: false };
    expect(() => refreshCookie('a; Domain=evil.example', policy)).toThrow();
    expect(() => refreshCookie('', policy)).toThrow();
  });
});

describe('reading the Cookie header', () => {
  it('finds a cookie among others, with or without spaces and quotes', () => {
    expect(cookieValue('a=1; flix_refresh=tok; b=2', 'flix_refresh')).toBe('tok');
    expect(cookieValue('a=1;flix_refresh=tok', 'flix_refresh')).toBe('tok');
    expect(cookieValue('flix_refresh="tok"', 'flix_refresh')).toBe('tok');
    expect(cookieValue(' flix_refresh = tok ', 'flix_refresh')).toBe('tok');
  });

  it('does not match a name that merely contains it, and skips empty values', () => {
    expect(cookieValue('xflix_refresh=no; flix_refresh_old=no', 'flix_refresh')).toBeUndefined();
    expect(cookieValue('flix_refresh=; flix_refresh=second', 'flix_refresh')).toBe('second');
    expect(cookieValue('flix_refresh', 'flix_refresh')).toBeUndefined();
    expect(cookieValue('', 'flix_refresh')).toBeUndefined();
    expect(cookieValue(undefined, 'flix_refresh')).toBeUndefined();
  });

  it('keeps "=" inside a value and takes the first (longest-path) cookie of a repeated name', () => {
    expect(cookieValue('flix_refresh=a=b', 'flix_refresh')).toBe('a=b');
    expect(cookieValue('flix_refresh=first; flix_refresh=second', 'flix_refresh')).toBe('first');
  });

  it('reads gRPC metadata, also when the Cookie header arrives split over several entries', () => {
    const md = new Metadata();
    expect(refreshTokenFromCookies(md)).toBeUndefined();
    md.add('cookie', 'theme=dark');
    md.add('cookie', 'flix_refresh=tok');
    expect(refreshTokenFromCookies(md)).toBe('tok');
  });
});
