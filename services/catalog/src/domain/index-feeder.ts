import type { CatalogIndex } from './catalog-index.js';
import type { ChangeFeed, FeedCursor } from './ports.js';

/**
 * Keeps this instance's CatalogIndex current from the catalog's change feed: a full load at
 * start, then a poll every `intervalMs`. Every instance sees every change (its own writes and
 * other instances') within about one interval.
 */
export class IndexFeeder {
  private cursor: FeedCursor = { movies: 0, partners: 0 };
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly feed: ChangeFeed,
    private readonly index: CatalogIndex,
    private readonly opts: { intervalMs: number; batchSize: number; onError: (err: unknown) => void },
  ) {}

  get position(): FeedCursor {
    return { ...this.cursor };
  }

  /** Reads the whole feed (bulk-loading the first batch) until it is drained. */
  async catchUp(): Promise<number> {
    let applied = 0;
    for (;;) {
      const batch = await this.feed.changesSince(this.cursor, this.opts.batchSize);
      if (this.index.size === 0 && batch.removedIds.length === 0) this.index.load(batch.upserts);
      else for (const m of batch.upserts) this.index.upsert(m);
      for (const id of batch.removedIds) this.index.remove(id);
      applied += batch.upserts.length + batch.removedIds.length;
      const moved = batch.cursor.movies !== this.cursor.movies || batch.cursor.partners !== this.cursor.partners;
      this.cursor = batch.cursor;
      if (!moved || batch.upserts.length + batch.removedIds.length < this.opts.batchSize) return applied;
    }
  }

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.running = this.catchUp()
        .then(() => undefined, this.opts.onError)
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.opts.intervalMs);
        });
    };
    this.timer = setTimeout(tick, this.opts.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
