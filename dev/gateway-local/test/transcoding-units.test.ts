/**
 * The parts of Envoy's transcoder that are easiest to pin down in isolation: template matching
 * precedence, URL unescaping and the JSON reader's error messages.
 */
import { describe, expect, it } from 'vitest';
import { parseJson } from '../src/transcoder/json-parser.js';
import { parseTemplate, PathMatcher, urlUnescape } from '../src/transcoder/path-matcher.js';

function matcher(...templates: [string, string][]) {
  const m = new PathMatcher<string>({ unescapeSpec: 'ALL_CHARACTERS_EXCEPT_RESERVED', queryParamUnescapePlus: false, matchUnregisteredCustomVerb: false });
  for (const [method, t] of templates) expect(m.register(method, t, '', new Set(['api_key']), `${method} ${t}`)).toBe(true);
  return m;
}

describe('path templates', () => {
  it('parses variables, nested field paths, wildcards and verbs', () => {
    expect(parseTemplate('/v1/{profile.id}')).toEqual({ segments: ['v1', '*'], verb: '', variables: [{ fieldPath: ['profile', 'id'], start: 1, end: 2 }] });
    expect(parseTemplate('/v1/{name=shelves/*/books/*}:get')).toMatchObject({ segments: ['v1', 'shelves', '*', 'books', '*'], verb: 'get' });
    expect(parseTemplate('/v1/{path=**}/raw')).toMatchObject({ variables: [{ fieldPath: ['path'], start: 1, end: -2 }] });
    expect(parseTemplate('v1/no-slash')).toBeNull();
    expect(parseTemplate('/v1/{bad-name}')).toBeNull();
  });

  it('prefers literal segments to variables to **', () => {
    const m = matcher(['GET', '/v1/shelves/{id}'], ['GET', '/v1/shelves/special'], ['GET', '/v1/{rest=**}']);
    expect(m.lookup('GET', '/v1/shelves/special', '')?.method).toBe('GET /v1/shelves/special');
    expect(m.lookup('GET', '/v1/shelves/s1', '')?.method).toBe('GET /v1/shelves/{id}');
    expect(m.lookup('GET', '/v1/a/b/c', '')?.bindings).toEqual([{ fieldPath: ['rest'], value: 'a/b/c' }]);
  });

  it('splits off only registered custom verbs and ignores a trailing slash', () => {
    const m = matcher(['POST', '/v1/users/{user_id}:setRoles'], ['GET', '/v1/users/{user_id}']);
    expect(m.lookup('POST', '/v1/users/u1:setRoles', '')?.bindings).toEqual([{ fieldPath: ['user_id'], value: 'u1' }]);
    expect(m.lookup('GET', '/v1/users/a:b', '')?.bindings).toEqual([{ fieldPath: ['user_id'], value: 'a:b' }]);
    expect(m.lookup('GET', '/v1/users/u2/', '')?.method).toBe('GET /v1/users/{user_id}');
    expect(m.lookup('POST', '/v1/users/u1', '')).toBeUndefined();
  });

  it('matches nothing when two methods claim the same template, as Envoy does', () => {
    const m = new PathMatcher<string>({ unescapeSpec: 'ALL_CHARACTERS_EXCEPT_RESERVED', queryParamUnescapePlus: false, matchUnregisteredCustomVerb: false });
    m.register('GET', '/v1/x', '', new Set(), 'a');
    m.register('GET', '/v1/x', '', new Set(), 'b');
    expect(m.lookup('GET', '/v1/x', '')).toBeUndefined();
  });

  it('reads query parameters like Envoy: no "=" means no binding, system parameters are skipped', () => {
    const m = matcher(['GET', '/v1/things']);
    expect(m.lookup('GET', '/v1/things', 'a.b=1&flag&=x&api_key=k&c=%E2%9C%93+')?.bindings).toEqual([
      { fieldPath: ['a', 'b'], value: '1' },
      { fieldPath: ['c'], value: '✓+' },
    ]);
  });

  it('unescapes per the url_unescape_spec', () => {
    expect(urlUnescape('a%20b%2Fc%3A', 'ALL_CHARACTERS')).toBe('a b/c:');
    expect(urlUnescape('a%20b%2Fc%3A', 'ALL_CHARACTERS_EXCEPT_RESERVED')).toBe('a b%2Fc%3A');
    expect(urlUnescape('a%20b%2Fc%3A', 'ALL_CHARACTERS_EXCEPT_SLASH')).toBe('a b%2Fc:');
    expect(urlUnescape('100%', 'ALL_CHARACTERS')).toBe('100%');
  });
});

describe('JSON reader', () => {
  const error = (text: string) => {
    try {
      parseJson(text);
    } catch (err) {
      return (err as Error).message;
    }
    return undefined;
  };

  it('accepts what protobuf accepts, keeping big integers exact', () => {
    expect(parseJson(`{'a': 1, b: [true, null], "c": 9007199254740993}`)).toEqual({ a: 1, b: [true, null], c: '9007199254740993' });
  });

  it('names the problem and points at it', () => {
    expect(error('{"name": }')).toBe('Expected a value.\n{"name": }\n         ^');
    expect(error('{"name" 1}')).toMatch(/^Expected : between key:value pair\./);
    expect(error('{"a": 1 "b": 2}')).toMatch(/^Expected , or } after key:value pair\./);
    expect(error('[1 2]')).toMatch(/^Expected , or \] after array value\./);
    expect(error('{"a": tru}')).toMatch(/^Unexpected token\./);
    expect(error('{"a": 1')).toMatch(/^Unexpected end of string\./);
    expect(error('{} x')).toMatch(/^Parsing terminated before end of input\./);
  });
});
