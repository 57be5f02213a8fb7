import MiniSearch from 'minisearch';
import { describe, expect, it } from 'vitest';
import { generateCatalog } from '../demo/generator.js';
import { CatalogIndex, SEARCH_BOOST, type TitleFilter } from './catalog-index.js';
import { words } from './text.js';

const records = generateCatalog(3_000);
const everything: TitleFilter = { source: { kind: 'all' }, includeUnpublished: false, now: new Date() };

function loaded(): CatalogIndex {
  const index = new CatalogIndex();
  index.load(records);
  return index;
}

/** Every result of a query, page by page. */
function allPages(index: CatalogIndex, q: string, filter = everything, pageSize = 7) {
  const out: string[] = [];
  let r = index.search(q, filter, pageSize);
  out.push(...r.items.map((m) => m.id));
  while (r.next) {
    r = index.search(q, filter, pageSize, r.next);
    out.push(...r.items.map((m) => m.id));
  }
  return { ids: out, total: r.total };
}

describe('catalog search', () => {
  const index = loaded();
  const top = (q: string) => index.search(q, everything, 1).items[0]?.title;

  it('finds the obvious title despite typos, prefixes, accents and punctuation', () => {
    expect(top('spidr man')).toBe('Spider-Man');
    expect(top('spiderman')).toBe('Spider-Man');
    expect(top('interst')).toBe('Interstellar');
    expect(top('AMÉLIE!!!')).toBe('Amélie');
    expect(top('leon')).toBe('Léon');
    expect(top('spirted away')).toBe('Spirited Away');
  });

  it('matches and scores as MiniSearch itself does whenever every word matches', () => {
    const typing = (title: string) => title.slice(0, title.lastIndexOf(' ') + 3);
    // The plain library with the options the catalog used before it ran queries itself.
    const plain = new MiniSearch<{ id: string; title: string; people: string; genres: string }>({
      fields: ['title', 'people', 'genres'],
      tokenize: (text, field) => {
        const w = words(text);
        return field === 'title' && w.length > 1 ? [...w, ...w.slice(1).map((x, i) => w[i]! + x)] : w;
      },
      processTerm: (t) => t,
    });
    plain.addAll(records.map((m) => ({ id: m.id, title: m.title, people: [...m.directors, ...m.cast].join(' · '), genres: m.genres.join(' · ') })));
    const opts = {
      boost: SEARCH_BOOST,
      combineWith: 'AND',
      prefix: (t: string, i: number, all: string[]) => i === all.length - 1 && t.length >= 2,
      fuzzy: (t: string) => (t.length >= 8 ? 2 : t.length >= 4 ? 1 : false),
    } as const;
    const queries = ['the golden', 'lighthous', 'midnight', 'documentary', words(records[11]!.title).slice(-2).join(' '), 'crimsn', 'ligthouse', typing(records[20]!.title), 'in', 'th', records[7]!.cast[0]!, records[9]!.title];
    for (const q of queries) {
      const expected = plain.search(q, opts);
      expect(expected.length, q).toBeGreaterThan(0);
      const got = allPages(index, q, everything, 50);
      expect(got.total, q).toBe(expected.length);
      // Same documents in the same order (ties may come in another order: compare the scores).
      const score = new Map(expected.map((r) => [r.id as string, r.score]));
      const scores = got.ids.map((id) => score.get(id)!);
      expected.forEach((r, i) => expect(scores[i], q).toBeCloseTo(r.score, 9));
    }
  });

  it('falls back to any word when not all match, without letting common words flood the results', () => {
    const harbor = records.find((m) => m.title === 'Harbor of Lisbon') ?? records.find((m) => words(m.title).includes('harbor'))!;
    const r = index.search(`${harbor.title} zzqx`, everything, 5);
    expect(r.items[0]!.title).toBe(harbor.title);
  });

  it('in a big catalog, lets very common words only rank what rarer words found', () => {
    // "the" alone matches a fifth of the catalog (here over the 1,000-title floor); beside a rarer word it only ranks.
    const big = new CatalogIndex();
    big.load(generateCatalog(22_000));
    const only = big.search('the lighthouse qqqq', everything, 10_000);
    expect(only.total).toBeGreaterThan(0);
    for (const m of only.items) expect(words(m.title).join(' ')).toContain('lighthous');
    // A word that matches nothing does not stop common words from finding something.
    expect(big.search('the qqqq', everything, 5).total).toBeGreaterThan(1000);
  });

  it('pages through every result once, in score order, with filters', () => {
    const filter: TitleFilter = { ...everything, maxMaturityRank: 1, language: 'en' };
    for (const q of ['the', 'harbor', 'ava']) {
      const all = index.search(q, filter, 10_000);
      expect(all.next).toBeUndefined();
      const paged = allPages(index, q, filter);
      expect(paged.ids).toEqual(all.items.map((m) => m.id));
      expect(paged.total).toBe(all.items.length);
      expect(new Set(paged.ids).size).toBe(paged.ids.length);
    }
    expect(index.search('the', everything, 0)).toMatchObject({ items: [], next: undefined });
  });

  it('follows changes: retitled, restatused and removed titles, cached or not', () => {
    const idx = loaded();
    const m = records[42]!;
    expect(idx.search('zebulon', everything, 5).total).toBe(0);
    idx.upsert({ ...m, title: 'Zebulon Quasar', version: m.version + 1 });
    expect(idx.search('zebulon', everything, 5).items.map((x) => x.id)).toEqual([m.id]);
    expect(idx.search(m.title, everything, 50).items.map((x) => x.id)).not.toContain(m.id);
    // A status change keeps the cached ranking but must not show the archived title.
    idx.upsert({ ...m, title: 'Zebulon Quasar', status: 'archived', version: m.version + 2 });
    expect(idx.search('zebulon', everything, 5).total).toBe(0);
    expect(idx.search('zebulon', { ...everything, includeUnpublished: true }, 5).items[0]!.status).toBe('archived');
    idx.remove(m.id);
    expect(idx.search('zebulon', { ...everything, includeUnpublished: true }, 5).total).toBe(0);
    // Many replaced documents (postings MiniSearch has not cleaned up yet) never come back.
    for (const r of records.slice(100, 200)) idx.upsert({ ...r, title: `${r.title} Redux`, version: r.version + 1 });
    const redux = allPages(idx, 'redux', everything, 50);
    expect(redux.total).toBe(100);
    expect(new Set(redux.ids)).toEqual(new Set(records.slice(100, 200).map((r) => r.id)));
    const old = allPages(idx, records[150]!.title, everything, 50);
    expect(old.ids.filter((id) => id === records[150]!.id)).toHaveLength(1);
    expect(new Set(old.ids).size).toBe(old.ids.length);
  });
});
