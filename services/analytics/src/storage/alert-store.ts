import type { Db, MongoClient } from 'mongodb';
import { analyticsEvents } from '@flix/contracts';
import { newEventId, runInTransaction, type Outbox } from '@flix/events';
import { isDuplicateKey } from '@flix/mongo';
import type { AlertKindName, Measurement, WindowCounts } from '../domain/alerts.js';
import { SIGNAL_COUNTERS, type SignalCounter } from '../domain/model.js';
import type { Alert, AlertReadModel, AlertStateStore } from '../domain/ports.js';
import { alertRaisedEvent, alertResolvedEvent } from '../events/alert-events.js';

export interface AlertDoc {
  _id: AlertKindName;
  open: boolean;
  incidentId: string;
  value: number;
  threshold: number;
  sampleSize: number;
  windowSeconds: number;
  raisedAt: Date;
  resolvedAt?: Date;
}

/** One incident in the alert history (the state document above keeps only each kind's latest). */
export interface IncidentDoc extends Omit<AlertDoc, '_id' | 'open'> {
  /** The incident id. */
  _id: string;
  kind: AlertKindName;
}

const incidentOf = (a: AlertDoc): IncidentDoc => {
  const { _id, open: _open, ...rest } = a;
  return { ...rest, _id: a.incidentId, kind: _id };
};

const alertOf = ({ _id, open: _open, ...rest }: AlertDoc): Alert => ({ ...rest, kind: _id });

/** Another instance made the same transition at the same moment: theirs stands. */
async function lostRaceIsNull<T>(transition: () => Promise<T | null>): Promise<T | null> {
  try {
    return await transition();
  } catch (err) {
    if (isDuplicateKey(err)) return null;
    throw err;
  }
}

/** Alert state (one document per kind), the incident history and the per-minute signals the window sums. */
export class AlertStore implements AlertReadModel, AlertStateStore {
  private readonly alerts;
  private readonly minutes;
  private readonly incidents;

  constructor(
    private readonly client: MongoClient,
    db: Db,
    private readonly outbox: Outbox,
  ) {
    this.alerts = db.collection<AlertDoc>('alerts');
    this.incidents = db.collection<IncidentDoc>('alert_incidents');
    this.minutes = db.collection<{ _id: string; at: Date } & Partial<Record<SignalCounter, number>>>('signal_minutes');
  }

  async windowCounts(since: Date): Promise<WindowCounts> {
    const docs = await this.minutes.find({ at: { $gte: since } }).toArray();
    const counts = Object.fromEntries(SIGNAL_COUNTERS.map((c) => [c, 0])) as WindowCounts;
    for (const d of docs) for (const c of SIGNAL_COUNTERS) counts[c] += Number(d[c] ?? 0);
    return counts;
  }

  async openKinds(): Promise<Set<AlertKindName>> {
    return new Set((await this.alerts.find({ open: true }, { projection: { _id: 1 } }).toArray()).map((a) => a._id));
  }

  /**
   * Incidents that may overlap [from, to): raised before `to`, not resolved before `from`. Each
   * kind's latest incident is read from the state document too, so one raised before the
   * history was kept still shows.
   */
  async incidentsOverlapping(from: Date, to: Date): Promise<Alert[]> {
    const overlap = { raisedAt: { $lt: to }, $or: [{ resolvedAt: { $exists: false } }, { resolvedAt: { $gte: from } }] };
    const [history, latest] = await Promise.all([this.incidents.find(overlap).toArray(), this.alerts.find(overlap).toArray()]);
    return [...history, ...latest.map(incidentOf)].map(({ _id, ...rest }) => ({ ...rest, incidentId: _id }));
  }

  async open(): Promise<Alert[]> {
    const docs = await this.alerts.find({ open: true }).sort({ raisedAt: 1 }).toArray();
    return docs.map(alertOf);
  }

  /**
   * Opens an incident and enqueues analytics.alert.raised in one transaction; null when
   * another evaluation opened it first (the filter on `open` is the compare-and-set).
   */
  async raise(m: Measurement, windowSeconds: number, now: Date): Promise<Alert | null> {
    const doc: AlertDoc = {
      _id: m.kind,
      open: true,
      incidentId: newEventId(),
      value: m.value,
      threshold: m.threshold,
      sampleSize: m.sampleSize,
      windowSeconds,
      raisedAt: now,
    };
    return lostRaceIsNull(() =>
      runInTransaction(this.client, async (session) => {
        const existing = await this.alerts.findOne({ _id: m.kind }, { session });
        if (existing?.open) return null;
        if (existing) await this.alerts.replaceOne({ _id: m.kind, open: false }, doc, { session });
        else await this.alerts.insertOne(doc, { session });
        await this.incidents.insertOne(incidentOf(doc), { session });
        const alert = alertOf(doc);
        await this.outbox.enqueue(session, analyticsEvents.alertRaised, alertRaisedEvent(alert));
        return alert;
      }),
    );
  }

  /** Closes the open incident and enqueues analytics.alert.resolved; null when none was open. */
  async resolve(m: Measurement, now: Date): Promise<Alert | null> {
    return lostRaceIsNull(() =>
      runInTransaction(this.client, async (session) => {
        const open = await this.alerts.findOne({ _id: m.kind, open: true }, { session });
        if (!open) return null;
        const r = await this.alerts.updateOne({ _id: m.kind, open: true, incidentId: open.incidentId }, { $set: { open: false, resolvedAt: now } }, { session });
        if (r.modifiedCount === 0) return null;
        // Upsert: incidents raised before the history was kept have no entry yet.
        await this.incidents.updateOne({ _id: open.incidentId }, { $set: { ...incidentOf(open), resolvedAt: now } }, { session, upsert: true });
        const alert = alertOf(open);
        await this.outbox.enqueue(session, analyticsEvents.alertResolved, alertResolvedEvent(alert, m));
        return alert;
      }),
    );
  }
}
