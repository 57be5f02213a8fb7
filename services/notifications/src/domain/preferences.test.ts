import { describe, expect, it } from 'vitest';
import { DomainError } from '@flix/errors';
import { DEFAULT_PREFERENCES } from './model.js';
import { allows, applyPreferences, withoutCategory } from './preferences.js';
import { backoffMs, classifySmtpError, maskAddress } from './retry.js';
import { UnsubscribeTokens } from './unsubscribe-token.js';

const now = new Date('2026-12-05T12:00:00Z');

describe('preferences', () => {
  it('transactional mail always goes, reminders and news follow the switches', () => {
    const off = { reminders: false, productNews: false, updatedAt: now };
    for (const c of ['account', 'security', 'billing'] as const) expect(allows(off, c)).toBe(true);
    expect(allows(off, 'reminders')).toBe(false);
    expect(allows(off, 'product_news')).toBe(false);
    expect(allows(DEFAULT_PREFERENCES, 'reminders')).toBe(true);
  });

  it('an update changes only the masked fields', () => {
    const next = applyPreferences(DEFAULT_PREFERENCES, { reminders: false, productNews: false }, ['reminders'], now);
    expect(next).toEqual({ reminders: false, productNews: true, updatedAt: now });
    const both = applyPreferences(DEFAULT_PREFERENCES, { reminders: false, productNews: false }, [], now);
    expect(both).toMatchObject({ reminders: false, productNews: false });
  });

  it('the read-only transactional list may be sent back unchanged, and anything else is refused', () => {
    const roundTrip = applyPreferences(DEFAULT_PREFERENCES, { reminders: false, transactionalCategories: ['account', 'security', 'billing'] }, ['reminders'], now);
    expect(roundTrip.reminders).toBe(false);
    expect(() => applyPreferences(DEFAULT_PREFERENCES, { reminders: false, transactionalCategories: ['account'] }, ['reminders'], now)).toThrow(
      expect.objectContaining({ kind: 'invalid_argument', fieldViolations: [expect.objectContaining({ field: 'preferences.transactionalCategories' })] }),
    );
  });

  it('a mask naming an unknown field is refused, naming it', () => {
    try {
      applyPreferences(DEFAULT_PREFERENCES, {}, ['reminders', 'billing'], now);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).fieldViolations).toEqual([{ field: 'updateMask', description: expect.stringContaining('"billing"') }]);
    }
  });

  it('unsubscribing turns one category off', () => {
    expect(withoutCategory(DEFAULT_PREFERENCES, 'reminders', now)).toMatchObject({ reminders: false, productNews: true });
  });
});

describe('unsubscribe tokens', () => {
  const tokens = new UnsubscribeTokens('s'.repeat(32));
  it('name the account and category they were issued for', () => {
    const t = tokens.issue('2f0e7c7e-1111-4222-8333-444455556666', 'reminders');
    expect(tokens.verify(t)).toEqual({ userId: '2f0e7c7e-1111-4222-8333-444455556666', category: 'reminders' });
  });
  it('refuse a token signed with another secret, or altered', () => {
    const other = new UnsubscribeTokens('o'.repeat(32)).issue('u1', 'reminders');
    expect(() => tokens.verify(other)).toThrow(/token/);
    const forged = Buffer.from(`u1.product_news.${Buffer.from(tokens.issue('u1', 'reminders'), 'base64url').toString().split('.')[2]}`).toString('base64url');
    expect(() => tokens.verify(forged)).toThrow(/token/);
    expect(() => tokens.verify('')).toThrow(/token/);
    expect(() => tokens.verify('a.b')).toThrow(/token/);
  });
});

describe('SMTP failures', () => {
  it('5xx is permanent, 4xx and connection errors are transient', () => {
    expect(classifySmtpError({ responseCode: 550, response: '550 5.1.1 no such user' })).toMatchObject({ kind: 'permanent', responseCode: 550 });
    expect(classifySmtpError({ responseCode: 451, response: '451 4.7.1 try later' })).toMatchObject({ kind: 'transient' });
    expect(classifySmtpError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ESOCKET' }))).toMatchObject({ kind: 'transient', reason: expect.stringContaining('ECONNREFUSED') });
  });
  it('backoff doubles up to the cap', () => {
    const noJitter = () => 0;
    expect([1, 2, 3, 4, 10].map((n) => backoffMs(n, 1000, 5000, noJitter))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });
  it('addresses are masked for the operators\' log', () => {
    expect(maskAddress('jane.doe@example.com')).toBe('j***@example.com');
    expect(maskAddress('')).toBe('');
  });
});
