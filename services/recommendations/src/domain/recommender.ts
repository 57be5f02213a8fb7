import { maturityRank, type Maturity } from '@flix/profiles/maturity';
import { DomainError } from '@flix/errors';
import { ItemSimilarityModel } from './item-similarity.js';
import type { AccountPreferences, Interaction, ReasonKind, Suggestion, TitleInfo } from './model.js';
import { becauseVerb, interactionWeight, isSettled } from './signals.js';

/** Longest list computed for one request (pages are cut from it). */
export const MAX_RESULTS = 200;

/** A title a viewer may be shown now: published, inside its availability window, within the limit. */
export function isVisible(t: TitleInfo, now: Date, ceiling: Maturity | null): boolean {
  if (t.status !== 'published') return false;
  if (t.availableFrom && t.availableFrom.getTime() > now.getTime()) return false;
  if (t.availableUntil && t.availableUntil.getTime() <= now.getTime()) return false;
  if (ceiling === null) return true;
  // A title without a maturity label only reaches profiles without a limit.
  const level = t.maturity ?? 'NC17';
  return maturityRank(level) <= maturityRank(ceiling);
}

export interface ProfileRequest {
  /** The profile's own signals, read fresh (not from the last training). */
  history: Interaction[];
  preferences: AccountPreferences | null;
  ceiling: Maturity;
  now: Date;
}

/**
 * One trained model plus the catalog copy it was trained against. Immutable: a retrain builds a
 * new one and swaps it in, so requests never see a half-built model.
 */
export class Recommender {
  /** Title ids by popularity (viewers in the training data, then the catalog's own figure). */
  private readonly popular: string[];
  private readonly popularity = new Map<string, number>();

  constructor(
    readonly model: ItemSimilarityModel,
    readonly titles: ReadonlyMap<string, TitleInfo>,
    readonly trainedAt: Date,
  ) {
    let maxCatalog = 0;
    for (const t of titles.values()) maxCatalog = Math.max(maxCatalog, t.popularity);
    for (const t of titles.values()) this.popularity.set(t.id, model.viewerCount(t.id) + t.popularity / (maxCatalog + 1));
    this.popular = [...titles.keys()].sort((a, b) => this.popularity.get(b)! - this.popularity.get(a)! || (a < b ? -1 : 1));
  }

  static empty(): Recommender {
    return new Recommender(ItemSimilarityModel.empty(), new Map(), new Date(0));
  }

  forProfile(req: ProfileRequest): Suggestion[] {
    const settled = new Set(req.history.filter(isSettled).map((i) => i.movieId));
    const byMovie = new Map(req.history.map((i) => [i.movieId, i]));
    const shown = new Set<string>();
    const out: Suggestion[] = [];
    const visible = (id: string) => {
      const t = this.titles.get(id);
      return t && !settled.has(id) && !shown.has(id) && isVisible(t, req.now, req.ceiling) ? t : undefined;
    };

    // 1. Collaborative filtering from the profile's own signals: scores in (1, 2].
    const scored = this.model.score(req.history.map((i) => ({ item: i.movieId, weight: interactionWeight(i) })));
    const top = scored.find((s) => visible(s.item))?.score ?? 0;
    for (const s of scored) {
      if (out.length >= MAX_RESULTS) return out;
      const t = visible(s.item);
      if (!t) continue;
      const because = this.titles.get(s.because);
      const source = byMovie.get(s.because);
      const reason = `Because you ${source ? becauseVerb(source) : 'watched'} ${because?.title ?? 'a title you watched'}`;
      out.push(suggestion(t, 1 + s.score / top, reason, 'similar_to_seen', s.because));
      shown.add(t.id);
    }

    // 2. Cold start and filler: popular titles, favoured when they match the account's picks.
    //    Scores in (0, 1], below every collaborative suggestion.
    const genres = new Set((req.preferences?.genres ?? []).map((g) => g.toLowerCase()));
    const language = req.preferences?.language.toLowerCase() ?? '';
    const candidates: { t: TitleInfo; score: number; reason: string; kind: ReasonKind }[] = [];
    let maxPop = 0;
    for (const id of this.popular) {
      const t = visible(id);
      if (!t) continue;
      const pop = this.popularity.get(id)!;
      maxPop = Math.max(maxPop, pop);
      const genre = t.genres.find((g) => genres.has(g.toLowerCase()));
      const speaks = language !== '' && t.languages.some((l) => l.toLowerCase() === language);
      // Matching both picks beats matching one; either beats a merely popular title.
      const boost = (genre ? 2 : 0) + (speaks ? 1 : 0);
      const reason = genre ? `Because you like ${genre}` : speaks ? `Popular in ${language}` : 'Popular on Flix';
      const kind: ReasonKind = genre ? 'favourite_genre' : speaks ? 'popular_in_language' : 'popular';
      candidates.push({ t, score: boost + pop, reason, kind });
    }
    const maxScore = 3 + maxPop || 1;
    candidates.sort((a, b) => b.score - a.score || (a.t.id < b.t.id ? -1 : 1));
    for (const c of candidates) {
      if (out.length >= MAX_RESULTS) break;
      out.push(suggestion(c.t, Math.max(c.score / maxScore, 1e-6), c.reason, c.kind, ''));
    }
    return out;
  }

