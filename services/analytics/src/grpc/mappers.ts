import type { GetSummaryResponse } from '@flix/proto/flix/analytics/v1/analytics_service';
import type { Alert as AlertMessage, AlertIncident } from '@flix/proto/flix/analytics/v1/resources';
import type { Alert } from '../domain/ports.js';
import type { Summary } from '../domain/reports.js';
import { ALERT_KIND } from '../storage/alert-store.js';

export const alertToProto = (a: Alert): AlertMessage => ({
  incidentId: a.incidentId,
  kind: ALERT_KIND[a.kind],
  value: a.value,
  threshold: a.threshold,
  sampleSize: a.sampleSize,
  windowSeconds: a.windowSeconds,
  raiseTime: a.raisedAt,
});

export const incidentToProto = (a: Alert): AlertIncident => ({ alert: alertToProto(a), resolveTime: a.resolvedAt });

/** The GetSummary response for a domain summary. */
export const summaryToProto = (s: Summary): GetSummaryResponse => ({
  ...s,
  openAlerts: s.openAlerts.map(alertToProto),
  alerts: s.alerts.map(incidentToProto),
});
