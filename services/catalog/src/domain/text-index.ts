import MiniSearch from 'minisearch';
import type { MovieRecord } from './model.js';
import { words } from './text.js';

/** Title words are also indexed joined pairwise, so "spiderman" finds "Spider-Man". */
function tokenize(text: string, field?: string): string[] {
  const w = words(text);
  if (field !== 'title' || w.length < 2) return w;
  const joined: string[] = [];
  for (let i = 0; i + 1 < w.length; i++) joined.push(w[i]! + w[i + 1]!);
  return [...w, ...joined];
}

/** Search weights: a title hit outranks a person hit, which outranks a genre hit. */
export const SEARCH_BOOST = { title: 5, people: 1.6, genres: 1 } as const;

/** What the full-text index holds of a title: its searchable fields, each one string. */
export type TextDoc = { id: string; title: string; people: string; genres: string };

export function textDoc(r: MovieRecord): TextDoc {
  return { id: r.id, title: r.title, people: [...r.directors, ...r.cast].join(' · '), genres: r.genres.join(' · ') };
}

/** What MiniSearch keeps per indexed term: field id → (short doc id → term frequency). */
type FieldPostings = Map<number, Map<number, number>>;
/** One query word: every indexed term it stands for (exact, completions, typos), each weighted. */
interface QueryWord {
  terms: { postings: FieldPostings; weight: number }[];
  /** Postings over all its terms: how many documents it can touch at most. */
  size: number;
}

// MiniSearch's own defaults, so scores stay what they were before the query ran here.
const PREFIX_WEIGHT = 0.375;
const FUZZY_WEIGHT = 0.45;
const BM25 = { k: 1.2, b: 0.7, d: 0.5 };

const FIELDS = ['title', 'people', 'genres'] as const;

/**
 * MiniSearch keeps the index (term tree, postings, updates); queries run here, with the same
 * matching and BM25 scoring as `MiniSearch.search` but made for a 100k-title catalog: scores add
 * up in flat arrays by short document id instead of one result object per document, an AND
 * intersects from its rarest word and only looks up the others for the survivors, and in the OR
 * fallback very common words ("the", "in") rank what the other words found instead of pulling
 * in a third of the catalog. Results are short ids, which `CatalogIndex` maps to its entries.
 */
export class TextIndex extends MiniSearch<TextDoc> {
  // Per short document id (they only grow: a replaced document gets a new one). Flat copies of
  // what MiniSearch keeps in Maps, because a Map lookup per posting dominated the query time.
  private live = new Uint8Array(0);
  /** Field lengths, FIELDS.length per document. */
  private lengths = new Float64Array(0);
  // Query scratch space, reset for the documents a query touched.
  private score = new Float64Array(0);
  /** How many query words matched so far. */
  private hits = new Uint8Array(0);
  /** 1 + the index of the last query word that matched (counts each word once per document). */
  private seen = new Uint8Array(0);

  constructor() {
    super({ fields: [...FIELDS], idField: 'id', tokenize, processTerm: (t) => t });
  }

  override add(doc: TextDoc): void {
    super.add(doc);
    const short = this.shortId(doc.id)!;
    this.grow(short + 1);
    this.live[short] = 1;
    const lens = this._fieldLength.get(short)!;
    FIELDS.forEach((f, i) => (this.lengths[short * FIELDS.length + i] = lens[this._fieldIds[f]!] ?? 0));
  }

  override discard(id: string): void {
    const short = this.shortId(id);
    super.discard(id);
    if (short !== undefined) this.live[short] = 0;
  }

  shortId(id: string): number | undefined {
    return this._idToShortId.get(id);
  }

  private grow(n: number): void {
    if (this.live.length >= n) return;
    const size = Math.max(1024, n * 2);
    const bigger = <A extends Uint8Array | Float64Array>(old: A, make: (n: number) => A, per = 1): A => {
      const a = make(size * per);
      a.set(old);
      return a;
    };
    this.live = bigger(this.live, (n) => new Uint8Array(n));
    this.lengths = bigger(this.lengths, (n) => new Float64Array(n), FIELDS.length);
    this.score = new Float64Array(size);
    this.hits = new Uint8Array(size);
    this.seen = new Uint8Array(size);
  }

  rank(words: string[]): Ranked {
    // At most 255 distinct words (the counters are bytes; a query is at most 200 characters anyway).
    const distinct = [...new Set(words)].slice(0, 255);
    const query = distinct.map((w) => this.expand(w, w === words[words.length - 1]));
    // Every word must match; when nothing matches that way, any word may.
    let found = this.collect(query, true);
    if (found.docs.length === 0) found = this.collect(query, false);
    return found;
  }

