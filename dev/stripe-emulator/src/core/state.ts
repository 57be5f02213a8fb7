/**
 * The emulator's state on disk: one JSON file under the data dir (`stripe-emulator.json`), read
 * by @flix/emulator-kit's JsonStateFile and rewritten atomically (a temporary file, renamed).
 * Writes are coalesced: a busy stack changes state (deliveries, events) many times a second.
 *
 * The file is written piece by piece (one object at a time, in small chunks) rather than as one
 * JSON.stringify of the whole state: that string was megabytes (48 MB after 1,000 checkouts
 * before the histories were bounded), made up to five times a second under load, and V8 puts
 * strings that large straight into the old generation, so each save left megabytes of garbage
 * only a full GC frees and the process's RSS grew far beyond its live heap (finding FS5).
 */
import { closeSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
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
    writeJsonInPieces(this.file.path, { version: 1, ...this.collect() });
  }
}

/** Characters gathered before a write: small enough that no piece is a large-object allocation. */
const CHUNK_CHARS = 16_384;

/**
 * The same JSON as JSON.stringify(state), written to `path` atomically without ever holding it
 * whole: top-level arrays element by element.
 */
export function writeJsonInPieces(path: string, state: Record<string, unknown>): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    let pending = '';
    const out = (s: string) => {
      pending += s;
      if (pending.length >= CHUNK_CHARS) {
        writeSync(fd, pending);
        pending = '';
      }
    };
    let first = true;
    out('{');
    for (const [key, value] of Object.entries(state)) {
      if (value === undefined) continue;
      out(`${first ? '' : ','}${JSON.stringify(key)}:`);
      first = false;
      if (Array.isArray(value)) {
        out('[');
        for (let i = 0; i < value.length; i++) out((i ? ',' : '') + (JSON.stringify(value[i]) ?? 'null'));
        out(']');
      } else {
        out(JSON.stringify(value));
      }
    }
    out('}');
    if (pending) writeSync(fd, pending);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
