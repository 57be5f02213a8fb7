import { analyticsEvents } from '@flix/contracts';
import type { EventInit, EventOf } from '@flix/events';
import type { Measurement } from '../domain/alerts.js';
import type { Alert } from '../domain/ports.js';
import { alertToProto } from '../grpc/mappers.js';

type AlertRaised = EventOf<typeof analyticsEvents.alertRaised>;
type AlertResolved = EventOf<typeof analyticsEvents.alertResolved>;

/** analytics.alert.raised for a new incident: the alert in the same form the API shows it. */
export const alertRaisedEvent = (a: Alert): EventInit<AlertRaised> => ({ alert: alertToProto(a) });

/** analytics.alert.resolved, with the measurement that closed the incident. */
export const alertResolvedEvent = (a: Alert, m: Measurement): EventInit<AlertResolved> => ({
  alert: alertToProto(a),
  value: m.value,
  sampleSize: m.sampleSize,
});
