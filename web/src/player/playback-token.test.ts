import { describe, expect, it } from 'vitest';
import { tokenOf, withToken } from './playback-token';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhYmMifQ.c2ln-_';

describe('withToken', () => {
  it('replaces the token of a master playlist, rendition and segment URI', () => {
    expect(withToken('http://127.0.0.1:8088/abc.m3u8?token=old', JWT)).toBe(`http://127.0.0.1:8088/abc.m3u8?token=${JWT}`);
    expect(withToken('https://stream.mux.com/abc/720p.m3u8?token=old', 'new')).toBe('https://stream.mux.com/abc/720p.m3u8?token=new');
    expect(withToken('https://x/abc/720p/seg003.ts?token=old&x=1', 'new')).toBe('https://x/abc/720p/seg003.ts?token=new&x=1');
  });

  it('finds the token after other parameters and keeps them as they were encoded', () => {
    expect(withToken('https://x/a.ts?name=a%20b&token=old', 'new')).toBe('https://x/a.ts?name=a%20b&token=new');
    expect(withToken('https://x/a.ts?token=old#t=10', 'new')).toBe('https://x/a.ts?token=new#t=10');
  });

  it('does not mistake another parameter ending in "token" for it', () => {
    expect(withToken('https://x/a.ts?csrftoken=keep', 'new')).toBe('https://x/a.ts?csrftoken=keep');
    expect(withToken('https://x/a.ts?csrftoken=keep&token=old', 'new')).toBe('https://x/a.ts?csrftoken=keep&token=new');
  });

  it('leaves URLs without a token, and calls without a token, unchanged', () => {
    expect(withToken('https://keys.example/k1', 'new')).toBe('https://keys.example/k1');
    expect(withToken('https://x/a.ts?token=old', undefined)).toBe('https://x/a.ts?token=old');
  });

  it('encodes what a URL cannot carry', () => {
    expect(withToken('https://x/a.ts?token=old', 'a+b/c=')).toBe('https://x/a.ts?token=a%2Bb%2Fc%3D');
  });
});

describe('tokenOf', () => {
  it('reads the token of a signed URL', () => {
    expect(tokenOf(`https://x/abc.m3u8?token=${JWT}`)).toBe(JWT);
    expect(tokenOf('https://x/abc.m3u8?a=1&token=a%2Bb')).toBe('a+b');
    expect(tokenOf('https://x/abc.m3u8')).toBeUndefined();
  });
});
