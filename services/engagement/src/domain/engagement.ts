import { randomUUID } from 'node:crypto';
import { requireAdmin, requireUserCaller, type Caller, type Principal } from '@flix/auth';
import { DomainError, invalidArgument } from '@flix/errors';
import { maturityRank } from '@flix/profiles/maturity';
import { LIST_SUBJECTS } from './events.js';
import type { ListedRecord, ListKind, ModerationAction, Page, PagePosition, RatingRecord, ReviewFilter, ReviewState } from './model.js';
import { ConcurrentChangeError, type Clock, type EngagementStore, type MovieDirectory, type ProfileDirectory } from './ports.js';
import { moderate, parseRating, rate, unrate, type RatingInput } from './rating.js';

const MAX_CAS_ATTEMPTS = 8;
const VIEWER_STATES: ReviewState[] = ['published'];
const ALL_STATES: ReviewState[] = ['published', 'flagged', 'hidden'];

const movieNotFound = (movieId: string) =>
  new DomainError('not_found', 'MOVIE_NOT_FOUND', `movieId: no title ${movieId}`, [{ field: 'movieId', description: 'no such title' }]);

/** Ratings, reviews, watchlist and favourites of viewer profiles. */
export class Engagement {
  constructor(
    private readonly deps: {
      store: EngagementStore;
      movies: MovieDirectory;
      profiles: ProfileDirectory;
      clock: Clock;
      newId?: () => string;
    },
  ) {}

  // ------------------------------------------------------------------ ratings

  async setRating(caller: Caller | undefined, movieId: string, profileId: string, input: RatingInput): Promise<RatingRecord> {
    const user = await this.viewer(caller, profileId);
    const parsed = parseRating(input);
    await this.titleFor(user, movieId);
    const who = { userId: user.userId, profileId: user.profileId, movieId: movieId.trim() };
    return this.withCas(() =>
      this.deps.store.transact(async (tx) => {
        const current = await tx.rating(who.profileId, who.movieId);
        const { next, event } = rate(current, who, parsed, this.deps.clock.now(), this.newId);
        const saved = await tx.saveRating(next);
        await tx.emit([event]);
        return saved;
      }),
    );
  }

  async getRating(caller: Caller | undefined, movieId: string, profileId: string): Promise<RatingRecord> {
    const user = await this.viewer(caller, profileId);
    const id = required('movieId', movieId);
    const r = await this.deps.store.rating(user.profileId, id);
    if (!r) throw notRated(user.profileId, id);
    return r;
  }

  /** Returns the withdrawn stars. No catalog check: a title that left the catalog can still be unrated. */
  async deleteRating(caller: Caller | undefined, movieId: string, profileId: string): Promise<number> {
    const user = await this.viewer(caller, profileId);
    const id = required('movieId', movieId);
    return this.withCas(() =>
      this.deps.store.transact(async (tx) => {
        const current = await tx.rating(user.profileId, id);
        if (!current) throw notRated(user.profileId, id);
        await tx.deleteRating(current);
        await tx.emit([unrate(current)]);
        return current.stars;
      }),
    );
  }

  async listRatings(caller: Caller | undefined, profileId: string, page: { size: number; after?: PagePosition }): Promise<Page<RatingRecord>> {
    const user = await this.viewer(caller, profileId);
    const items = await this.deps.store.listRatings(user.profileId, { size: page.size + 1, after: page.after });
    return paged(items, page.size, (r) => ({ t: r.updatedAt.getTime(), id: r.id }));
  }

  // ------------------------------------------------------------------ reviews

  /** Public: published reviews of a visible title. Admins may ask for moderated ones too. */
  async listReviews(principal: Principal | undefined, movieId: string, includeModerated: boolean, page: { size: number; after?: PagePosition }): Promise<Page<RatingRecord>> {
    if (includeModerated) requireAdmin(principal);
    const id = required('movieId', movieId);
    if (!(await this.deps.movies.get(id))) throw movieNotFound(id);
    const items = await this.deps.store.listReviews(id, includeModerated ? ALL_STATES : VIEWER_STATES, { size: page.size + 1, after: page.after });
    return paged(items, page.size, (r) => ({ t: r.updatedAt.getTime(), id: r.id }));
  }

  /** Admin: the moderation queue, every title's reviews newest first. */
  async listAllReviews(principal: Principal | undefined, filter: ReviewFilter | null, page: { size: number; after?: PagePosition }): Promise<Page<RatingRecord>> {
    requireAdmin(principal);
    if (!filter) throw invalidArgument('filter', 'must be AWAITING_MODERATION, PUBLISHED, FLAGGED, HIDDEN or ALL');
    const items = await this.deps.store.listAllReviews(filter, { size: page.size + 1, after: page.after });
    return paged(items, page.size, (r) => ({ t: r.updatedAt.getTime(), id: r.id }));
  }

