/**
 * `Idempotency-Key` answers kept for replay: bounded in number and expiring after 24 hours, as
 * Stripe's do. Each holds a full response body (~2 KB for a checkout session); a client retries
 * within seconds, so the newest 1,000 (about 500 checkouts' customer + session) are plenty and
 * cost ~2 MB of state file and heap. 5,000 (before) cost ~10 MB (finding FS5).
 */
export const MAX_IDEMPOTENCY = 1_000;
const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

export interface IdempotencyEntry {
  method: string;
  path: string;
  /** canonical() of the params, to tell a retry from a different request under the same key. */
  params: string;
  status: number;
  body: string;
  requestId: string;
  /** Wall-clock ms: keys expire after 24 hours. */
  at: number;
}

export class IdempotencyCache {
  private readonly entries = new Map<string, IdempotencyEntry>();

  constructor(private readonly changed: () => void) {}

  get(key: string): IdempotencyEntry | undefined {
    const e = this.entries.get(key);
    if (e && Date.now() - e.at > IDEMPOTENCY_TTL_MS) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  remember(key: string, entry: IdempotencyEntry): void {
    this.entries.set(key, entry);
    while (this.entries.size > MAX_IDEMPOTENCY) this.entries.delete(this.entries.keys().next().value as string);
    this.changed();
  }

  snapshot(): [string, IdempotencyEntry][] {
    return [...this.entries];
  }

  restore(saved: [string, IdempotencyEntry][]): void {
    for (const [k, v] of saved) this.entries.set(k, v);
  }
}
