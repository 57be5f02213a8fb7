import { describe, expect, it } from 'vitest';
import { formatUserCode, isCompleteUserCode } from './user-code';

describe('formatUserCode', () => {
  it('upper-cases and puts the dash after four characters, whatever was typed', () => {
    expect(formatUserCode('wdjb')).toBe('WDJB');
    expect(formatUserCode('wdjbm')).toBe('WDJB-M');
    expect(formatUserCode('wdjb-mjht')).toBe('WDJB-MJHT');
    expect(formatUserCode(' Wd jB mj-Ht ')).toBe('WDJB-MJHT');
  });

  it('stops at eight characters (a pasted code with extra text still fits)', () => {
    expect(formatUserCode('WDJB-MJHT-extra')).toBe('WDJB-MJHT');
    expect(isCompleteUserCode('WDJB-MJHT')).toBe(true);
    expect(isCompleteUserCode('WDJB-MJ')).toBe(false);
  });
});
