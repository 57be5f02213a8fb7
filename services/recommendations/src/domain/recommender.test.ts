import { describe, expect, it } from 'vitest';
import { ItemSimilarityModel, type TrainingRow } from './item-similarity.js';
import type { Interaction, SignalKind, TitleInfo } from './model.js';
import { Recommender } from './recommender.js';
import { interactionWeight } from './signals.js';

const NOW = new Date('2026-06-01T12:00:00Z');

function title(id: string, over: Partial<TitleInfo> = {}): TitleInfo {
  return {
    id,
    title: `Title ${id}`,
    genres: [id.startsWith('a') ? 'Drama' : 'Comedy'],
    languages: ['en'],
    maturity: 'PG',
    status: 'published',
    availableFrom: null,
    availableUntil: null,
    popularity: 0,
    thumbnailUrl: '',
    version: 1,
    ...over,
  };
}

function interaction(profileId: string, movieId: string, signals: Partial<Record<SignalKind, number>>): Interaction {
  const s: Interaction['signals'] = {};
  for (const [k, v] of Object.entries(signals)) s[k as SignalKind] = { value: v, at: NOW, eventId: `${profileId}-${movieId}-${k}` };
  return { profileId, userId: `u-${profileId}`, movieId, signals: s };
}

/** Two taste clusters: a-viewers watch a-titles, b-viewers b-titles (a deterministic planted structure). */
function plantedRows(): TrainingRow[] {
  const rows: TrainingRow[] = [];
  for (let u = 0; u < 40; u++) {
    const cluster = u % 2 === 0 ? 'a' : 'b';
    for (let k = 0; k < 10; k++) if ((u * 7 + k * 3) % 10 < 6) rows.push({ user: `p${u}`, item: `${cluster}${k}`, weight: 3 });
  }
  return rows;
}

const TITLES = [...Array(10).keys()].flatMap((k) => [title(`a${k}`), title(`b${k}`)]);

describe('item-item similarity', () => {
  it('finds the titles of the same taste cluster as the nearest neighbours', () => {
    const model = ItemSimilarityModel.train(plantedRows());
    const nb = model.neighbours('a0');
    expect(nb.length).toBeGreaterThan(5);
    expect(nb.every((n) => n.item.startsWith('a'))).toBe(true);
    expect(nb.map((n) => n.item)).not.toContain('a0');
    expect(model.neighbours('unknown')).toEqual([]);
  });

  it('keeps only the requested number of neighbours, best first', () => {
    const model = ItemSimilarityModel.train(plantedRows(), { neighbours: 3 });
    const nb = model.neighbours('b1');
    expect(nb).toHaveLength(3);
    expect(nb[0]!.similarity).toBeGreaterThanOrEqual(nb[2]!.similarity);
  });

  it('ignores rows without positive weight', () => {
    const model = ItemSimilarityModel.train([
      { user: 'x', item: 'a0', weight: 0 },
      { user: 'x', item: 'a1', weight: 3 },
    ]);
    expect(model.stats.interactions).toBe(1);
    expect(model.viewerCount('a0')).toBe(0);
  });
});

describe('signal weights', () => {
  it('counts a low rating as dislike even if the title was finished', () => {
    expect(interactionWeight(interaction('p', 'm', { completed: 1, rating: 1 }))).toBe(0);
    expect(interactionWeight(interaction('p', 'm', { completed: 1, rating: 5 }))).toBeGreaterThan(interactionWeight(interaction('p', 'm', { completed: 1 })));
    expect(interactionWeight(interaction('p', 'm', { completed: 0, started: 0 }))).toBe(0);
  });
});

