import type { AdminRequests } from './requests';

/** Studio → Reviews. */
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export const reviewsAdmin = (_requests: AdminRequests) => ({});