  async moderateReview(principal: Principal | undefined, reviewId: string, action: ModerationAction | null, reason: string): Promise<RatingRecord> {
    requireAdmin(principal);
    const id = required('reviewId', reviewId);
    if (!action) throw invalidArgument('action', 'must be FLAG, HIDE or PUBLISH');
    if (action !== 'publish' && !reason.trim()) throw invalidArgument('reason', 'say why the review is flagged or hidden');
    return this.withCas(() =>
      this.deps.store.transact(async (tx) => {
        const current = await tx.ratingById(id);
        if (!current || current.review === '')
          throw new DomainError('not_found', 'REVIEW_NOT_FOUND', `reviewId: no review ${id}`, [{ field: 'reviewId', description: 'no such review' }]);
        return tx.saveRating(moderate(current, action, reason, this.deps.clock.now()));
      }),
    );
  }

  // ------------------------------------------------------------------ watchlist and favourites

  /** Adds a title; adding it again returns the existing entry and emits nothing. */
  async addToList(caller: Caller | undefined, list: ListKind, profileId: string, movieId: string): Promise<ListedRecord> {
    const user = await this.viewer(caller, profileId);
    const id = await this.titleFor(user, movieId);
    const rec: ListedRecord = { userId: user.userId, profileId: user.profileId, movieId: id, addedAt: this.deps.clock.now() };
    const added = await this.deps.store.transact(async (tx) => {
      const inserted = await tx.addListed(list, rec);
      if (inserted) await tx.emit([{ subject: LIST_SUBJECTS[list].added, payload: { userId: rec.userId, profileId: rec.profileId, movieId: id } }]);
      return inserted;
    });
    if (added) return rec;
    return (await this.deps.store.listed(list, user.profileId, id)) ?? rec;
  }

  /** Removes a title; removing one that is not listed is harmless (returns false, emits nothing). */
  async removeFromList(caller: Caller | undefined, list: ListKind, profileId: string, movieId: string): Promise<boolean> {
    const user = await this.viewer(caller, profileId);
    const id = required('movieId', movieId);
    // Removing what is not listed is harmless, but an id no title can have ("../") is a mistake.
    if (!TITLE_ID.test(id)) throw invalidArgument('movieId', 'is not a title id (1 to 128 letters, digits, ".", "_" or "-")');
    return this.deps.store.transact(async (tx) => {
      const removed = await tx.removeListed(list, user.profileId, id);
      if (removed) await tx.emit([{ subject: LIST_SUBJECTS[list].removed, payload: { userId: user.userId, profileId: user.profileId, movieId: id } }]);
      return removed;
    });
  }

  async list(caller: Caller | undefined, list: ListKind, profileId: string, page: { size: number; after?: PagePosition }): Promise<Page<ListedRecord>> {
    const user = await this.viewer(caller, profileId);
    const items = await this.deps.store.listListed(list, user.profileId, { size: page.size + 1, after: page.after });
    return paged(items, page.size, (r) => ({ t: r.addedAt.getTime(), id: r.movieId }));
  }

  // ------------------------------------------------------------------ helpers

  private readonly newId = () => (this.deps.newId ?? randomUUID)();

  /** A signed-in account acting as one of its own profiles (identity decides whose it is). */
  private async viewer(caller: Caller | undefined, profileId: string) {
    const { principal, accessToken } = requireUserCaller(caller);
    const id = required('profileId', profileId);
    const maxMaturity = await this.deps.profiles.maxMaturity(accessToken, id);
    return { userId: principal.subject, profileId: id, maxMaturity };
  }

  /** The title, if the catalog shows it to this profile (a title above its maturity is as good as absent). */
  private async titleFor(user: { maxMaturity: Parameters<typeof maturityRank>[0] }, movieId: string): Promise<string> {
    const id = required('movieId', movieId);
    const movie = await this.deps.movies.get(id);
    if (!movie || (movie.maturity && maturityRank(movie.maturity) > maturityRank(user.maxMaturity))) throw movieNotFound(id);
    return id;
  }

  private async withCas<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (e) {
        if (!(e instanceof ConcurrentChangeError)) throw e;
        if (n >= MAX_CAS_ATTEMPTS) throw new DomainError('aborted', 'CONCURRENT_MODIFICATION', 'the rating kept changing under this request; retry');
      }
    }
  }
}

/** The shape of every title id (ours, demo and partner). */
const TITLE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function required(field: string, value: string): string {
  const v = value.trim();
  if (!v) throw invalidArgument(field, 'required');
  if (v.length > 200) throw invalidArgument(field, 'at most 200 characters');
  return v;
}

const notRated = (profileId: string, movieId: string) =>
  new DomainError('not_found', 'RATING_NOT_FOUND', `movieId: profile ${profileId} has not rated ${movieId}`, [{ field: 'movieId', description: 'not rated by this profile' }]);

/** Stores are asked for size + 1 items; the extra one says whether there is a next page. */
function paged<T>(items: T[], size: number, position: (item: T) => PagePosition): Page<T> {
  if (items.length <= size) return { items };
  const page = items.slice(0, size);
  return { items: page, next: position(page[page.length - 1]!) };
}
