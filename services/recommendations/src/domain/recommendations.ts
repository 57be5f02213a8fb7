import type { Caller } from '@flix/auth';
import type { Maturity } from '@flix/profiles/maturity';
import { DomainError } from '@flix/errors';
import { ItemSimilarityModel, type SimilarityOptions, type TrainingRow } from './item-similarity.js';
import type { Suggestion } from './model.js';
import type { ChangeCounter, Clock, InteractionStore, PreferenceStore, ProfileDirectory, TitleStore } from './ports.js';
import { Recommender } from './recommender.js';
import { interactionWeight } from './signals.js';

export interface Page<T> {
  items: T[];
  /** Offset of the next page, or null at the end. */
  next: number | null;
}

export interface RecommendationsDeps {
  interactions: InteractionStore;
  titles: TitleStore;
  preferences: PreferenceStore;
  changes: ChangeCounter;
  profiles: ProfileDirectory;
  clock: Clock;
  similarity?: Partial<SimilarityOptions>;
  /** A full re-read at least this often (ms), in case an incremental read missed something. */
  fullReloadMs?: number;
}

/** Writers on other instances stamp updatedAt with their own clocks: re-read this far back. */
const CLOCK_SKEW_MS = 10_000;

export interface RetrainResult {
  retrained: boolean;
  /** 'full' read every interaction; 'incremental' only those changed since the last training. */
  read: 'full' | 'incremental' | 'none';
  /** Interaction documents read from storage for this training. */
  readCount: number;
  users: number;
  items: number;
  interactions: number;
  ms: number;
}

/**
 * The use cases: answer requests from the current model, and retrain it when the interactions
 * changed. The model lives in memory per instance and is rebuilt from storage (so a restart or a
 * second instance converges on the same data).
 */
export class Recommendations {
  private current = Recommender.empty();
  private trainedAtCounter = -1;
  private training: Promise<RetrainResult> | null = null;
  /** The training matrix, kept between trainings so that only changes are read. */
  private readonly rows = new Map<string, TrainingRow>();
  private watermark = 0;
  private lastFullRead = 0;

  constructor(private readonly d: RecommendationsDeps) {}

  get recommender(): Recommender {
    return this.current;
  }

  /** Retrains when any signal or title changed since the last training (or when forced). */
  retrain(force = false): Promise<RetrainResult> {
    this.training ??= this.doRetrain(force)
      .catch((err: unknown) => {
        // The kept matrix may be half updated: the next training starts from a full read.
        this.lastFullRead = 0;
        throw err;
      })
      .finally(() => {
        this.training = null;
      });
    return this.training;
  }

  private async doRetrain(force: boolean): Promise<RetrainResult> {
    const counter = await this.d.changes.current();
    if (!force && counter === this.trainedAtCounter) {
      const s = this.current.model.stats;
      return { retrained: false, read: 'none', readCount: 0, users: s.users, items: s.items, interactions: s.interactions, ms: 0 };
    }
    const now = Date.now();
    const full = force || this.lastFullRead === 0 || now - this.lastFullRead > (this.d.fullReloadMs ?? 10 * 60_000);
    if (full) this.rows.clear();
    let readCount = 0;
    let watermark = this.watermark;
    const source = full ? this.d.interactions.all() : this.d.interactions.changedSince(new Date(this.watermark - CLOCK_SKEW_MS));
    for await (const i of source) {
      readCount++;
      const key = `${i.profileId}|${i.movieId}`;
      const weight = interactionWeight(i);
      if (weight > 0) this.rows.set(key, { user: i.profileId, item: i.movieId, weight });
      else this.rows.delete(key);
      if (i.updatedAt) watermark = Math.max(watermark, i.updatedAt.getTime());
    }
    this.watermark = watermark;
    if (full) this.lastFullRead = now;
    const titles = await this.d.titles.all();
    const model = ItemSimilarityModel.train(this.rows.values(), this.d.similarity);
    this.current = new Recommender(model, new Map(titles.map((t) => [t.id, t])), this.d.clock.now());
    this.trainedAtCounter = counter;
    const s = model.stats;
    return { retrained: true, read: full ? 'full' : 'incremental', readCount, users: s.users, items: s.items, interactions: s.interactions, ms: s.ms };
  }

  /** For one of the signed-in caller's profiles (identity, asked with the caller's token, says whose it is). */
  async forProfile(caller: Caller, input: { profileId: string; pageSize: number; offset: number }): Promise<Page<Suggestion>> {
    if (!input.profileId)
      throw new DomainError('invalid_argument', 'PROFILE_REQUIRED', 'profileId: required (one of your viewer profiles)', [
        { field: 'profileId', description: 'required' },
      ]);
    const ceiling = await this.d.profiles.maxMaturity(caller.accessToken, input.profileId);
    const [history, preferences] = await Promise.all([this.d.interactions.forProfile(input.profileId), this.d.preferences.get(caller.principal.subject)]);
    const all = this.current.forProfile({ history, preferences, ceiling, now: this.d.clock.now() });
    return page(all, input.offset, input.pageSize);
  }

  /** Titles like one title; with a profile (the caller's), within its maturity limit. */
  async similar(caller: Caller | undefined, input: { movieId: string; profileId: string; pageSize: number; offset: number }): Promise<Page<Suggestion>> {
    if (!input.movieId)
      throw new DomainError('invalid_argument', 'MOVIE_REQUIRED', 'movieId: required', [{ field: 'movieId', description: 'required' }]);
    let ceiling: Maturity | null = null;
    if (input.profileId) {
      if (!caller)
        throw new DomainError('unauthenticated', 'UNAUTHENTICATED', 'profileId needs an access token: send "authorization: Bearer <token>"');
      ceiling = await this.d.profiles.maxMaturity(caller.accessToken, input.profileId);
    }
    return page(this.current.similarTo(input.movieId, ceiling, this.d.clock.now()), input.offset, input.pageSize);
  }
}

function page<T>(all: T[], offset: number, size: number): Page<T> {
  const items = all.slice(offset, offset + size);
  return { items, next: offset + size < all.length ? offset + size : null };
}

