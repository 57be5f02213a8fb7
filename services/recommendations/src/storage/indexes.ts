import type { IndexPlan } from '@flix/mongo';

export const RECOMMENDATIONS_INDEXES: IndexPlan = {
  // _id is `<profileId>|<movieId>`: one document per profile and title.
  interactions: [
    { key: { profileId: 1 }, name: 'profile' },
    // Incremental retraining reads what changed since the last one.
    { key: { updatedAt: 1 }, name: 'updated' },
  ],
  // _id is the movie id.
  titles: [],
  // _id is the account (user) id.
  preferences: [],
};
