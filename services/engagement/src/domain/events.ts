/** Engagement's domain events, tagged with their subjects (payloads in proto JSON field names). */
interface Who {
  userId: string;
  profileId: string;
  movieId: string;
}

export type EngagementEvent =
  | { subject: 'engagement.rating.set'; payload: Who & { stars: number; previousStars: number; hasReview: boolean } }
  | { subject: 'engagement.rating.deleted'; payload: Who & { previousStars: number } }
  | { subject: 'engagement.watchlist.added'; payload: Who }
  | { subject: 'engagement.watchlist.removed'; payload: Who }
  | { subject: 'engagement.favourite.added'; payload: Who }
  | { subject: 'engagement.favourite.removed'; payload: Who };

export const LIST_SUBJECTS = {
  watchlist: { added: 'engagement.watchlist.added', removed: 'engagement.watchlist.removed' },
  favourites: { added: 'engagement.favourite.added', removed: 'engagement.favourite.removed' },
} as const;
