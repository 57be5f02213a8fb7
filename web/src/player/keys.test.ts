import { describe, expect, it } from 'vitest';
import { isControl, keyAction } from './keys';

const key = (k: string, mods: Partial<{ altKey: boolean; ctrlKey: boolean; metaKey: boolean }> = {}) => ({ key: k, altKey: false, ctrlKey: false, metaKey: false, ...mods });

describe('keyAction', () => {
  it('maps the usual player keys', () => {
    expect(keyAction(key('k'), false, false)).toBe('toggle-play');
    expect(keyAction(key(' '), false, false)).toBe('toggle-play');
    expect(keyAction(key('ArrowLeft'), false, false)).toBe('seek-back');
    expect(keyAction(key('L'), false, false)).toBe('seek-forward');
    expect(keyAction(key('m'), false, false)).toBe('toggle-mute');
    expect(keyAction(key('f'), false, false)).toBe('toggle-fullscreen');
    expect(keyAction(key('x'), false, false)).toBeUndefined();
  });

  it('goes back on Escape, even from a button, but not in full screen', () => {
    expect(keyAction(key('Escape'), false, false)).toBe('back');
    expect(keyAction(key('Escape'), true, false)).toBe('back');
    expect(keyAction(key('Escape'), false, true)).toBeUndefined();
  });

  it('leaves buttons their keys, and browser shortcuts alone', () => {
    expect(keyAction(key(' '), true, false)).toBeUndefined();
    expect(keyAction(key('ArrowRight'), true, false)).toBeUndefined();
    expect(keyAction(key('f', { ctrlKey: true }), false, false)).toBeUndefined();
    expect(keyAction(key('l', { metaKey: true }), false, false)).toBeUndefined();
  });
});

describe('isControl', () => {
  it('knows buttons and links from the video', () => {
    document.body.innerHTML = '<button id="b"><span id="s">Back</span></button><a id="a" href="/x">x</a><video id="v"></video>';
    expect(isControl(document.getElementById('s'))).toBe(true);
    expect(isControl(document.getElementById('a'))).toBe(true);
    expect(isControl(document.getElementById('v'))).toBe(false);
    expect(isControl(null)).toBe(false);
  });
});
