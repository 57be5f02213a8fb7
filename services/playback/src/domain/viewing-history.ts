import { requireUserCaller, type Caller } from '@flix/auth';
import { DomainError, Violations } from '@flix/errors';
import type { ViewingRecord } from './model.js';
import type { Clock, PlaybackStore, ProfileDirectory, ViewingPage } from './ports.js';

export interface ViewingPageRequest {
  profileId: string;
  pageSize: number;
  pageToken: string;
}

export interface ViewingEntryRequest {
  profileId: string;
  movieId: string;
}

export interface ViewingHistoryDeps {
  store: PlaybackStore;
  profiles: ProfileDirectory;
  clock: Clock;
}

/**
 * A profile's viewing records (continue watching, history), as sessions left them. Every read
 * first asks identity whether the profile is the caller's (NOT_FOUND when it is not).
 */
export class ViewingHistory {
  constructor(private readonly deps: ViewingHistoryDeps) {}

  continueWatching(caller: Caller | undefined, req: ViewingPageRequest): Promise<ViewingPage> {
    return this.viewingPage(caller, req, true);
  }

  watchHistory(caller: Caller | undefined, req: ViewingPageRequest): Promise<ViewingPage> {
    return this.viewingPage(caller, req, false);
  }

  /** The profile's viewing record of one title; NOT_FOUND when the profile never watched it. */
  async viewingEntry(caller: Caller | undefined, req: ViewingEntryRequest): Promise<ViewingRecord> {
    const { accessToken } = requireUserCaller(caller);
    checkEntryRequest(req);
    await this.deps.profiles.maxMaturity(accessToken, req.profileId);
    const record = await this.deps.store.viewing(req.profileId, req.movieId);
    if (!record)
      throw new DomainError('not_found', 'VIEWING_ENTRY_NOT_FOUND', `movieId: profile ${req.profileId} has not watched ${req.movieId}`, [{ field: 'movieId', description: 'not in this profile\'s history' }]);
    return record;
  }

  async removeFromHistory(caller: Caller | undefined, req: ViewingEntryRequest): Promise<void> {
    const { principal: user, accessToken } = requireUserCaller(caller);
    checkEntryRequest(req);
    await this.deps.profiles.maxMaturity(accessToken, req.profileId);
    const now = this.deps.clock.now();
    await this.deps.store.transact(async (tx) => {
      if (await tx.deleteViewing(req.profileId, req.movieId))
        await tx.emit([{ subject: 'playback.history.removed', userId: user.subject, profileId: req.profileId, movieId: req.movieId, at: now }]);
    });
  }

  private async viewingPage(caller: Caller | undefined, req: ViewingPageRequest, inProgressOnly: boolean): Promise<ViewingPage> {
    const { accessToken } = requireUserCaller(caller);
    const v = new Violations();
    if (!req.profileId) v.add('profileId', 'is required');
    if (req.pageSize < 0) v.add('pageSize', 'must not be negative');
    v.throwIfAny();
    await this.deps.profiles.maxMaturity(accessToken, req.profileId);
    return this.deps.store.listViewing(req.profileId, { inProgressOnly, pageSize: req.pageSize, cursor: req.pageToken });
  }
}

/** The shape of every title id (ours, demo and partner): what is not shaped so names no entry. */
const TITLE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function checkEntryRequest(req: ViewingEntryRequest): void {
  const v = new Violations();
  if (!req.profileId) v.add('profileId', 'is required');
  if (!req.movieId) v.add('movieId', 'is required');
  else if (!TITLE_ID.test(req.movieId)) v.add('movieId', 'is not a title id (1 to 128 letters, digits, ".", "_" or "-")');
  v.throwIfAny();
}
