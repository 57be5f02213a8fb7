import { defineEvent } from '@flix/events';
import { AlertRaised, AlertResolved } from '@flix/proto/flix/analytics/v1/events';
import { producedBy } from './contract.js';

/** Analytics' events: the single definition of each subject ↔ proto type pairing. */
export const analyticsEvents = producedBy('analytics', {
  alertRaised: defineEvent({ subject: 'analytics.alert.raised', type: 'flix.analytics.v1.AlertRaised', codec: AlertRaised }),
  alertResolved: defineEvent({ subject: 'analytics.alert.resolved', type: 'flix.analytics.v1.AlertResolved', codec: AlertResolved }),
});

/** Stream that holds analytics' events. */
export const ANALYTICS_STREAM = 'ANALYTICS';
