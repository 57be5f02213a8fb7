import { describe, expect, it } from 'vitest';
import { readIdentityConfig } from '../config.js';
import { oauthApplications } from './wiring.js';
import { checkScopes, s256 } from '../domain/oauth-authorization.js';
import { formatUserCode, normaliseUserCode, USER_CODE_ALPHABET } from '../domain/oauth-device.js';

const env = (extra: Record<string, string>) => ({ MONGO_URL: 'mongodb://127.0.0.1:1', NATS_URL: 'nats://127.0.0.1:1', FLIX_PUBLIC_URL: 'https://flix.example', ...extra });

describe('user codes', () => {
  it('are read whatever the case, dashes or spaces the person typed', () => {
    expect(normaliseUserCode('wdjb-mjht')).toBe('WDJBMJHT');
    expect(normaliseUserCode(' WDJB MJHT ')).toBe('WDJBMJHT');
    expect(formatUserCode('WDJBMJHT')).toBe('WDJB-MJHT');
  });

  it('cannot hold vowels, digits or the wrong length', () => {
    expect(normaliseUserCode('WDJA-MJHT')).toBeNull();
    expect(normaliseUserCode('WDJ0-MJHT')).toBeNull();
    expect(normaliseUserCode('WDJB-MJH')).toBeNull();
    expect(USER_CODE_ALPHABET).not.toMatch(/[AEIOUY0-9]/);
  });
});

describe('PKCE', () => {
  it('S256 is BASE64URL(SHA-256(verifier)) (RFC 7636 appendix B)', () => {
    expect(s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });
});

describe('the application registry', () => {
  it('has flix-web and flix-tv built in, and an operator entry replaces one with the same id', () => {
    const apps = oauthApplications(readIdentityConfig(env({ FLIX_OAUTH_APPS: JSON.stringify([{ id: 'flix-tv', name: 'Flix TV (beta)', grants: ['device_code'] }]) })));
    expect(apps.find('flix-web')).toMatchObject({ redirectUris: ['https://flix.example/callback'], firstParty: true, grants: ['authorization_code'] });
    expect(apps.find('flix-tv')).toMatchObject({ displayName: 'Flix TV (beta)', firstParty: false });
  });

  it('makes a client with a secret confidential: it must authenticate, a public one must not send one', () => {
    const apps = oauthApplications(readIdentityConfig(env({ FLIX_OAUTH_APPS: JSON.stringify([{ id: 'acme', name: 'Acme', redirectUris: ['https://acme.example/cb'], secret: 'acme-secret-0123456789' }]) })));
    expect(apps.authenticate('acme', null)).toBeNull();
    expect(apps.authenticate('acme', 'wrong-secret-0123456789')).toBeNull();
    expect(apps.authenticate('acme', 'acme-secret-0123456789')?.id).toBe('acme');
    expect(apps.authenticate('flix-web', null)?.id).toBe('flix-web');
    expect(apps.authenticate('flix-web', 'anything')).toBeNull();
  });

  it('refuses a malformed FLIX_OAUTH_APPS at start, naming the problem', () => {
    expect(() => readIdentityConfig(env({ FLIX_OAUTH_APPS: 'not json' }))).toThrow(/FLIX_OAUTH_APPS.*JSON array/);
    expect(() => readIdentityConfig(env({ FLIX_OAUTH_APPS: '[{"id":"x","name":"X","redirectUris":["/relative"]}]' }))).toThrow(/FLIX_OAUTH_APPS/);
    expect(() => readIdentityConfig(env({ FLIX_OAUTH_APPS: '[{"id":"x","name":"X","secret":"short"}]' }))).toThrow(/16 characters/);
  });

  it('limits the scopes a request may ask to the client\'s, and gives all of them when none is asked', () => {
    const app = oauthApplications(readIdentityConfig(env({ FLIX_OAUTH_APPS: '[{"id":"x","name":"X","scopes":["profile"]}]' }))).find('x')!;
    expect(checkScopes(app, '')).toEqual(['profile']);
    expect(checkScopes(app, 'profile profile')).toEqual(['profile']);
    expect(() => checkScopes(app, 'profile billing')).toThrow(/scope billing is not allowed/);
  });
});
