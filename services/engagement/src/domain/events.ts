import type { ContractEvent, engagementEvents, SubjectOf } from '@flix/contracts';
import type { ListKind } from './model.js';

type Contract = typeof engagementEvents;

/** Engagement's domain events: its contract's events (subjects and payloads from @flix/contracts). */
export type EngagementEvent = ContractEvent<Contract>;

/**
 * The event each list change emits. The domain imports no transport code, so it names the
 * subjects itself; `satisfies` holds each name to the contract's declaration at compile time.
 */
export const LIST_SUBJECTS = {
  watchlist: { added: 'engagement.watchlist.added', removed: 'engagement.watchlist.removed' },
  favourites: { added: 'engagement.favourite.added', removed: 'engagement.favourite.removed' },
} as const satisfies Record<ListKind, { added: SubjectOf<Contract, 'watchlistAdded' | 'favouriteAdded'>; removed: SubjectOf<Contract, 'watchlistRemoved' | 'favouriteRemoved'> }>;
