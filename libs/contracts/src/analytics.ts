import { defineEvent } from '@flix/events';
import { AlertRaised, AlertResolved } from '@flix/proto/flix/analytics/v1/events';

/** Analytics' events: the single definition of each subject ↔ proto type pairing. */
export const analyticsEvents = {
  alertRaised: defineEvent({ subject: 'analytics.alert.raised', type: 'flix.analytics.v1.AlertRaised', codec: AlertRaised }),
  alertResolved: defineEvent({ subject: 'analytics.alert.resolved', type: 'flix.analytics.v1.AlertResolved', codec: AlertResolved }),
} as const;

/** Stream that holds analytics' events. */
export const ANALYTICS_STREAM = 'ANALYTICS';
