import { describe, expect, it } from 'vitest';
import { passwordProblem } from './password-policy.js';

describe('password policy', () => {
  it('accepts a long uncommon passphrase', () => {
    expect(passwordProblem('correct horse battery staple', 'ann@example.com')).toBeNull();
  });
  it.each([
    ['', 'is required'],
    ['short1!', 'at least 10'],
    ['password123', 'too common'],
    ['qwertyuiop', 'too common'],
    ['zzzzzzzzzzzzzzzzzzzzz', 'repeated'],
    ['x'.repeat(129), 'at most 128'],
  ])('rejects %j', (pw, problem) => {
    expect(passwordProblem(pw, 'ann@example.com')).toContain(problem);
  });
  it('rejects a password built on the e-mail address', () => {
    expect(passwordProblem('johnsmith-2024!', 'johnsmith@example.com')).toContain('e-mail');
  });
});
