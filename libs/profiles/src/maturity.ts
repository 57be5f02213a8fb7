/**
 * The maturity scale every service shares (identity's profiles, catalog's titles), youngest
 * audience first; no I/O here, so domain code may import it.
 */
export const MATURITY_LEVELS = ['G', 'PG', 'PG13', 'R', 'NC17'] as const;
export type Maturity = (typeof MATURITY_LEVELS)[number];
export const maturityRank = (m: Maturity): number => MATURITY_LEVELS.indexOf(m);