describe('recommendations for a profile', () => {
  const recommender = () => new Recommender(ItemSimilarityModel.train(plantedRows()), new Map(TITLES.map((t) => [t.id, t])), NOW);

  it('suggests titles of the cluster the profile watched, with a reason naming one it watched', () => {
    const out = recommender().forProfile({ history: [interaction('new', 'a1', { completed: 1 })], preferences: null, ceiling: 'NC17', now: NOW });
    const cf = out.filter((s) => s.reasonKind === 'similar_to_seen');
    expect(cf.length).toBeGreaterThan(3);
    expect(cf.every((s) => s.movieId.startsWith('a'))).toBe(true);
    expect(cf[0]!.reason).toBe('Because you watched Title a1');
    // Collaborative suggestions rank above the popular filler.
    expect(out.indexOf(cf[cf.length - 1]!)).toBe(cf.length - 1);
  });

  it('leaves out what the profile finished, rated or favoured, but not what it only saved', () => {
    const history = [
      interaction('p', 'a1', { completed: 1 }),
      interaction('p', 'a2', { rating: 2 }),
      interaction('p', 'a3', { favourite: 1 }),
      interaction('p', 'a4', { watchlist: 1 }),
    ];
    const ids = recommender().forProfile({ history, preferences: null, ceiling: 'NC17', now: NOW }).map((s) => s.movieId);
    expect(ids).not.toContain('a1');
    expect(ids).not.toContain('a2');
    expect(ids).not.toContain('a3');
    expect(ids).toContain('a4');
  });

  it('respects the maturity limit and the availability window', () => {
    const titles = TITLES.map((t) =>
      t.id === 'a5' ? { ...t, maturity: 'R' as const }
      : t.id === 'a6' ? { ...t, availableUntil: new Date(NOW.getTime() - 1000) }
      : t.id === 'a7' ? { ...t, availableFrom: new Date(NOW.getTime() + 1000) }
      : t.id === 'a8' ? { ...t, status: 'draft' as const }
      : t.id === 'a9' ? { ...t, maturity: null }
      : t,
    );
    const r = new Recommender(ItemSimilarityModel.train(plantedRows()), new Map(titles.map((t) => [t.id, t])), NOW);
    const history = [interaction('p', 'a1', { completed: 1 })];
    const kids = r.forProfile({ history, preferences: null, ceiling: 'PG', now: NOW }).map((s) => s.movieId);
    for (const hidden of ['a5', 'a6', 'a7', 'a8', 'a9']) expect(kids).not.toContain(hidden);
    const adult = r.forProfile({ history, preferences: null, ceiling: 'NC17', now: NOW }).map((s) => s.movieId);
    expect(adult).toContain('a5');
    expect(adult).toContain('a9');
    expect(adult).not.toContain('a6');
  });

  it('gives a new account popular titles in its language and the genres it picked', () => {
    const titles = [
      title('a0', { popularity: 10, languages: ['fr'], genres: ['Drama'] }),
      title('a1', { popularity: 90, languages: ['en'], genres: ['Comedy'] }),
      title('a2', { popularity: 50, languages: ['fr'], genres: ['Comedy'] }),
      title('a3', { popularity: 99, languages: ['de'], genres: ['Horror'] }),
    ];
    const r = new Recommender(ItemSimilarityModel.empty(), new Map(titles.map((t) => [t.id, t])), NOW);
    const out = r.forProfile({ history: [], preferences: { userId: 'u', language: 'fr', genres: ['Drama'], at: NOW }, ceiling: 'NC17', now: NOW });
    expect(out.map((s) => s.movieId)).toEqual(['a0', 'a2', 'a3', 'a1']);
    expect(out.map((s) => s.reason)).toEqual(['Because you like Drama', 'Popular in fr', 'Popular on Flix', 'Popular on Flix']);
    expect(out[0]!.score).toBeGreaterThan(out[1]!.score);
  });
});

describe('similar titles', () => {
  it('lists collaborative neighbours first, then titles sharing a genre, never the title itself', () => {
    const titles = [...TITLES, title('a-new'), title('c0', { genres: ['Horror'] })];
    const r = new Recommender(ItemSimilarityModel.train(plantedRows()), new Map(titles.map((t) => [t.id, t])), NOW);
    const out = r.similarTo('a0', null, NOW);
    const ids = out.map((s) => s.movieId);
    expect(ids).not.toContain('a0');
    expect(ids).not.toContain('c0');
    expect(out[0]!.reasonKind).toBe('similar_to_seen');
    // a-new has no viewers yet but shares the genre.
    expect(out.find((s) => s.movieId === 'a-new')?.reasonKind).toBe('same_genre');
    expect(() => r.similarTo('nope', null, NOW)).toThrow(/movieId/);
  });
});
