import type { GetSummaryResponse } from '@flix/proto/flix/analytics/v1/analytics_service';
import {
  AlertKind,
  DeadLetterAction_Kind,
  type Alert as AlertMessage,
  type AlertIncident,
  type DeadLetter,
  type DeadLetterAction as DeadLetterActionMessage,
  type EventStream,
  type StreamConsumer,
} from '@flix/proto/flix/analytics/v1/resources';
import type { AlertKindName } from '../domain/alerts.js';
import type { DeadLetterAction, ParsedDeadLetter } from '../domain/dead-letters.js';
import type { Alert, ConsumerSummary, StreamSummary } from '../domain/ports.js';
import type { Summary } from '../domain/reports.js';

export const ALERT_KIND: Record<AlertKindName, AlertKind> = {
  payment_failure_rate: AlertKind.ALERT_KIND_PAYMENT_FAILURE_RATE,
  login_failure_rate: AlertKind.ALERT_KIND_LOGIN_FAILURE_RATE,
  dead_letters: AlertKind.ALERT_KIND_DEAD_LETTERS,
};

/** An alert as the API and the analytics.alert.* events carry it. */
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

export const streamToProto = (s: StreamSummary): EventStream => ({ ...s });

export const consumerToProto = (c: ConsumerSummary): StreamConsumer => ({ ...c });

export const deadLetterToProto = (d: ParsedDeadLetter): DeadLetter => ({ ...d });

export const deadLetterActionToProto = (d: DeadLetterAction): DeadLetterActionMessage => ({
  sequence: d.sequence,
  kind: d.kind === 'replayed' ? DeadLetterAction_Kind.KIND_REPLAYED : DeadLetterAction_Kind.KIND_DISCARDED,
  actor: d.actor,
  actionTime: d.at,
  subject: d.subject,
  consumer: d.consumer,
  replayMessageId: d.replayMessageId ?? '',
  replayStream: d.replayStream ?? '',
  replaySequence: d.replaySequence ?? 0,
  eventId: d.eventId,
});
