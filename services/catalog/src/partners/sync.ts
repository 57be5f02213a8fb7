import { randomUUID } from 'node:crypto';
import type { Logger } from '@flix/logging';
import type { Clock } from '../domain/ports.js';
import type { MongoPartnerTitleRepository } from '../storage/partner-titles-repository.js';
import { fetchFeed, parseFeedDocument, type PartnerFeedConfig } from './feed.js';

export interface PartnerSyncOptions {
  intervalMs: number;
  timeoutMs: number;
}

/**
 * Gathers partner titles on a schedule. Each partner runs on its own timer with its own
 * deadline, so a broken or slow feed delays nobody else; a failed fetch leaves that partner's
 * last good snapshot in place. Instances claim each fetch with a lease, so N replicas fetch a
 * feed once per interval, not N times.
 */
export class PartnerSync {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly owner = randomUUID();
  private stopped = false;

  constructor(
    private readonly feeds: PartnerFeedConfig[],
    private readonly repo: MongoPartnerTitleRepository,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly opts: PartnerSyncOptions,
  ) {}

  start(): void {
    for (const feed of this.feeds) this.schedule(feed, 0);
  }

  /** One fetch of one partner now (tests, and the scheduler). Never throws. */
  async syncOnce(feed: PartnerFeedConfig, force = false): Promise<'synced' | 'failed' | 'skipped'> {
    const log = this.logger.child({ partner: feed.id });
    const now = this.clock.now();
    if (!force && !(await this.repo.claimFetch(feed.id, this.owner, now, Math.max(this.opts.intervalMs - 100, 1000)))) return 'skipped';
    try {
      const doc = await fetchFeed(feed.url, this.opts.timeoutMs);
      const { titles, skipped } = parseFeedDocument(feed, doc, now);
      if (skipped.length) log.warn({ skipped: skipped.slice(0, 20), count: skipped.length }, 'partner feed entries skipped');
      const r = await this.repo.replaceSnapshot(feed.id, titles);
      await this.repo.recordFetch(feed.id, { ok: true, at: now, titleCount: titles.length });
      log.info({ titles: titles.length, ...r }, 'partner feed synced');
      return 'synced';
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      log.warn({ error }, 'partner feed failed; keeping the last good snapshot');
      await this.repo.recordFetch(feed.id, { ok: false, error }).catch(() => undefined);
      return 'failed';
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    await Promise.allSettled([...this.inFlight]);
  }

  private schedule(feed: PartnerFeedConfig, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      const run = this.syncOnce(feed).then(() => undefined);
      this.inFlight.add(run);
      void run.finally(() => {
        this.inFlight.delete(run);
        this.schedule(feed, this.opts.intervalMs);
      });
    }, delayMs);
    timer.unref();
    this.timers.set(feed.id, timer);
  }
}
