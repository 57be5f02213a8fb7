import { describe, expect, it } from 'vitest';
import { fold, sortTitle, words } from './text.js';

describe('text folding', () => {
  it('drops accents, case and ligatures', () => {
    expect(fold('Amélie')).toBe('amelie');
    expect(fold('Ærø Straße')).toBe('aero strasse');
  });
  it('splits on punctuation and joins apostrophes', () => {
    expect(words('Spider-Man: No Way Home')).toEqual(['spider', 'man', 'no', 'way', 'home']);
    expect(words("Ocean's Eleven")).toEqual(['oceans', 'eleven']);
  });
  it('sorts titles without their leading article', () => {
    expect(sortTitle('The Matrix')).toBe('matrix');
    expect(sortTitle('Élan')).toBe('elan');
  });
});
