import { describe, expect, it } from 'vitest';
import { Violations } from '@flix/errors';
import { aboveMaturityLimit, checkMovieIds, MAX_BATCH, withinMaturityLimit } from './maturity-limit.js';

describe("a profile's maturity limit", () => {
  it('lets a profile see titles rated at or below its limit, and no higher', () => {
    expect(withinMaturityLimit({ maturity: 'G' }, 'PG')).toBe(true);
    expect(withinMaturityLimit({ maturity: 'PG' }, 'PG')).toBe(true);
    expect(withinMaturityLimit({ maturity: 'PG13' }, 'PG')).toBe(false);
    expect(withinMaturityLimit({ maturity: 'NC17' }, 'R')).toBe(false);
    expect(withinMaturityLimit({ maturity: 'NC17' }, 'NC17')).toBe(true);
  });

  it('is refused as PERMISSION_DENIED naming the field, the rating and the limit', () => {
    const e = aboveMaturityLimit({ id: 'demo-000003', maturity: 'R' }, 'PG');
    expect(e).toMatchObject({ kind: 'permission_denied', reason: 'MATURITY_LIMIT', metadata: { limit: 'PG', rating: 'R' } });
    expect(e.message).toBe("profileId: demo-000003 is rated R, above this profile's maturity limit (PG)");
  });
});

describe('batch ids', () => {
  const check = (ids: string[]) => {
    const v = new Violations();
    checkMovieIds(v, ids);
    try {
      v.throwIfAny();
      return [];
    } catch (e) {
      return (e as { fieldViolations: { field: string }[] }).fieldViolations.map((f) => f.field);
    }
  };

  it('accepts our ids, demo ids and partner ids', () => {
    expect(check(['demo-000001', '0b0e3c59-77b2-4b8e-9a43-0c6f3c9d2f10', 'partner-primeview-pr-1000'])).toEqual([]);
  });

  it('names every bad id by its index, and refuses none or too many', () => {
    expect(check(['demo-000001', '', 'a b', '../x', 'x'.repeat(129)])).toEqual(['movieIds[1]', 'movieIds[2]', 'movieIds[3]', 'movieIds[4]']);
    expect(check([])).toEqual(['movieIds']);
    expect(check(Array.from({ length: MAX_BATCH + 1 }, (_, i) => `demo-${i}`))).toEqual(['movieIds']);
    expect(check(Array.from({ length: MAX_BATCH }, (_, i) => `demo-${i}`))).toEqual([]);
  });
});
