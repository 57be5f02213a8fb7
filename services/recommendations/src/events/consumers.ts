import {
  catalogEvents,
  CATALOG_STREAM,
  engagementEvents,
  ENGAGEMENT_STREAM,
  handlersOf,
  identityEvents,
  IDENTITY_STREAM,
  playbackEvents,
  PLAYBACK_STREAM,
  subjectFilter,
} from '@flix/contracts';
import { on, PoisonMessageError, startConsumer, type ConsumerHandle, type IdempotencyStore, type NatsClients } from '@flix/events';
import type { Logger } from '@flix/logging';
import { userDeletedHandler } from '@flix/service';
import type { RecommendationsPersonalData } from '../privacy/personal-data.js';
import type { Movie } from '@flix/proto/flix/catalog/v1/resources';
import { titleFromMovie } from '../catalog/titles.js';
import type { SignalKind } from '../domain/model.js';
import type { InteractionStore, PreferenceStore, TitleStore } from '../domain/ports.js';

export interface ConsumerDeps {
  nats: NatsClients;
  interactions: InteractionStore;
  titles: TitleStore;
  preferences: PreferenceStore;
  idempotency: IdempotencyStore;
  logger: Logger;
  /** Account deletion: identity.user.deleted erases; signals about an erased account are ignored. */
  privacy: RecommendationsPersonalData;
}

/**
 * A write about an account from an event: skipped when the account is known erased; afterwards,
 * erased again if its erasure (on another consumer) ran while the write was in flight.
 */
async function aboutAccount(d: ConsumerDeps, userId: string, write: () => Promise<unknown>): Promise<void> {
  if (userId && d.privacy.isErased(userId)) return;
  await write();
  if (userId) await d.privacy.eraseIfErasedMeanwhile(userId);
}

const DURABLE = 'recommendations';

interface ProfileSignal {
  eventId: string;
  occurTime?: Date | undefined;
  userId: string;
  profileId: string;
  movieId: string;
}

/** Builds a handler that records one signal kind with the value the event implies. */
function signal(d: ConsumerDeps, kind: SignalKind, value: (e: ProfileSignal & { stars?: number }) => number) {
  return async (e: ProfileSignal & { stars?: number }, ctx: { logger: Logger }) => {
    if (!e.profileId || !e.movieId) throw new PoisonMessageError(`${kind} signal without a profile or movie id`);
    await aboutAccount(d, e.userId, async () => {
      const outcome = await d.interactions.apply({
        userId: e.userId,
        profileId: e.profileId,
        movieId: e.movieId,
        kind,
        value: value(e),
        at: e.occurTime ?? new Date(0),
        eventId: e.eventId,
      });
      ctx.logger.debug({ profileId: e.profileId, movieId: e.movieId, kind, outcome }, 'signal recorded');
    });
  };
}

/** Ratings, watchlist and favourites (durable 'recommendations' on ENGAGEMENT). */
export function startEngagementConsumer(d: ConsumerDeps): Promise<ConsumerHandle> {
  return startConsumer({
    js: d.nats.js,
    jsm: d.nats.jsm,
    stream: ENGAGEMENT_STREAM,
    durable: DURABLE,
    idempotency: d.idempotency,
    logger: d.logger,
    handlers: handlersOf(
      on(engagementEvents.ratingSet, signal(d, 'rating', (e) => Math.max(1, Math.min(5, e.stars ?? 0)))),
      on(engagementEvents.ratingDeleted, signal(d, 'rating', () => 0)),
      on(engagementEvents.watchlistAdded, signal(d, 'watchlist', () => 1)),
      on(engagementEvents.watchlistRemoved, signal(d, 'watchlist', () => 0)),
      on(engagementEvents.favouriteAdded, signal(d, 'favourite', () => 1)),
      on(engagementEvents.favouriteRemoved, signal(d, 'favourite', () => 0)),
    ),
  });
}

/** Completions, started sessions (a weak signal) and history removals (durable on PLAYBACK). */
export function startPlaybackConsumer(d: ConsumerDeps): Promise<ConsumerHandle> {
  return startConsumer({
    js: d.nats.js,
    jsm: d.nats.jsm,
    stream: PLAYBACK_STREAM,
    durable: DURABLE,
    idempotency: d.idempotency,
    logger: d.logger,
    handlers: handlersOf(
      on(playbackEvents.titleCompleted, signal(d, 'completed', () => 1)),
      on(playbackEvents.sessionStarted, signal(d, 'started', () => 1)),
      on(playbackEvents.historyRemoved, async (e) => {
        if (!e.profileId || !e.movieId) throw new PoisonMessageError(`${playbackEvents.historyRemoved.subject} without a profile or movie id`);
        await aboutAccount(d, e.userId, () =>
          d.interactions.forgetPlayback({ userId: e.userId, profileId: e.profileId, movieId: e.movieId, at: e.occurTime ?? new Date(0), eventId: e.eventId }),
        );
      }),
    ),
  });
}

/** The account's language and genres, for cold start (durable on IDENTITY, user events only). */
export function startIdentityConsumer(d: ConsumerDeps): Promise<ConsumerHandle> {
  const prefs = async (e: { userId: string; preferredLanguage: string; favouriteGenres: string[]; occurTime?: Date | undefined }) => {
    if (!e.userId) throw new PoisonMessageError('identity user event without a user id');
    await aboutAccount(d, e.userId, () => d.preferences.upsert({ userId: e.userId, language: e.preferredLanguage, genres: e.favouriteGenres, at: e.occurTime ?? new Date(0) }));
  };
  return startConsumer({
    js: d.nats.js,
    jsm: d.nats.jsm,
    stream: IDENTITY_STREAM,
    durable: DURABLE,
    filterSubject: subjectFilter(identityEvents, 'identity.user.>'),
    idempotency: d.idempotency,
    logger: d.logger,
    handlers: handlersOf(
      on(identityEvents.userRegistered, prefs),
      on(identityEvents.userUpdated, prefs),
      userDeletedHandler((e) => d.privacy.erase(e)),
    ),
  });
}

/** The catalog copy: genres, languages, maturity, availability (durable on CATALOG, movie events). */
export function startCatalogConsumer(d: ConsumerDeps): Promise<ConsumerHandle> {
  const title = async (e: { movie?: Movie | undefined }) => {
    if (!e.movie?.id) throw new PoisonMessageError('catalog movie event without a movie');
    await d.titles.upsert(titleFromMovie(e.movie));
  };
  return startConsumer({
    js: d.nats.js,
    jsm: d.nats.jsm,
    stream: CATALOG_STREAM,
    durable: DURABLE,
    filterSubject: subjectFilter(catalogEvents, 'catalog.movie.>'),
    idempotency: d.idempotency,
    logger: d.logger,
    batchSize: 100,
    handlers: handlersOf(
      on(catalogEvents.movieCreated, title),
      on(catalogEvents.movieUpdated, title),
      on(catalogEvents.moviePublished, title),
      on(catalogEvents.movieArchived, title),
    ),
  });
}
