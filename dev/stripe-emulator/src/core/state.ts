/**
 * The emulator's state on disk: one JSON file under the data dir (`stripe-emulator.json`),
 * rewritten atomically by @flix/emulator-kit's JsonStateFile. Writes are coalesced: a busy stack
 * changes state (deliveries, events) many times a second and the file holds the event history.
 */
import { JsonStateFile } from '@flix/emulator-kit';
import type { IdempotencyEntry } from './idempotency.js';
import type { SavedObjects } from './db.js';
import type { WebhookDelivery } from '../webhooks.js';

const SAVE_DELAY_MS = 200;

export interface PersistedState extends SavedObjects {
  version: 1;
  clockOffset: number;
  failures: [string, number][];
  idempotency: [string, IdempotencyEntry][];
  holding: boolean;
  deliveries: WebhookDelivery[];
}

export class StateSaver {
  private readonly file: JsonStateFile<PersistedState>;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  /** `collect` gathers the whole state when a save is due. */
  constructor(
    dataDir: string | null,
    private readonly collect: () => Omit<PersistedState, 'version'>,
  ) {
    this.file = new JsonStateFile<PersistedState>(dataDir ?? undefined, 'stripe-emulator.json', 1);
  }

  /** The state saved by a previous run, if any. */
  load(): PersistedState | undefined {
    return this.file.load();
  }

  /** Saves soon rather than now; close() saves at once. */
  changed(): void {
    if (!this.file.path || this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.save();
    }, SAVE_DELAY_MS);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.save();
  }

  private save(): void {
    if (!this.file.path) return;
    this.file.save({ version: 1, ...this.collect() });
  }
}
