import { WriteBatch } from './storage/store.js';
import type { Doc } from './types.js';

export type TxnState = 'active' | 'committed' | 'aborted';

export class Transaction {
  state: TxnState = 'active';
  readonly batch = new WriteBatch(true);
  readonly startedAt = Date.now();
  timer: NodeJS.Timeout | null = null;
  /** Set once commit has handed the batch to the journal; a retried commit awaits the same sync. */
  durable: Promise<void> | null = null;
  /** The connection that sent its latest statement. */
  connectionId = -1;
  constructor(readonly txnNumber: number) {}
}

export interface RetryRecord {
  txnNumber: number;
  reply: Doc;
  durable: Promise<void> | null;
}

/** Server-side state of one logical session (lsid). */
export class Session {
  lastUse = Date.now();
  highestTxnNumber = -1;
  txn: Transaction | null = null;
  retry: RetryRecord | null = null;
  readonly cursors = new Set<number>();
  constructor(readonly id: string) {}
}

/**
 * The global transaction lock. While a session has a transaction open, commands of every other
 * session queue here, so transactions are serializable. Queued work runs synchronously in FIFO
 * order the moment the lock allows it — command execution is synchronous by design, so nothing
 * can interleave between "allowed" and "done".
 */
export class Gate {
  private holderKey: string | null = null;
  private readonly waiters: Array<{ key: string; run: () => void }> = [];

  get holder(): string | null {
    return this.holderKey;
  }

  acquire(key: string): void {
    if (this.holderKey !== null && this.holderKey !== key) throw new Error(`gate held by ${this.holderKey}`);
    this.holderKey = key;
  }

  release(key: string): void {
    if (this.holderKey !== key) return;
    this.holderKey = null;
    // Run queued work after the caller's stack unwinds.
    queueMicrotask(() => this.pump());
  }

  /** Runs `fn` once no other session holds the lock (immediately if possible). */
  run<T>(key: string, fn: () => T): Promise<T> {
    if (this.allows(key) && (this.waiters.length === 0 || this.holderKey === key)) {
      try {
        return Promise.resolve(fn());
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.waiters.push({
        key,
        run: () => {
          try {
            resolve(fn());
          } catch (e) {
            reject(e);
          }
        },
      });
    });
  }

  get queued(): number {
    return this.waiters.length;
  }

  private allows(key: string): boolean {
    return this.holderKey === null || this.holderKey === key;
  }

  private pump(): void {
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i];
      if (this.allows(w.key)) {
        this.waiters.splice(i, 1);
        w.run(); // may acquire the lock; later waiters then re-check against the new holder
      } else {
        i++;
      }
    }
  }
}
