import type { IndexDescription } from 'mongodb';
import type { IndexPlan } from '@flix/mongo';

const listIndexes: IndexDescription[] = [
  // One entry per profile and title: adding twice cannot make two.
  { key: { profileId: 1, movieId: 1 }, name: 'profile_movie', unique: true },
  { key: { profileId: 1, addedAt: -1, movieId: -1 }, name: 'profile_newest' },
];

export const ENGAGEMENT_INDEXES: IndexPlan = {
  ratings: [
    // One rating per profile and title: two concurrent first ratings cannot both insert.
    { key: { profileId: 1, movieId: 1 }, name: 'profile_movie', unique: true },
    { key: { profileId: 1, updatedAt: -1, _id: -1 }, name: 'profile_newest' },
    { key: { movieId: 1, hasReview: 1, reviewState: 1, updatedAt: -1, _id: -1 }, name: 'movie_reviews' },
    // The admins' moderation queue across titles: by state, awaiting moderation (the flagged
    // branch uses reviews_by_state, the never-moderated one reviews_unmoderated), or all.
    { key: { hasReview: 1, reviewState: 1, updatedAt: -1, _id: -1 }, name: 'reviews_by_state' },
    { key: { hasReview: 1, reviewState: 1, moderatedAt: 1, updatedAt: -1, _id: -1 }, name: 'reviews_unmoderated' },
    { key: { hasReview: 1, updatedAt: -1, _id: -1 }, name: 'reviews_newest' },
  ],
  watchlist: listIndexes,
  favourites: listIndexes,
};
