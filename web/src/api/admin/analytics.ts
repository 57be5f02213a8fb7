import type { AdminRequests } from './requests';

/** Studio → Analytics. */
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export const analyticsAdmin = (_requests: AdminRequests) => ({});
