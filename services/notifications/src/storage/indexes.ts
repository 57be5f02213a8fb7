import type { IndexPlan } from '@flix/mongo';

export const NOTIFICATIONS_INDEXES: IndexPlan = {
  deliveries: [
    // The worker's two claims: due pending ones, and sends whose lease ran out.
    { key: { status: 1, nextAttemptAt: 1 }, name: 'status_due' },
    { key: { status: 1, leaseUntil: 1 }, name: 'status_lease' },
    // The admin log, newest first, whole or by account, template or status.
    { key: { createdAt: -1, _id: -1 }, name: 'newest' },
    { key: { userId: 1, createdAt: -1, _id: -1 }, name: 'user_newest' },
    { key: { template: 1, createdAt: -1, _id: -1 }, name: 'template_newest' },
    { key: { status: 1, createdAt: -1, _id: -1 }, name: 'status_newest' },
  ],
  rental_reminders: [
    { key: { status: 1, dueAt: 1 }, name: 'status_due' },
    { key: { userId: 1 }, name: 'user' },
  ],
  // erased_users (the tombstones of deleted accounts) is indexed by @flix/service's ErasedUsers.
};
