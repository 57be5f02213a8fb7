import type { AdminRequests } from './requests';

/** Studio → Streams. */
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export const streamsAdmin = (_requests: AdminRequests) => ({});
