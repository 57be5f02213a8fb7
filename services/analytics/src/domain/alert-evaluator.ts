import type { Logger } from '@flix/logging';
import { measure, transition, type AlertSettings } from './alerts.js';
import type { AlertStateStore } from './ports.js';

/**
 * Re-measures the sliding window and raises or resolves alerts. Called after every event that
 * feeds a watched rate and on a timer (so an incident resolves when the window empties even
 * with no new events). Concurrent calls share one pass plus at most one follow-up.
 */
export class AlertEvaluator {
  private current: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(
    private readonly store: AlertStateStore,
    private readonly settings: AlertSettings,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  evaluate(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.current) return this.run();
    this.queued = this.current.then(() => {
      this.queued = null;
      return this.run();
    });
    return this.queued;
  }

  private run(): Promise<void> {
    const p = this.pass()
      .catch((err: unknown) => this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'alert evaluation failed'))
      .finally(() => {
        if (this.current === p) this.current = null;
      });
    this.current = p;
    return p;
  }

  private async pass(): Promise<void> {
    const now = this.now();
    const since = new Date(now.getTime() - this.settings.windowSeconds * 1000);
    const [counts, open] = await Promise.all([this.store.windowCounts(since), this.store.openKinds()]);
    for (const m of measure(counts, this.settings)) {
      // raise and resolve are null when another instance made the same transition first.
      const t = transition(open.has(m.kind), m);
      if (t === 'raise') {
        const a = await this.store.raise(m, this.settings.windowSeconds, now);
        if (a) this.logger.warn({ kind: m.kind, value: m.value, threshold: m.threshold, sampleSize: m.sampleSize, incidentId: a.incidentId }, 'alert raised');
      } else if (t === 'resolve') {
        const a = await this.store.resolve(m, now);
        if (a) this.logger.info({ kind: m.kind, value: m.value, incidentId: a.incidentId }, 'alert resolved');
      }
    }
  }
}
