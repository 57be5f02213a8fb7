import { defineEvent } from '@flix/events';
import {
  FavouriteAdded,
  FavouriteRemoved,
  RatingDeleted,
  RatingSet,
  WatchlistAdded,
  WatchlistRemoved,
} from '@flix/proto/flix/engagement/v1/events';
import { producedBy } from './contract.js';

/**
 * Engagement's events: the single definition of each subject ↔ proto type pairing.
 * `previous_stars` makes each rating event a commutative delta on catalog's aggregate.
 * Watchlist/favourite events are emitted only on an actual change (adding twice emits once).
 */
export const engagementEvents = producedBy('engagement', {
  ratingSet: defineEvent({ subject: 'engagement.rating.set', type: 'flix.engagement.v1.RatingSet', codec: RatingSet }),
  ratingDeleted: defineEvent({ subject: 'engagement.rating.deleted', type: 'flix.engagement.v1.RatingDeleted', codec: RatingDeleted }),
  watchlistAdded: defineEvent({ subject: 'engagement.watchlist.added', type: 'flix.engagement.v1.WatchlistAdded', codec: WatchlistAdded }),
  watchlistRemoved: defineEvent({ subject: 'engagement.watchlist.removed', type: 'flix.engagement.v1.WatchlistRemoved', codec: WatchlistRemoved }),
  favouriteAdded: defineEvent({ subject: 'engagement.favourite.added', type: 'flix.engagement.v1.FavouriteAdded', codec: FavouriteAdded }),
  favouriteRemoved: defineEvent({ subject: 'engagement.favourite.removed', type: 'flix.engagement.v1.FavouriteRemoved', codec: FavouriteRemoved }),
});

/** Stream that holds engagement's events. */
export const ENGAGEMENT_STREAM = 'ENGAGEMENT';