  /** Titles like `movieId`: its collaborative neighbours, then titles sharing its genres. */
  similarTo(movieId: string, ceiling: Maturity | null, now: Date): Suggestion[] {
    const source = this.titles.get(movieId);
    if (!source || !isVisible(source, now, null))
      throw new DomainError('not_found', 'MOVIE_NOT_FOUND', `movieId: no title ${movieId}`, [{ field: 'movieId', description: 'no such title' }]);
    const out: Suggestion[] = [];
    const shown = new Set([movieId]);
    const neighbours = this.model.neighbours(movieId);
    const top = neighbours[0]?.similarity ?? 1;
    for (const n of neighbours) {
      const t = this.titles.get(n.item);
      if (!t || shown.has(t.id) || !isVisible(t, now, ceiling)) continue;
      out.push(suggestion(t, 1 + n.similarity / top, `Viewers who liked ${source.title} also liked this`, 'similar_to_seen', movieId));
      shown.add(t.id);
    }
    const genres = new Set(source.genres);
    const sameGenre: { t: TitleInfo; score: number }[] = [];
    let maxPop = 0;
    for (const id of this.popular) {
      const t = this.titles.get(id)!;
      if (shown.has(id) || !isVisible(t, now, ceiling)) continue;
      const overlap = t.genres.filter((g) => genres.has(g)).length;
      if (overlap === 0) continue;
      const pop = this.popularity.get(id)!;
      maxPop = Math.max(maxPop, pop);
      sameGenre.push({ t, score: overlap + pop / (maxPop + 1) });
    }
    sameGenre.sort((a, b) => b.score - a.score || (a.t.id < b.t.id ? -1 : 1));
    const maxScore = sameGenre[0]?.score || 1;
    for (const c of sameGenre) {
      if (out.length >= MAX_RESULTS) break;
      const shared = c.t.genres.filter((g) => genres.has(g));
      out.push(suggestion(c.t, c.score / maxScore, `Also ${shared.join(' and ')}, like ${source.title}`, 'same_genre', movieId));
    }
    return out.slice(0, MAX_RESULTS);
  }
}

function suggestion(t: TitleInfo, score: number, reason: string, reasonKind: ReasonKind, becauseMovieId: string): Suggestion {
  return {
    movieId: t.id,
    title: t.title,
    score: Math.round(score * 1e6) / 1e6,
    reason,
    reasonKind,
    becauseMovieId,
    genres: t.genres,
    maturity: t.maturity,
    thumbnailUrl: t.thumbnailUrl,
  };
}
