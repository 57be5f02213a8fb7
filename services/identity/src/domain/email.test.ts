import { describe, expect, it } from 'vitest';
import { DomainError } from '@flix/errors';
import { normaliseEmail } from './email.js';

describe('normaliseEmail', () => {
  it('trims and lower-cases so one address maps to one account', () => {
    expect(normaliseEmail('  Ann.Lee@Example.COM ')).toBe('ann.lee@example.com');
  });
  it.each(['', 'ann', 'ann@', '@example.com', 'ann@example', 'a b@example.com'])('rejects %j naming the field', (raw) => {
    try {
      normaliseEmail(raw);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).kind).toBe('invalid_argument');
      expect((e as DomainError).fieldViolations[0]?.field).toBe('email');
    }
  });
});