  /** Exact term; completions for the last word (what is being typed); typos for longer words. */
  private expand(word: string, last: boolean): QueryWord {
    const terms = new Map<string, { postings: FieldPostings; weight: number }>();
    const exact = this._index.get(word);
    if (exact) terms.set(word, { postings: exact, weight: 1 });
    if (last && word.length >= 2)
      for (const [term, postings] of this._index.atPrefix(word))
        if (term !== word) terms.set(term, { postings, weight: (PREFIX_WEIGHT * term.length) / (term.length + 0.3 * (term.length - word.length)) });
    const distance = word.length >= 8 ? 2 : word.length >= 4 ? 1 : 0;
    if (distance)
      for (const [term, [postings, d]] of this._index.fuzzyGet(word, distance))
        if (!terms.has(term)) terms.set(term, { postings, weight: (FUZZY_WEIGHT * term.length) / (term.length + d) });
    let size = 0;
    for (const t of terms.values()) for (const docs of t.postings.values()) size += docs.size;
    return { terms: [...terms.values()], size };
  }

  private collect(query: QueryWord[], all: boolean): Ranked {
    this.grow(this._nextId);
    const { score, hits, seen, live, lengths } = this;
    const touched: number[] = [];
    // Words are matched rarest first. With AND, the first word finds the candidates and every
    // other word only keeps (and adds to) those. With OR, words that alone would match more
    // than a twentieth of the catalog only add to what the rarer words found, unless no rarer
    // word matches anything.
    const words = [...query].sort((a, b) => a.size - b.size);
    const common = Math.max(1000, this._documentCount / 20);
    const rare = words.filter((w) => w.size <= common);
    const finders = all ? 1 : rare.some((w) => w.size > 0) ? rare.length : words.length;
    let candidates: number[] = [];
    words.forEach((word, w) => {
      const mark = w + 1;
      const finds = w < finders;
      for (const { postings, weight } of word.terms)
        FIELDS.forEach((name, f) => {
          const docs = postings.get(this._fieldIds[name]!);
          if (!docs) return;
          const idf = Math.log(1 + (this._documentCount - docs.size + 0.5) / (docs.size + 0.5));
          const factor = weight * SEARCH_BOOST[name] * idf;
          const lenFactor = (BM25.k * BM25.b) / this._avgFieldLength[this._fieldIds[name]!]!;
          const add = (tf: number, doc: number) => {
            // Postings of discarded documents stay until MiniSearch vacuums them.
            if (live[doc] === 0) return;
            // A later word only adds to documents found so far (with AND: that matched every earlier word).
            if (!finds && (all ? hits[doc]! < w : hits[doc] === 0)) return;
            const len = lengths[doc * FIELDS.length + f]!;
            score[doc] += factor * (BM25.d + (tf * (BM25.k + 1)) / (tf + BM25.k * (1 - BM25.b) + lenFactor * len));
            if (seen[doc] !== mark) {
              if (hits[doc] === 0) touched.push(doc);
              seen[doc] = mark;
              hits[doc]++;
            }
          };
          if (finds || docs.size <= candidates.length) docs.forEach(add);
          else
            for (const doc of candidates) {
              // Fewer candidates than postings: look the candidates up instead.
              const tf = docs.get(doc);
              if (tf !== undefined) add(tf, doc);
            }
        });
      if (all) candidates = (w === 0 ? touched : candidates).filter((doc) => hits[doc] === mark);
      else if (w === finders - 1) candidates = touched.slice();
    });
    // Typed arrays: compact in the ranking cache, and no garbage from growing them.
    let n = 0;
    for (const doc of touched) if (!all || hits[doc] === words.length) n++;
    const docs = new Int32Array(n);
    const scores = new Float64Array(n);
    n = 0;
    for (const doc of touched) {
      // Like MiniSearch: a document matching more of the query's words ranks higher.
      if (!all || hits[doc] === words.length) {
        docs[n] = doc;
        scores[n++] = score[doc]! * hits[doc]!;
      }
      score[doc] = 0;
      hits[doc] = 0;
      seen[doc] = 0;
    }
    return { docs, scores };
  }
}

/** Short ids of the matching documents and their scores (higher is better), unsorted. */
export type Ranked = { docs: Int32Array; scores: Float64Array };
