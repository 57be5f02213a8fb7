import type { AdminRequests } from './requests';

/** Studio → Titles. */
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export const titlesAdmin = (_requests: AdminRequests) => ({});
