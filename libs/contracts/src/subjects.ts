import type { analyticsEvents } from './analytics.js';
import type { billingEvents } from './billing.js';
import type { catalogEvents } from './catalog.js';
import type { SubjectOf } from './contract.js';
import type { engagementEvents } from './engagement.js';
import type { identityEvents } from './identity.js';
import type { playbackEvents } from './playback.js';

/**
 * Every subject Flix declares, for code that reads events from every stream (analytics): a
 * `switch (subject as FlixSubject)` then refuses a case the contracts do not declare.
 */
export type FlixSubject =
  | SubjectOf<typeof identityEvents>
  | SubjectOf<typeof catalogEvents>
  | SubjectOf<typeof billingEvents>
  | SubjectOf<typeof playbackEvents>
  | SubjectOf<typeof engagementEvents>
  | SubjectOf<typeof analyticsEvents>;
