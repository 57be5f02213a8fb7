import type { AlertKindName, Measurement, WindowCounts } from './alerts.js';
import type { DayCounters, SubscriptionSpan } from './daily.js';
import type { DeadLetterAction, ParsedDeadLetter } from './dead-letters.js';
import type { PlanPrice } from './model.js';
import type { DailyTotals, TitleTotals } from './summary.js';

/** An alert incident as the reports see it (open, or resolved when `resolvedAt` is set). */
export interface Alert {
  incidentId: string;
  kind: AlertKindName;
  value: number;
  threshold: number;
  sampleSize: number;
  windowSeconds: number;
  raisedAt: Date;
  resolvedAt?: Date;
}

/** Subscription counts for a window, from the subscription rollup. */
export interface SubscriptionCounts {
  /** Subscriptions giving access at the window's end (or now, if that is earlier). */
  activeEnd: number;
  /** Paying (non-trial) subscriptions at the end, per plan id. */
  payingByPlan: Map<string, number>;
  activeAtStart: number;
  started: number;
  churned: number;
}

/** The rollups the summary reads. */
export interface SummaryReadModel {
  daily(days: string[]): Promise<{ totals: DailyTotals; dau: Map<string, number>; byDay: Map<string, DayCounters> }>;
  monthlyActive(months: string[]): Promise<Map<string, number>>;
  titles(days: string[]): Promise<TitleTotals[]>;
  subscriptions(from: Date, to: Date): Promise<SubscriptionCounts>;
  /** Subscriptions that gave access at some point in [from, to). */
  subscriptionSpans(from: Date, to: Date): Promise<SubscriptionSpan[]>;
  planPrices(): Promise<Map<string, PlanPrice>>;
}

/** The alert state and history the summary reads. */
export interface AlertReadModel {
  /** Open alerts, oldest raise first. */
  open(): Promise<Alert[]>;
  /** Incidents open at some point in [from, to), from the history and the current state (may repeat). */
  incidentsOverlapping(from: Date, to: Date): Promise<Alert[]>;
}

/** The per-minute signals and the alert state the evaluator moves; each change writes its event with it. */
export interface AlertStateStore {
  /** Sums of the signal counters since `since`. */
  windowCounts(since: Date): Promise<WindowCounts>;
  /** The kinds with an open incident. */
  openKinds(): Promise<Set<AlertKindName>>;
  /** Opens an incident; null when one is open already (another evaluation got there first). */
  raise(m: Measurement, windowSeconds: number, now: Date): Promise<Alert | null>;
  /** Closes the open incident; null when none was open (or another evaluation closed it). */
  resolve(m: Measurement, now: Date): Promise<Alert | null>;
}

/** A stream as operators see it. */
export interface StreamSummary {
  name: string;
  description: string;
  subjects: string[];
  messages: number;
  bytes: number;
  firstSequence: number;
  firstTime: Date | undefined;
  lastSequence: number;
  lastTime: Date | undefined;
  consumerCount: number;
}

/** A service's durable consumer of a stream. */
export interface ConsumerSummary {
  stream: string;
  name: string;
  filterSubject: string;
  pending: number;
  ackPending: number;
  redelivered: number;
  lastDeliveredSequence: number;
  ackFloorSequence: number;
  createTime: Date | undefined;
}

export interface PageRequest {
  pageSize: number;
  pageToken: string;
}

/**
 * The operators' view of the event streams: streams, durable consumers and the dead-letter
 * queue, with replay and discard. Callers check that the caller is an admin; `actor` is who.
 */
export interface StreamAdministration {
  listStreams(req: PageRequest): Promise<{ streams: StreamSummary[]; nextPageToken: string }>;
  listConsumers(req: PageRequest & { stream: string }): Promise<{ consumers: ConsumerSummary[]; nextPageToken: string }>;
  /** Newest first; `totalSize` counts every message on the DLQ. */
  listDeadLetters(req: PageRequest): Promise<{ deadLetters: ParsedDeadLetter[]; nextPageToken: string; totalSize: number }>;
  /** Re-publishes a dead letter to its original subject; the first call records it, later ones return that record. */
  replay(actor: string, sequence: number): Promise<DeadLetterAction>;
  /** Deletes a dead letter without re-publishing; the first call records it, later ones return that record. */
  discard(actor: string, sequence: number): Promise<DeadLetterAction>;
}

/** The record of replays and discards, one per dead letter (keyed by deadLetterActionKey). */
export interface DeadLetterActionLog {
  get(key: string): Promise<DeadLetterAction | null>;
  /** Records the action, or returns the one recorded first (someone acted first). */
  claim(key: string, action: DeadLetterAction): Promise<DeadLetterAction>;
  /** Marks a replay done, with where the re-published message was stored. */
  complete(key: string, replay: { replayStream?: string; replaySequence?: number }): Promise<DeadLetterAction | null>;
}
