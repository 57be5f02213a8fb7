import { describe, expect, it } from 'vitest';
import { DEMO_CATALOG_SIZE, generateCatalog } from './generator.js';

describe('the demo catalog', () => {
  it('carries no artwork (there is no image host behind it; clients draw their own poster)', () => {
    const movies = generateCatalog(DEMO_CATALOG_SIZE);
    expect(movies.every((m) => m.thumbnailUrl === '' && m.backdropUrl === '')).toBe(true);
  });

  it('is still deterministic', () => {
    expect(generateCatalog(20)).toEqual(generateCatalog(20));
    expect(generateCatalog(3).map((m) => m.title)).toEqual(['Spider-Man', 'Interstellar', 'Amélie']);
  });
});
